/**
 * Telling WPCOM about a confirmed outage or its recovery (docs/reference/monitor-core.md §1.13, §1.15):
 * nothing during the site's maintenance window, nothing while its alert cooldown runs, else
 * one notification with the local check and the verifiers' answers.
 */
import { statusType } from "../../check/status-type.ts";
import type { CheckResult } from "../../check/types.ts";
import type { NotifyOutcome } from "../../wpcom/client.ts";
import { buildNotification } from "../../wpcom/payload.ts";
import type { Notifier, VerifierReply } from "../ports.ts";
import { cooldownMinutes, cooldownSuppressed, inMaintenance } from "../rules.ts";
import type { Site } from "../sites.ts";
import type { IncidentObserver } from "./telemetry.ts";

export interface NotifyInput {
  site: Site;
  /** The check that changed the state (its time is `last_check`). */
  result: CheckResult;
  /** 2 down, 1 running (recovery). */
  statusId: 1 | 2;
  kind: "downtime" | "recovery";
  eventId: number;
  changeTime: Date;
  /** The verifiers' answers that confirmed it (none for a recovery). */
  replies: readonly VerifierReply[];
  /** Epoch ms. */
  now: number;
  /** The last alert this process saw delivered for the blog (epoch ms, 0 none). */
  lastAlertAt: number;
  /** ALERT_COOLDOWN_MINUTES, used when the site sets none. */
  defaultCooldownMinutes: number;
  /** This host's name in the notification's `checks`. */
  hostname: string;
}

export interface NotifyDeps {
  wpcom: Notifier;
  observer: IncidentObserver;
}

export type NotifyResult = "maintenance" | "cooldown" | NotifyOutcome;

export async function notify(n: NotifyInput, { wpcom, observer }: NotifyDeps): Promise<NotifyResult> {
  const { site, statusId, eventId } = n;
  if (inMaintenance(site.settings.maintenanceStart, site.settings.maintenanceEnd, n.now)) {
    await observer.maintenanceSuppressed(site.blogId, eventId, n.kind);
    return "maintenance";
  }
  const last = Math.max(n.lastAlertAt, site.lastAlertSentAt ?? 0);
  const cooldown = cooldownMinutes(site.settings.alertCooldownMinutes, n.defaultCooldownMinutes);
  if (cooldownSuppressed(last > 0 ? last : null, cooldown, n.now)) {
    await observer.cooldownSuppressed(site.blogId, eventId, statusId);
    return "cooldown";
  }
  const res = n.result;
  const type = statusType(res);
  const notification = buildNotification({
    blogId: site.blogId,
    monitorUrl: site.url,
    statusId,
    lastCheck: res.checkedAt,
    lastStatusChange: n.changeTime,
    statusType: type,
    local: { host: n.hostname, success: res.success, rttMs: res.rttMs, httpCode: res.httpCode },
    verifiers: n.replies.map((r) => ({
      host: r.host,
      success: r.success,
      rttMs: r.rttMs,
      httpCode: r.httpCode,
    })),
  });
  await observer.wpcomSending(site.blogId, eventId, statusId, type);
  const outcome = await wpcom.notify(notification);
  if (outcome === "queued") await observer.wpcomQueued(site.blogId, eventId, statusId);
  else if (outcome === "dropped") observer.wpcomDropped(statusId);
  return outcome;
}

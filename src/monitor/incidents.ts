/**
 * The incident lifecycle (docs/reference/monitor-core.md §1.7-§1.15) for one check result at a time:
 * the decisions come from the pure rules in rules.ts, the state from memory (open events and
 * the retry queue), and the I/O from the event store, the verifiers and WPCOM.
 *
 * Memory only changes after the database write it stands for has succeeded, so a write that
 * fails (MySQL away) is simply tried again at the site's next check.
 */
import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { isFailedResult } from "../check/errors.ts";
import { statusType } from "../check/status-type.ts";
import type { CheckResult } from "../check/types.ts";
import type { Db } from "../db/client.ts";
import {
  type AuditEntry,
  AuditEventType,
  CheckType,
  closeEvent,
  closeRecoveredEvent,
  EventClosedError,
  EventNotFoundError,
  type LegacyProjection,
  openEvent,
  Reason,
  ResolutionReason,
  reconcileTlsExpiryEvent,
  recordFalsePositive,
  Severity,
  State,
  tlsDaysUntil,
  tlsExpiryTier,
  updateEvent,
  writeAudit,
} from "../events/index.ts";
import { writeLegacyStatus } from "../events/projection.ts";
import type { Logger } from "../log.ts";
import { DetectionMetric, VerifierMetric, WpcomMetric } from "../metrics/names.ts";
import type { Metrics } from "../metrics/statsd.ts";
import { buildNotification, type CheckSummary, type WpcomNotification } from "../wpcom/payload.ts";
import type { Notifier, Verifier, VerifierReply, VerifierRequest } from "./ports.ts";
import { type FailedCheck, type RetryEntry, RetryQueue } from "./retry-queue.ts";
import { cooldownMinutes, cooldownSuppressed, escalationVerdict, inMaintenance, quorum } from "./rules.ts";
import { checkRequestFor, type Site } from "./sites.ts";
import { retryOnConflict } from "./sql.ts";

export interface IncidentConfig {
  NUM_OF_CHECKS: number;
  PEER_OFFLINE_LIMIT: number;
  NET_COMMS_TIMEOUT: number;
  ALERT_COOLDOWN_MINUTES: number;
  LEGACY_STATUS_PROJECTION_ENABLE: boolean;
}

export interface IncidentDeps {
  db: Db;
  hostname: string;
  log: Logger;
  metrics: Metrics;
  now: () => number;
  wpcom: Notifier;
  verifiers: () => readonly Verifier[];
  config: () => IncidentConfig;
}

/** What the scheduler should do with the site next. */
export interface Outcome {
  /** True while the site is failing but not yet confirmed: check again after TIME_BETWEEN_CHECKS_SEC. */
  retrySoon: boolean;
}

interface OpenHttp {
  eventId: number;
  state: string;
}

/** Verifier RPC allowance on top of the site's check timeout (upstream `verifierRPCHeadroom`). */
const VERIFIER_HEADROOM_MS = 5000;

export class Incidents {
  readonly retries = new RetryQueue();
  private readonly http = new Map<number, OpenHttp>();
  /** Last TLS tier acted on per blog: 0 none, else the event severity. */
  private readonly tls = new Map<number, number>();
  private readonly lastAlert = new Map<number, number>();

  constructor(private readonly d: IncidentDeps) {}

  /** Seeds memory from open events (cold start, or sites new to this host). */
  seed(
    events: readonly { blogId: number; id: number; checkType: string; severity: number; state: string }[],
  ): void {
    for (const e of events) {
      if (e.checkType === CheckType.Http && !this.http.has(e.blogId)) {
        this.http.set(e.blogId, { eventId: e.id, state: e.state });
      } else if (e.checkType === CheckType.TlsExpiry) {
        this.tls.set(e.blogId, e.severity);
      }
    }
  }

  /** Drops memory of a blog this host no longer checks. */
  forget(blogId: number): void {
    this.http.delete(blogId);
    this.tls.delete(blogId);
    this.retries.clear(blogId);
    this.lastAlert.delete(blogId);
  }

  /**
   * WPCOM accepted a notification (possibly from its queue, later): count it and record
   * last_alert_sent_at, which the cooldown reads.
   */
  async alertDelivered(n: WpcomNotification): Promise<void> {
    const at = this.d.now();
    this.d.metrics.increment(WpcomMetric.delivered);
    this.d.metrics.increment(WpcomMetric.statusDelivered(n.status_id));
    this.lastAlert.set(n.blog_id, at);
    try {
      await this.d.db.execute(
        sql`UPDATE jetpack_monitor_sites SET last_alert_sent_at = ${new Date(Math.floor(at / 1000) * 1000)} WHERE blog_id = ${n.blog_id}`,
      );
    } catch (err) {
      this.d.log.error({ blog_id: n.blog_id, err: text(err) }, "last_alert_sent_at not written");
    }
  }

  async handle(site: Site, res: CheckResult): Promise<Outcome> {
    if (res.sslExpiry) await this.tlsExpiry(site, res.sslExpiry);
    if (!isFailedResult(res)) {
      await this.recover(site, res);
      return { retrySoon: false };
    }
    return this.fail(site, res);
  }

  // ---- failure path (docs/reference/monitor-core.md §1.8) ----

  private async fail(site: Site, res: CheckResult): Promise<Outcome> {
    const { metrics, log } = this.d;
    const cfg = this.d.config();
    const cls = statusType(res);
    metrics.increment(DetectionMetric.failure(cls));
    let open = this.http.get(site.blogId);
    if (open?.state === State.Down) {
      // An outage already confirmed and notified: nothing changes until the site answers again.
      this.retries.clear(site.blogId);
      return { retrySoon: false };
    }
    const entry = this.retries.record(site.blogId, site.url, failedCheck(res, cls));
    if (!open) {
      try {
        const r = await retryOnConflict(() =>
          openEvent(
            this.d.db,
            {
              blogId: site.blogId,
              checkType: CheckType.Http,
              severity: Severity.SeemsDown,
              state: State.SeemsDown,
              source: this.d.hostname,
              metadata: {
                http_code: res.httpCode,
                error_code: res.errorCode,
                rtt_ms: res.rttMs,
                url: site.url,
              },
            },
            { project: this.projection(cfg) },
          ),
        );
        open = { eventId: r.eventId, state: r.state };
        this.http.set(site.blogId, open);
      } catch (err) {
        log.error({ blog_id: site.blogId, err: text(err) }, "open seems-down event failed");
        return { retrySoon: true };
      }
      if (entry.failCount === 1) {
        metrics.increment(DetectionMetric.seemsDownOpen);
        metrics.increment(DetectionMetric.seemsDownOpenClass(cls));
        metrics.timingSince(
          DetectionMetric.firstFailureToSeemsDown,
          entry.firstFailAt.getTime(),
          this.d.now(),
        );
      }
      if (open.state === State.Down) {
        // Another host (or this one before a restart) already confirmed it.
        this.retries.clear(site.blogId);
        return { retrySoon: false };
      }
    }
    if (entry.failCount < cfg.NUM_OF_CHECKS) {
      await this.audit({
        eventType: AuditEventType.RetryDispatched,
        blogId: site.blogId,
        eventId: open.eventId,
        source: this.d.hostname,
        detail: `retry ${entry.failCount} of ${cfg.NUM_OF_CHECKS}`,
        metadata: {
          http_code: res.httpCode,
          error_code: res.errorCode,
          rtt_ms: res.rttMs,
          attempt: entry.failCount,
          of: cfg.NUM_OF_CHECKS,
          event_id: open.eventId,
        },
      });
      return { retrySoon: true };
    }
    return this.escalate(site, res, entry, open);
  }

  // ---- verifier escalation (docs/reference/monitor-core.md §1.9) ----

  private async escalate(site: Site, res: CheckResult, entry: RetryEntry, open: OpenHttp): Promise<Outcome> {
    const { metrics, log } = this.d;
    const cfg = this.d.config();
    const verifiers = this.d.verifiers();
    metrics.increment(DetectionMetric.verifierEscalation);
    metrics.timingSince(
      DetectionMetric.firstFailureToVerification,
      entry.firstFailAt.getTime(),
      this.d.now(),
    );
    if (verifiers.length === 0) {
      metrics.increment(DetectionMetric.verifierNoClients);
      return this.confirmDown(site, res, entry, open, []);
    }
    const requestId = randomBytes(16).toString("hex");
    await this.audit({
      eventType: AuditEventType.VeriflierSent,
      blogId: site.blogId,
      source: this.d.hostname,
      detail: `escalating to ${verifiers.length} verifliers`,
      metadata: { verifier_count: verifiers.length, request_id: requestId },
    });
    const req: VerifierRequest = { ...checkRequestFor(site, cfg.NET_COMMS_TIMEOUT), requestId };
    const deadlineMs = req.timeoutSeconds * 1000 + VERIFIER_HEADROOM_MS;
    const replies: VerifierReply[] = [];
    const audits: AuditEntry[] = [];
    let confirmations = 0;
    await Promise.all(
      verifiers.map(async (v) => {
        const started = performance.now();
        let reply: VerifierReply;
        try {
          reply = await v.check(req, deadlineMs);
        } catch (err) {
          metrics.timing(VerifierMetric.rpcDuration, performance.now() - started);
          metrics.timing(VerifierMetric.hostRpcDuration(v.address), performance.now() - started);
          metrics.increment(VerifierMetric.rpcError);
          metrics.increment(VerifierMetric.hostRpcError(v.address));
          log.warn({ blog_id: site.blogId, verifier: v.address, err: text(err) }, "verifier check failed");
          return;
        }
        metrics.timing(VerifierMetric.rpcDuration, performance.now() - started);
        metrics.timing(VerifierMetric.hostRpcDuration(v.address), performance.now() - started);
        metrics.increment(VerifierMetric.rpcSuccess);
        metrics.increment(VerifierMetric.hostRpcSuccess(v.address));
        replies.push(reply);
        audits.push({
          eventType: AuditEventType.VeriflierSent,
          blogId: site.blogId,
          source: v.address,
          detail: "veriflier reply",
          metadata: {
            http_code: reply.httpCode,
            error_code: reply.errorCode,
            rtt_ms: reply.rttMs,
            success: reply.success,
            request_id: requestId,
          },
        });
        if (!reply.success) {
          confirmations++;
          metrics.increment(VerifierMetric.voteConfirmDown);
          metrics.increment(VerifierMetric.hostVoteConfirmDown(v.address));
        } else {
          metrics.increment(VerifierMetric.voteDisagree);
          metrics.increment(VerifierMetric.hostVoteDisagree(v.address));
        }
      }),
    );
    if (audits.length) await this.audit(audits);
    const healthy = replies.length;
    const q = quorum(cfg.PEER_OFFLINE_LIMIT, healthy);
    metrics.gauge(DetectionMetric.verifierHealthy, healthy);
    metrics.gauge(DetectionMetric.verifierConfirmations, confirmations);
    metrics.gauge(DetectionMetric.verifierQuorum, q);
    const verdict = escalationVerdict({
      configured: verifiers.length,
      healthy,
      confirmations,
      peerOfflineLimit: cfg.PEER_OFFLINE_LIMIT,
    });
    if (verdict === "confirmed") {
      metrics.increment(DetectionMetric.verifierQuorumMet);
      return this.confirmDown(site, res, entry, open, replies);
    }
    if (verdict === "unverified") {
      log.warn(
        { blog_id: site.blogId, event_id: open.eventId, verifiers: verifiers.length },
        "no verifier answered, site stays seems down",
      );
      return { retrySoon: true };
    }
    return this.falseAlarm(site, entry, open, { quorum: q, healthy, confirmations });
  }

  // ---- confirmation (docs/reference/monitor-core.md §1.10) ----

  private async confirmDown(
    site: Site,
    res: CheckResult,
    entry: RetryEntry,
    open: OpenHttp,
    replies: VerifierReply[],
  ): Promise<Outcome> {
    const { metrics, log } = this.d;
    const cfg = this.d.config();
    const changeTime = new Date(this.d.now());
    const cls = entry.lastResult.statusType;
    try {
      await retryOnConflict(() =>
        updateEvent(
          this.d.db,
          open.eventId,
          {
            severity: Severity.Down,
            state: State.Down,
            reason: Reason.VerifierConfirmed,
            source: this.d.hostname,
            metadata: {
              verifier_results: replies.map((r) => ({
                host: r.host,
                success: r.success,
                http_code: r.httpCode,
                rtt_ms: r.rttMs,
              })),
              verifier_confirmed: replies.length,
            },
          },
          { project: this.projection(cfg, changeTime) },
        ),
      );
    } catch (err) {
      this.eventWriteFailed(site.blogId, err, "confirm down failed");
      return { retrySoon: true };
    }
    open.state = State.Down;
    metrics.increment(DetectionMetric.downConfirmed);
    metrics.increment(DetectionMetric.downConfirmedClass(cls));
    metrics.timingSince(DetectionMetric.seemsDownToDown, entry.firstFailAt.getTime(), changeTime.getTime());
    this.retries.clear(site.blogId);
    log.info(
      { blog_id: site.blogId, event_id: open.eventId, verifiers: replies.length },
      "site confirmed down",
    );
    await this.notify(site, res, 2, changeTime, replies, "downtime", open.eventId);
    return { retrySoon: false };
  }

  private async falseAlarm(
    site: Site,
    entry: RetryEntry,
    open: OpenHttp,
    v: { quorum: number; healthy: number; confirmations: number },
  ): Promise<Outcome> {
    const { metrics, log } = this.d;
    const cfg = this.d.config();
    const last = entry.lastResult;
    metrics.increment(DetectionMetric.falseAlarm);
    metrics.increment(DetectionMetric.falseAlarmClass(last.statusType));
    metrics.timingSince(DetectionMetric.seemsDownToFalseAlarm, entry.firstFailAt.getTime(), this.d.now());
    log.info(
      {
        blog_id: site.blogId,
        event_id: open.eventId,
        quorum: v.quorum,
        healthy: v.healthy,
        confirmed: v.confirmations,
      },
      "verifiers disagree, false alarm",
    );
    try {
      await recordFalsePositive(this.d.db, {
        blogId: site.blogId,
        httpCode: last.httpCode,
        errorCode: last.errorCode,
        rttMs: last.rttMs,
      });
    } catch (err) {
      log.error({ blog_id: site.blogId, err: text(err) }, "false positive row not written");
    }
    try {
      await retryOnConflict(() =>
        closeEvent(
          this.d.db,
          open.eventId,
          {
            reason: ResolutionReason.FalseAlarm,
            source: this.d.hostname,
            metadata: {
              verifier_quorum: v.quorum,
              verifier_healthy: v.healthy,
              verifier_disagreed: v.healthy - v.confirmations,
              verifier_confirmed: v.confirmations,
            },
          },
          { project: this.projection(cfg) },
        ),
      );
    } catch (err) {
      if (!this.eventWriteFailed(site.blogId, err, "close false alarm failed")) return { retrySoon: true };
    }
    this.http.delete(site.blogId);
    this.retries.clear(site.blogId);
    return { retrySoon: false };
  }

  // ---- recovery (docs/reference/monitor-core.md §1.12), decided from the open event (docs/design.md defect 3) ----

  private async recover(site: Site, res: CheckResult): Promise<void> {
    const { metrics, log } = this.d;
    const cfg = this.d.config();
    const entry = this.retries.get(site.blogId);
    this.retries.clear(site.blogId);
    const open = this.http.get(site.blogId);
    if (!open) {
      // No incident, but the legacy column says otherwise (e.g. left by an older host): fix it.
      if (cfg.LEGACY_STATUS_PROJECTION_ENABLE && site.siteStatus !== 1) await this.projectRunning(site);
      return;
    }
    const changeTime = new Date(this.d.now());
    let closed: { state: string; eventId: number } | null;
    try {
      const r = await retryOnConflict(() =>
        closeRecoveredEvent(this.d.db, {
          blogId: site.blogId,
          knownEventId: open.eventId,
          source: this.d.hostname,
          project: this.projection(cfg, changeTime),
        }),
      );
      closed = r ? { state: r.state, eventId: r.eventId } : null;
    } catch (err) {
      log.error(
        { blog_id: site.blogId, event_id: open.eventId, err: text(err) },
        "close recovered event failed",
      );
      if (entry) this.retries.restore(entry);
      return;
    }
    this.http.delete(site.blogId);
    site.siteStatus = 1;
    if (!closed) return;
    if (closed.state === State.SeemsDown && entry) {
      const cls = entry.lastResult.statusType;
      metrics.increment(DetectionMetric.probeCleared);
      metrics.increment(DetectionMetric.probeClearedClass(cls));
      metrics.timingSince(
        DetectionMetric.seemsDownToProbeCleared,
        entry.firstFailAt.getTime(),
        changeTime.getTime(),
      );
    }
    log.info({ blog_id: site.blogId, event_id: closed.eventId, from: closed.state }, "site recovered");
    // WPCOM only ever heard about confirmed outages, so only those get a recovery notice.
    if (closed.state === State.Down)
      await this.notify(site, res, 1, changeTime, [], "recovery", closed.eventId);
  }

  private async projectRunning(site: Site): Promise<void> {
    try {
      await retryOnConflict(() =>
        this.d.db.transaction((tx) => writeLegacyStatus(tx, site.blogId, 1, new Date(this.d.now()))),
      );
      site.siteStatus = 1;
    } catch (err) {
      this.d.log.error({ blog_id: site.blogId, err: text(err) }, "legacy status repair failed");
    }
  }

  // ---- notifications (docs/reference/monitor-core.md §1.13, §1.15) ----

  private async notify(
    site: Site,
    res: CheckResult,
    statusId: 1 | 2,
    changeTime: Date,
    replies: VerifierReply[],
    kind: "downtime" | "recovery",
    eventId: number,
  ): Promise<void> {
    const { metrics, log } = this.d;
    const cfg = this.d.config();
    const now = this.d.now();
    if (inMaintenance(site.maintenanceStart, site.maintenanceEnd, now)) {
      await this.audit({
        eventType: AuditEventType.MaintenanceActive,
        blogId: site.blogId,
        eventId,
        detail: `${kind} suppressed during maintenance`,
      });
      return;
    }
    const last = Math.max(this.lastAlert.get(site.blogId) ?? 0, site.lastAlertSentAt?.getTime() ?? 0);
    if (
      cooldownSuppressed(
        last > 0 ? new Date(last) : null,
        cooldownMinutes(site.alertCooldownMinutes, cfg.ALERT_COOLDOWN_MINUTES),
        now,
      )
    ) {
      await this.audit({
        eventType: AuditEventType.AlertSuppressed,
        blogId: site.blogId,
        eventId,
        detail: "cooldown active",
        metadata: { status_id: statusId },
      });
      return;
    }
    const type = statusType(res);
    const local: CheckSummary = {
      host: this.d.hostname,
      success: res.success,
      rttMs: res.rttMs,
      httpCode: res.httpCode,
    };
    const n = buildNotification({
      blogId: site.blogId,
      monitorUrl: site.url,
      statusId,
      lastCheck: res.checkedAt,
      lastStatusChange: changeTime,
      statusType: type,
      local,
      verifiers: replies.map((r) => ({
        host: r.host,
        success: r.success,
        rttMs: r.rttMs,
        httpCode: r.httpCode,
      })),
    });
    await this.audit({
      eventType: AuditEventType.WpcomSent,
      blogId: site.blogId,
      eventId,
      detail: `status=${statusId} type=${type}`,
    });
    metrics.increment(WpcomMetric.attempt);
    metrics.increment(WpcomMetric.statusAttempt(statusId));
    const outcome = await this.d.wpcom.notify(n);
    if (outcome === "queued") {
      metrics.increment(WpcomMetric.queued);
      metrics.increment(WpcomMetric.statusError(statusId));
      log.warn({ blog_id: site.blogId, status_id: statusId }, "wpcom notification queued");
      await this.audit({
        eventType: AuditEventType.WpcomRetry,
        blogId: site.blogId,
        eventId,
        detail: "queued: wpcom unavailable, sent when the circuit allows",
      });
    } else if (outcome === "dropped") {
      metrics.increment(WpcomMetric.dropped);
      metrics.increment(WpcomMetric.failed);
      metrics.increment(WpcomMetric.statusFailed(statusId));
    }
  }

  // ---- TLS expiry (docs/reference/monitor-core.md §1.14): only a change of tier touches the database ----

  private async tlsExpiry(site: Site, expiry: Date): Promise<void> {
    const tier = tlsExpiryTier(tlsDaysUntil(expiry, new Date(this.d.now())));
    const want = tier?.severity ?? 0;
    if ((this.tls.get(site.blogId) ?? 0) === want) return;
    try {
      const r = await retryOnConflict(() =>
        reconcileTlsExpiryEvent(this.d.db, {
          blogId: site.blogId,
          expiresAt: expiry,
          now: new Date(this.d.now()),
          source: this.d.hostname,
        }),
      );
      if (want === 0) this.tls.delete(site.blogId);
      else this.tls.set(site.blogId, want);
      if (r.action !== "none" && r.action !== "unchanged") {
        this.d.log.info(
          { blog_id: site.blogId, days: r.days, action: r.action, event_id: r.eventId },
          "tls expiry event",
        );
      }
    } catch (err) {
      this.d.log.error({ blog_id: site.blogId, err: text(err) }, "tls expiry event failed");
    }
  }

  // ---- helpers ----

  private projection(cfg: IncidentConfig, at?: Date): LegacyProjection {
    return { enabled: cfg.LEGACY_STATUS_PROJECTION_ENABLE, changedAt: at ?? new Date(this.d.now()) };
  }

  /**
   * The event this host remembered is gone or closed (an operator or another host closed it):
   * forget it so the next failure opens a fresh one. Returns true in that case.
   */
  private eventWriteFailed(blogId: number, err: unknown, msg: string): boolean {
    if (err instanceof EventClosedError || err instanceof EventNotFoundError) {
      this.http.delete(blogId);
      this.retries.clear(blogId);
      this.d.log.warn({ blog_id: blogId, err: text(err) }, `${msg}: event no longer open`);
      return true;
    }
    this.d.log.error({ blog_id: blogId, err: text(err) }, msg);
    return false;
  }

  private async audit(entries: AuditEntry | AuditEntry[]): Promise<void> {
    try {
      await writeAudit(this.d.db, entries);
    } catch (err) {
      this.d.log.error({ err: text(err) }, "audit row not written");
    }
  }
}

function failedCheck(res: CheckResult, cls: string): FailedCheck {
  return {
    httpCode: res.httpCode,
    errorCode: res.errorCode,
    rttMs: res.rttMs,
    statusType: cls,
    timestamp: res.checkedAt,
  };
}

function text(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  return e?.cause?.message ?? e?.message ?? String(err);
}

/**
 * The incident lifecycle (docs/reference/monitor-core.md §1.7-§1.15) for one check result at a time:
 * fail -> retry -> escalate -> confirm or false alarm -> recover, plus TLS expiry. Decisions
 * come from the pure rules in rules.ts, state from memory (open events and the retry queue),
 * I/O from the event store and the ports; what it reports goes to an IncidentObserver.
 *
 * Memory only changes after the database write it stands for has succeeded, so a write that
 * fails (MySQL away) is simply tried again at the site's next check.
 */
import { isFailedResult } from "../../check/errors.ts";
import { statusType } from "../../check/status-type.ts";
import type { CheckResult } from "../../check/types.ts";
import type { Db } from "../../db/client.ts";
import { retryOnConflict } from "../../db/sql.ts";
import {
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
} from "../../events/index.ts";
import { writeLegacyStatus } from "../../events/projection.ts";
import type { Logger } from "../../log.ts";
import type { Metrics } from "../../metrics/statsd.ts";
import type { WpcomNotification } from "../../wpcom/payload.ts";
import type { Notifier, Verifier, VerifierReply } from "../ports.ts";
import { type FailedCheck, type RetryEntry, RetryQueue } from "../retry-queue.ts";
import { recordAlertSent, type Site } from "../sites.ts";
import { TlsDeprecatedAdvisory } from "../tls-deprecated.ts";
import { escalate } from "./escalation.ts";
import { notify } from "./notify.ts";
import { type FailureRun, type IncidentObserver, incidentTelemetry, type VoteFigures } from "./telemetry.ts";

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
  /** Where metrics, logs and audit rows go (default: incidentTelemetry over log, metrics, db). */
  observer?: IncidentObserver;
}

/** What the scheduler should do with the site next. */
export interface Outcome {
  /** True while the site is failing but not yet confirmed: check again after TIME_BETWEEN_CHECKS_SEC. */
  retrySoon: boolean;
}

interface OpenHttp {
  eventId: number;
  state: State;
}

const RETRY_SOON: Outcome = { retrySoon: true };
const SETTLED: Outcome = { retrySoon: false };

export class Incidents {
  readonly retries = new RetryQueue();
  private readonly http = new Map<number, OpenHttp>();
  /** Last TLS tier acted on per blog: 0 none, else the event severity. */
  private readonly tls = new Map<number, Severity>();
  private readonly lastAlert = new Map<number, number>();
  private readonly observer: IncidentObserver;
  private readonly tlsDeprecated: TlsDeprecatedAdvisory;

  constructor(private readonly d: IncidentDeps) {
    this.observer = d.observer ?? incidentTelemetry(d);
    this.tlsDeprecated = new TlsDeprecatedAdvisory(d);
  }

  /** Seeds memory from open events (cold start, or sites new to this host). */
  seed(
    events: readonly { blogId: number; id: number; checkType: string; severity: Severity; state: State }[],
  ): void {
    this.tlsDeprecated.seed(events);
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
    this.tlsDeprecated.forget(blogId);
  }

  /**
   * WPCOM accepted a notification (possibly from its queue, later): count it and record
   * last_alert_sent_at, which the cooldown reads.
   */
  async alertDelivered(n: WpcomNotification): Promise<void> {
    const at = this.d.now();
    this.observer.alertDelivered(n);
    this.lastAlert.set(n.blog_id, at);
    try {
      await recordAlertSent(this.d.db, n.blog_id, at);
    } catch (err) {
      this.observer.writeFailed({ blog_id: n.blog_id }, err, "last_alert_sent_at not written");
    }
  }

  async handle(site: Site, res: CheckResult): Promise<Outcome> {
    if (res.sslExpiry) await this.tlsExpiry(site, res.sslExpiry, res);
    await this.tlsDeprecated.observe(site.blogId, res);
    if (!isFailedResult(res)) {
      await this.recover(site, res);
      return SETTLED;
    }
    return this.fail(site, res);
  }

  // ---- failure path (docs/reference/monitor-core.md §1.8) ----

  private async fail(site: Site, res: CheckResult): Promise<Outcome> {
    const cfg = this.d.config();
    const cls = statusType(res);
    this.observer.checkFailed(cls);
    let open = this.http.get(site.blogId);
    if (open?.state === State.Down) {
      // An outage already confirmed and notified: nothing changes until the site answers again.
      this.retries.clear(site.blogId);
      return SETTLED;
    }
    const entry = this.retries.record(site.blogId, site.url, failedCheck(res, cls));
    if (!open) {
      try {
        open = await this.openSeemsDown(site, res, cfg);
      } catch (err) {
        this.observer.writeFailed({ blog_id: site.blogId }, err, "open seems-down event failed");
        return RETRY_SOON;
      }
      this.http.set(site.blogId, open);
      if (entry.failCount === 1) this.observer.seemsDownOpened(cls, entry.firstFailAt, this.d.now());
      if (open.state === State.Down) {
        // Another host (or this one before a restart) already confirmed it.
        this.retries.clear(site.blogId);
        return SETTLED;
      }
    }
    if (entry.failCount < cfg.NUM_OF_CHECKS) {
      await this.observer.retryDispatched({
        blogId: site.blogId,
        eventId: open.eventId,
        result: res,
        attempt: entry.failCount,
        of: cfg.NUM_OF_CHECKS,
      });
      return RETRY_SOON;
    }
    return this.escalate(site, res, entry, open);
  }

  private async openSeemsDown(site: Site, res: CheckResult, cfg: IncidentConfig): Promise<OpenHttp> {
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
            ...(res.errorDetail ? { error_detail: res.errorDetail } : {}),
            ...(res.forbiddenMatch ? { forbidden_keyword: res.forbiddenMatch } : {}),
          },
        },
        { project: this.projection(cfg) },
      ),
    );
    return { eventId: r.eventId, state: r.state };
  }

  // ---- verifier escalation (docs/reference/monitor-core.md §1.9) ----

  private async escalate(site: Site, res: CheckResult, entry: RetryEntry, open: OpenHttp): Promise<Outcome> {
    const cfg = this.d.config();
    const verifiers = this.d.verifiers();
    this.observer.escalated(entry.firstFailAt, this.d.now());
    if (verifiers.length === 0) {
      this.observer.noVerifiers();
      return this.confirmDown(site, res, entry, open, []);
    }
    const vote = await escalate({
      site,
      verifiers,
      netCommsTimeout: cfg.NET_COMMS_TIMEOUT,
      peerOfflineLimit: cfg.PEER_OFFLINE_LIMIT,
      observer: this.observer,
    });
    if (vote.verdict === "confirmed") {
      this.observer.quorumMet();
      return this.confirmDown(site, res, entry, open, vote.replies);
    }
    if (vote.verdict === "unverified") {
      this.observer.unverified(site.blogId, open.eventId, verifiers.length);
      return RETRY_SOON;
    }
    return this.falseAlarm(site, entry, open, vote);
  }

  // ---- confirmation (docs/reference/monitor-core.md §1.10) ----

  private async confirmDown(
    site: Site,
    res: CheckResult,
    entry: RetryEntry,
    open: OpenHttp,
    replies: VerifierReply[],
  ): Promise<Outcome> {
    const cfg = this.d.config();
    const changeTime = new Date(this.d.now());
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
      return RETRY_SOON;
    }
    open.state = State.Down;
    this.observer.downConfirmed(this.run(site, entry, open), changeTime, replies.length);
    this.retries.clear(site.blogId);
    await this.notify(site, res, {
      statusId: 2,
      kind: "downtime",
      changeTime,
      replies,
      eventId: open.eventId,
    });
    return SETTLED;
  }

  private async falseAlarm(site: Site, entry: RetryEntry, open: OpenHttp, v: VoteFigures): Promise<Outcome> {
    const cfg = this.d.config();
    const last = entry.lastResult;
    this.observer.falseAlarm(this.run(site, entry, open), this.d.now(), v);
    try {
      await recordFalsePositive(this.d.db, {
        blogId: site.blogId,
        httpCode: last.httpCode,
        errorCode: last.errorCode,
        rttMs: last.rttMs,
      });
    } catch (err) {
      this.observer.writeFailed({ blog_id: site.blogId }, err, "false positive row not written");
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
      if (!this.eventWriteFailed(site.blogId, err, "close false alarm failed")) return RETRY_SOON;
    }
    this.http.delete(site.blogId);
    this.retries.clear(site.blogId);
    return SETTLED;
  }

  // ---- recovery (docs/reference/monitor-core.md §1.12), decided from the open event (docs/design.md defect 3) ----

  private async recover(site: Site, res: CheckResult): Promise<void> {
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
    let closed: { state: State; eventId: number } | null;
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
      this.observer.writeFailed(
        { blog_id: site.blogId, event_id: open.eventId },
        err,
        "close recovered event failed",
      );
      if (entry) this.retries.restore(entry);
      return;
    }
    this.http.delete(site.blogId);
    site.siteStatus = 1;
    if (!closed) return;
    if (closed.state === State.SeemsDown && entry) {
      this.observer.probeCleared(entry.lastResult.statusType, entry.firstFailAt, changeTime);
    }
    this.observer.recovered(site.blogId, closed.eventId, closed.state);
    // WPCOM only ever heard about confirmed outages, so only those get a recovery notice.
    if (closed.state === State.Down) {
      await this.notify(site, res, {
        statusId: 1,
        kind: "recovery",
        changeTime,
        replies: [],
        eventId: closed.eventId,
      });
    }
  }

  private async projectRunning(site: Site): Promise<void> {
    try {
      await retryOnConflict(() =>
        this.d.db.transaction((tx) => writeLegacyStatus(tx, site.blogId, 1, new Date(this.d.now()))),
      );
      site.siteStatus = 1;
    } catch (err) {
      this.observer.writeFailed({ blog_id: site.blogId }, err, "legacy status repair failed");
    }
  }

  // ---- notifications (docs/reference/monitor-core.md §1.13, §1.15) ----

  private async notify(
    site: Site,
    result: CheckResult,
    n: {
      statusId: 1 | 2;
      kind: "downtime" | "recovery";
      changeTime: Date;
      replies: VerifierReply[];
      eventId: number;
    },
  ): Promise<void> {
    await notify(
      {
        ...n,
        site,
        result,
        now: this.d.now(),
        lastAlertAt: this.lastAlert.get(site.blogId) ?? 0,
        defaultCooldownMinutes: this.d.config().ALERT_COOLDOWN_MINUTES,
        hostname: this.d.hostname,
      },
      { wpcom: this.d.wpcom, observer: this.observer },
    );
  }

  // ---- TLS expiry (docs/reference/monitor-core.md §1.14): only a change of tier touches the database ----

  private async tlsExpiry(site: Site, expiry: Date, res: CheckResult): Promise<void> {
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
          check: res,
        }),
      );
      if (want === 0) this.tls.delete(site.blogId);
      else this.tls.set(site.blogId, want);
      this.observer.tlsEventChanged(site.blogId, r);
    } catch (err) {
      this.observer.writeFailed({ blog_id: site.blogId }, err, "tls expiry event failed");
    }
  }

  // ---- helpers ----

  private run(site: Site, entry: RetryEntry, open: OpenHttp): FailureRun {
    return {
      blogId: site.blogId,
      eventId: open.eventId,
      statusType: entry.lastResult.statusType,
      firstFailAt: entry.firstFailAt,
    };
  }

  private projection(cfg: IncidentConfig, at?: Date): LegacyProjection {
    return { enabled: cfg.LEGACY_STATUS_PROJECTION_ENABLE, changedAt: at ?? new Date(this.d.now()) };
  }

  /**
   * The event this host remembered is gone or closed (an operator or another host closed it):
   * forget it so the next failure opens a fresh one. Returns true in that case.
   */
  private eventWriteFailed(blogId: number, err: unknown, what: string): boolean {
    const gone = err instanceof EventClosedError || err instanceof EventNotFoundError;
    if (gone) {
      this.http.delete(blogId);
      this.retries.clear(blogId);
    }
    this.observer.eventWriteFailed(blogId, err, what, gone);
    return gone;
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

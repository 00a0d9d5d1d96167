/**
 * What the incident lifecycle reports as it goes: StatsD metrics, log lines and audit rows.
 * The lifecycle calls one named observer method per step; `incidentTelemetry` turns each into
 * the metrics, logs and audit rows Go Jetmon emits for it (docs/reference/monitor-core.md §1.7-§1.15,
 * metric names in metrics/names.ts). Audit writes never fail the step: a failed one is logged.
 */
import type { CheckResult } from "../../check/types.ts";
import type { Db } from "../../db/client.ts";
import { errorText } from "../../error-text.ts";
import { type AuditEntry, AuditEventType, type TlsExpiryResult, writeAudit } from "../../events/index.ts";
import type { Logger } from "../../log.ts";
import { DetectionMetric, VerifierMetric, WpcomMetric } from "../../metrics/names.ts";
import type { Metrics } from "../../metrics/statsd.ts";
import type { WpcomNotification } from "../../wpcom/payload.ts";
import type { Verifier, VerifierReply } from "../ports.ts";

/** The start of a run of failures, and the failure class of its latest check. */
export interface FailureRun {
  blogId: number;
  eventId: number;
  statusType: string;
  firstFailAt: Date;
}

export interface VoteFigures {
  quorum: number;
  healthy: number;
  confirmations: number;
}

export interface IncidentObserver {
  // ---- failure path ----
  checkFailed(statusType: string): void;
  seemsDownOpened(statusType: string, firstFailAt: Date, at: number): void;
  retryDispatched(r: {
    blogId: number;
    eventId: number;
    result: CheckResult;
    attempt: number;
    of: number;
  }): Promise<void>;
  // ---- escalation ----
  escalated(firstFailAt: Date, at: number): void;
  noVerifiers(): void;
  escalationSent(blogId: number, verifiers: number, requestId: string): Promise<void>;
  verifierFailed(v: Verifier, ms: number, blogId: number, err: unknown): void;
  verifierAnswered(v: Verifier, ms: number, reply: VerifierReply): void;
  /** Every reply of one escalation, audited together once the fan-out is over. */
  verifierReplies(
    blogId: number,
    requestId: string,
    answers: { source: string; reply: VerifierReply }[],
  ): Promise<void>;
  tallied(v: VoteFigures): void;
  quorumMet(): void;
  unverified(blogId: number, eventId: number, verifiers: number): void;
  // ---- outcomes ----
  downConfirmed(run: FailureRun, changeTime: Date, verifiers: number): void;
  falseAlarm(run: FailureRun, at: number, v: VoteFigures): void;
  probeCleared(statusType: string, firstFailAt: Date, changeTime: Date): void;
  recovered(blogId: number, eventId: number, from: string): void;
  // ---- notifications ----
  maintenanceSuppressed(blogId: number, eventId: number, kind: "downtime" | "recovery"): Promise<void>;
  cooldownSuppressed(blogId: number, eventId: number, statusId: 1 | 2): Promise<void>;
  wpcomSending(blogId: number, eventId: number, statusId: 1 | 2, statusType: string): Promise<void>;
  wpcomQueued(blogId: number, eventId: number, statusId: 1 | 2): Promise<void>;
  wpcomDropped(statusId: 1 | 2): void;
  alertDelivered(n: WpcomNotification): void;
  // ---- TLS expiry ----
  tlsEventChanged(blogId: number, change: TlsExpiryResult): void;
  // ---- writes that failed ----
  /** `gone`: the event was closed or deleted elsewhere, so memory forgot it. */
  eventWriteFailed(blogId: number, err: unknown, what: string, gone: boolean): void;
  writeFailed(fields: { blog_id: number; event_id?: number }, err: unknown, what: string): void;
}

export interface TelemetryDeps {
  db: Db;
  log: Logger;
  metrics: Metrics;
  hostname: string;
}

export function incidentTelemetry({ db, log, metrics, hostname }: TelemetryDeps): IncidentObserver {
  const audit = async (entries: AuditEntry | AuditEntry[]): Promise<void> => {
    try {
      await writeAudit(db, entries);
    } catch (err) {
      log.error({ err: errorText(err) }, "audit row not written");
    }
  };
  const rpcTiming = (v: Verifier, ms: number) => {
    metrics.timing(VerifierMetric.rpcDuration, ms);
    metrics.timing(VerifierMetric.hostRpcDuration(v.address), ms);
  };
  return {
    checkFailed: (cls) => metrics.increment(DetectionMetric.failure(cls)),
    seemsDownOpened(cls, firstFailAt, at) {
      metrics.increment(DetectionMetric.seemsDownOpen);
      metrics.increment(DetectionMetric.seemsDownOpenClass(cls));
      metrics.timingSince(DetectionMetric.firstFailureToSeemsDown, firstFailAt.getTime(), at);
    },
    retryDispatched: ({ blogId, eventId, result, attempt, of }) =>
      audit({
        eventType: AuditEventType.RetryDispatched,
        blogId,
        eventId,
        source: hostname,
        detail: `retry ${attempt} of ${of}`,
        metadata: {
          http_code: result.httpCode,
          error_code: result.errorCode,
          rtt_ms: result.rttMs,
          attempt,
          of,
          event_id: eventId,
        },
      }),
    escalated(firstFailAt, at) {
      metrics.increment(DetectionMetric.verifierEscalation);
      metrics.timingSince(DetectionMetric.firstFailureToVerification, firstFailAt.getTime(), at);
    },
    noVerifiers: () => metrics.increment(DetectionMetric.verifierNoClients),
    escalationSent: (blogId, verifiers, requestId) =>
      audit({
        eventType: AuditEventType.VeriflierSent,
        blogId,
        source: hostname,
        detail: `escalating to ${verifiers} verifliers`,
        metadata: { verifier_count: verifiers, request_id: requestId },
      }),
    verifierFailed(v, ms, blogId, err) {
      rpcTiming(v, ms);
      metrics.increment(VerifierMetric.rpcError);
      metrics.increment(VerifierMetric.hostRpcError(v.address));
      log.warn({ blog_id: blogId, verifier: v.address, err: errorText(err) }, "verifier check failed");
    },
    verifierAnswered(v, ms, reply) {
      rpcTiming(v, ms);
      metrics.increment(VerifierMetric.rpcSuccess);
      metrics.increment(VerifierMetric.hostRpcSuccess(v.address));
      if (!reply.success) {
        metrics.increment(VerifierMetric.voteConfirmDown);
        metrics.increment(VerifierMetric.hostVoteConfirmDown(v.address));
      } else {
        metrics.increment(VerifierMetric.voteDisagree);
        metrics.increment(VerifierMetric.hostVoteDisagree(v.address));
      }
    },
    async verifierReplies(blogId, requestId, answers) {
      if (answers.length === 0) return;
      await audit(
        answers.map(({ source, reply }) => ({
          eventType: AuditEventType.VeriflierSent,
          blogId,
          source,
          detail: "veriflier reply",
          metadata: {
            http_code: reply.httpCode,
            error_code: reply.errorCode,
            rtt_ms: reply.rttMs,
            success: reply.success,
            request_id: requestId,
          },
        })),
      );
    },
    tallied({ quorum, healthy, confirmations }) {
      metrics.gauge(DetectionMetric.verifierHealthy, healthy);
      metrics.gauge(DetectionMetric.verifierConfirmations, confirmations);
      metrics.gauge(DetectionMetric.verifierQuorum, quorum);
    },
    quorumMet: () => metrics.increment(DetectionMetric.verifierQuorumMet),
    unverified: (blogId, eventId, verifiers) =>
      log.warn(
        { blog_id: blogId, event_id: eventId, verifiers },
        "no verifier answered, site stays seems down",
      ),
    downConfirmed(run, changeTime, verifiers) {
      metrics.increment(DetectionMetric.downConfirmed);
      metrics.increment(DetectionMetric.downConfirmedClass(run.statusType));
      metrics.timingSince(DetectionMetric.seemsDownToDown, run.firstFailAt.getTime(), changeTime.getTime());
      log.info({ blog_id: run.blogId, event_id: run.eventId, verifiers }, "site confirmed down");
    },
    falseAlarm(run, at, v) {
      metrics.increment(DetectionMetric.falseAlarm);
      metrics.increment(DetectionMetric.falseAlarmClass(run.statusType));
      metrics.timingSince(DetectionMetric.seemsDownToFalseAlarm, run.firstFailAt.getTime(), at);
      log.info(
        {
          blog_id: run.blogId,
          event_id: run.eventId,
          quorum: v.quorum,
          healthy: v.healthy,
          confirmed: v.confirmations,
        },
        "verifiers disagree, false alarm",
      );
    },
    probeCleared(cls, firstFailAt, changeTime) {
      metrics.increment(DetectionMetric.probeCleared);
      metrics.increment(DetectionMetric.probeClearedClass(cls));
      metrics.timingSince(
        DetectionMetric.seemsDownToProbeCleared,
        firstFailAt.getTime(),
        changeTime.getTime(),
      );
    },
    recovered: (blogId, eventId, from) =>
      log.info({ blog_id: blogId, event_id: eventId, from }, "site recovered"),
    maintenanceSuppressed: (blogId, eventId, kind) =>
      audit({
        eventType: AuditEventType.MaintenanceActive,
        blogId,
        eventId,
        detail: `${kind} suppressed during maintenance`,
      }),
    cooldownSuppressed: (blogId, eventId, statusId) =>
      audit({
        eventType: AuditEventType.AlertSuppressed,
        blogId,
        eventId,
        detail: "cooldown active",
        metadata: { status_id: statusId },
      }),
    async wpcomSending(blogId, eventId, statusId, statusType) {
      await audit({
        eventType: AuditEventType.WpcomSent,
        blogId,
        eventId,
        detail: `status=${statusId} type=${statusType}`,
      });
      metrics.increment(WpcomMetric.attempt);
      metrics.increment(WpcomMetric.statusAttempt(statusId));
    },
    async wpcomQueued(blogId, eventId, statusId) {
      metrics.increment(WpcomMetric.queued);
      metrics.increment(WpcomMetric.statusError(statusId));
      log.warn({ blog_id: blogId, status_id: statusId }, "wpcom notification queued");
      await audit({
        eventType: AuditEventType.WpcomRetry,
        blogId,
        eventId,
        detail: "queued: wpcom unavailable, sent when the circuit allows",
      });
    },
    wpcomDropped(statusId) {
      metrics.increment(WpcomMetric.dropped);
      metrics.increment(WpcomMetric.failed);
      metrics.increment(WpcomMetric.statusFailed(statusId));
    },
    alertDelivered(n) {
      metrics.increment(WpcomMetric.delivered);
      metrics.increment(WpcomMetric.statusDelivered(n.status_id));
    },
    tlsEventChanged(blogId, change) {
      if (change.action === "none" || change.action === "unchanged") return;
      log.info(
        { blog_id: blogId, days: change.days, action: change.action, event_id: change.eventId },
        "tls expiry event",
      );
    },
    eventWriteFailed(blogId, err, what, gone) {
      if (gone) log.warn({ blog_id: blogId, err: errorText(err) }, `${what}: event no longer open`);
      else log.error({ blog_id: blogId, err: errorText(err) }, what);
    },
    writeFailed: (fields, err, what) => log.error({ ...fields, err: errorText(err) }, what),
  };
}

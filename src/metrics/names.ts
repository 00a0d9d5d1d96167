/**
 * Every metric name the monitor and verifier emit (docs/reference/monitor-core.md §7.2), prefix omitted.
 * Names are branded by kind so a caller cannot pass a free-form string or send a timer as a
 * counter. Parameterised names run their argument through `metricSegment`.
 */
import { metricSegment, wpcomStatusSegment } from "./segment.ts";

declare const kind: unique symbol;
export type Counter = string & { readonly [kind]: "counter" };
export type Gauge = string & { readonly [kind]: "gauge" };
export type Timer = string & { readonly [kind]: "timer" };

const counter = (s: string) => s as Counter;
const gauge = (s: string) => s as Gauge;
const timer = (s: string) => s as Timer;

/** Emitted after every non-empty round. */
export const RoundMetric = {
  completeTime: timer("round.complete.time"),
  workerQueueActive: gauge("worker.queue.active"),
  workerQueueSize: gauge("worker.queue.queue_size"),
  retryQueueSize: gauge("retry.queue.size"),
  sitesPerSec: gauge("round.sps.count"),
  sitesCount: counter("round.sites.count"),
} as const;

/** Only with STATSD_SEND_MEM_USAGE. `rss_mb` is true RSS here (Go sent runtime Sys memory). */
export const ProcessMetric = {
  rssMb: gauge("process.rss_mb"),
  heapAllocMb: gauge("process.heap_alloc_mb"),
} as const;

export const DriftMetric = {
  count: gauge("projection.drift.count"),
  detected: counter("projection.drift.detected.count"),
  checkError: counter("projection.drift.check_error.count"),
} as const;

/** `cls` is the failure class (the check's status type: server, client, https, ...). */
export const DetectionMetric = {
  failure: (cls: string) => counter(`detection.failure.${metricSegment(cls)}.count`),
  seemsDownOpen: counter("detection.seems_down.open.count"),
  seemsDownOpenClass: (cls: string) => counter(`detection.seems_down.open.${metricSegment(cls)}.count`),
  verifierEscalation: counter("detection.verifier.escalation.count"),
  verifierNoClients: counter("detection.verifier.no_clients.count"),
  verifierQuorumMet: counter("detection.verifier.quorum_met.count"),
  falseAlarm: counter("detection.verifier.false_alarm.count"),
  falseAlarmClass: (cls: string) => counter(`detection.verifier.false_alarm.${metricSegment(cls)}.count`),
  downConfirmed: counter("detection.down.confirmed.count"),
  downConfirmedClass: (cls: string) => counter(`detection.down.confirmed.${metricSegment(cls)}.count`),
  probeCleared: counter("detection.probe_cleared.count"),
  probeClearedClass: (cls: string) => counter(`detection.probe_cleared.${metricSegment(cls)}.count`),
  verifierHealthy: gauge("detection.verifier.healthy.count"),
  verifierConfirmations: gauge("detection.verifier.confirmations.count"),
  verifierQuorum: gauge("detection.verifier.quorum.count"),
  firstFailureToSeemsDown: timer("detection.first_failure_to_seems_down.time"),
  firstFailureToVerification: timer("detection.first_failure_to_verification.time"),
  seemsDownToDown: timer("detection.seems_down_to_down.time"),
  seemsDownToFalseAlarm: timer("detection.seems_down_to_false_alarm.time"),
  seemsDownToProbeCleared: timer("detection.seems_down_to_probe_cleared.time"),
} as const;

/** Monitor side of verifier RPC; `hostPort` is the client address, e.g. `veriflier:7803`. */
export const VerifierMetric = {
  rpcDuration: timer("verifier.rpc.duration"),
  hostRpcDuration: (hostPort: string) => timer(`verifier.host.${metricSegment(hostPort)}.rpc.duration`),
  rpcSuccess: counter("verifier.rpc.success.count"),
  rpcError: counter("verifier.rpc.error.count"),
  hostRpcSuccess: (hostPort: string) => counter(`verifier.host.${metricSegment(hostPort)}.rpc.success.count`),
  hostRpcError: (hostPort: string) => counter(`verifier.host.${metricSegment(hostPort)}.rpc.error.count`),
  voteConfirmDown: counter("verifier.vote.confirm_down.count"),
  voteDisagree: counter("verifier.vote.disagree.count"),
  hostVoteConfirmDown: (hostPort: string) =>
    counter(`verifier.host.${metricSegment(hostPort)}.vote.confirm_down.count`),
  hostVoteDisagree: (hostPort: string) =>
    counter(`verifier.host.${metricSegment(hostPort)}.vote.disagree.count`),
  /** Verifier server side. */
  authRejected: counter("verifier.auth.rejected.count"),
  checksReceived: counter("verifier.checks.received.count"),
  checksDuration: timer("verifier.checks.duration.timer"),
} as const;

/** `statusId` is the WPCOM status (0 down, 1 running, 2 confirmed_down, else unknown). */
export const WpcomMetric = {
  attempt: counter("wpcom.notification.attempt.count"),
  error: counter("wpcom.notification.error.count"),
  /** Upstream's immediate retry; kept for dashboards, not emitted (the client queues instead). */
  retry: counter("wpcom.notification.retry.count"),
  retryDelivered: counter("wpcom.notification.retry.delivered.count"),
  failed: counter("wpcom.notification.failed.count"),
  delivered: counter("wpcom.notification.delivered.count"),
  statusAttempt: (statusId: number) =>
    counter(`wpcom.notification.status.${wpcomStatusSegment(statusId)}.attempt.count`),
  statusError: (statusId: number) =>
    counter(`wpcom.notification.status.${wpcomStatusSegment(statusId)}.error.count`),
  statusFailed: (statusId: number) =>
    counter(`wpcom.notification.status.${wpcomStatusSegment(statusId)}.failed.count`),
  statusDelivered: (statusId: number) =>
    counter(`wpcom.notification.status.${wpcomStatusSegment(statusId)}.delivered.count`),
  /** Additions (not in Go): the queue that replaces the retry. */
  queued: counter("wpcom.notification.queued.count"),
  dropped: counter("wpcom.notification.dropped.count"),
  queueDepth: gauge("wpcom.queue.depth"),
  circuitOpen: gauge("wpcom.circuit.open"),
} as const;

/** Additions (not in Go): docs/design.md defect 4, buckets no live host covers. */
export const BucketMetric = {
  uncovered: gauge("bucket.uncovered.count"),
} as const;

export type MetricKind = "counter" | "gauge" | "timer";

/**
 * The Prometheus name of a StatsD name above, so both outputs share this one table:
 * `jetmon_` + dots as underscores; a counter drops a trailing `.count` and ends in `_total`;
 * a timer is a summary in seconds (`_seconds`, after dropping `.time`/`.duration`/`.timer`).
 */
export function prometheusName(name: string, kind: MetricKind): string {
  const base = `jetmon_${name.replace(/[^A-Za-z0-9]+/g, "_")}`;
  if (kind === "counter") return `${base.replace(/_count$/, "")}_total`;
  if (kind === "timer") return `${base.replace(/_(time|duration|timer)$/, "")}_seconds`;
  // `_count` (like `_sum`, `_bucket`) is reserved for summary and histogram series (promlint).
  return base.replace(/_count$/, "");
}

/**
 * Every metric name the monitor and verifier emit (docs/reference/monitor-core.md §7.2), prefix omitted,
 * each with a one-line help text (the `# HELP` line of /metrics).
 * Names are branded by kind so a caller cannot pass a free-form string or send a timer as a
 * counter. Parameterised names run their argument through `metricSegment`; in their help, `{}`
 * stands for that segment.
 */
import { metricSegment, wpcomStatusSegment } from "./segment.ts";

declare const kind: unique symbol;
export type Counter = string & { readonly [kind]: "counter" };
export type Gauge = string & { readonly [kind]: "gauge" };
export type Timer = string & { readonly [kind]: "timer" };

/** Help by exact name, and by `prefix*suffix` template for the parameterised names. */
const helpByName = new Map<string, string>();
const helpByTemplate: { pre: string; post: string; help: string }[] = [];

function named<K extends string>(name: string, help: string): K {
  helpByName.set(name, help);
  return name as K;
}
/** `template` has one `*`, where the argument's segment goes. */
function family<K extends string, A>(template: string, help: string, segment: (a: A) => string): (a: A) => K {
  const [pre = "", post = ""] = template.split("*");
  helpByTemplate.push({ pre, post, help });
  return (a) => `${pre}${segment(a)}${post}` as K;
}

const counter = (name: string, help: string) => named<Counter>(name, help);
const gauge = (name: string, help: string) => named<Gauge>(name, help);
const timer = (name: string, help: string) => named<Timer>(name, help);
const counterPer = (template: string, help: string) => family<Counter, string>(template, help, metricSegment);
const timerPer = (template: string, help: string) => family<Timer, string>(template, help, metricSegment);
const counterPerStatus = (template: string, help: string) =>
  family<Counter, number>(template, help, wpcomStatusSegment);

/** The help text of a name from this table (`{}` filled in), or undefined for any other string. */
export function metricHelp(name: string): string | undefined {
  const exact = helpByName.get(name);
  if (exact !== undefined) return exact;
  for (const t of helpByTemplate) {
    if (name.length <= t.pre.length + t.post.length || !name.startsWith(t.pre) || !name.endsWith(t.post))
      continue;
    const segment = name.slice(t.pre.length, name.length - t.post.length);
    if (/^[a-z0-9_]+$/.test(segment)) return t.help.replace("{}", segment);
  }
  return undefined;
}

/** Emitted after every non-empty round. */
export const RoundMetric = {
  completeTime: timer("round.complete.time", "Duration of a monitoring round."),
  workerQueueActive: gauge("worker.queue.active", "Checks running in the worker pool after the round."),
  workerQueueSize: gauge(
    "worker.queue.queue_size",
    "Checks waiting in the worker pool queue after the round.",
  ),
  retryQueueSize: gauge("retry.queue.size", "Sites in the retry queue (failing, not yet escalated)."),
  sitesPerSec: gauge("round.sps.count", "Sites checked per second in the last round."),
  sitesCount: counter("round.sites.count", "Check results, summed over rounds."),
} as const;

/** Only with STATSD_SEND_MEM_USAGE. `rss_mb` is true RSS here (Go sent runtime Sys memory). */
export const ProcessMetric = {
  rssMb: gauge("process.rss_mb", "Resident set size of the process, in MB."),
  heapAllocMb: gauge("process.heap_alloc_mb", "JavaScript heap in use, in MB."),
} as const;

export const DriftMetric = {
  count: gauge(
    "projection.drift.count",
    "Sites whose legacy status projection differs from the event state.",
  ),
  detected: counter("projection.drift.detected.count", "Projection drift checks that found a difference."),
  checkError: counter("projection.drift.check_error.count", "Projection drift checks that failed to run."),
} as const;

/** `cls` is the failure class (the check's status type: server, client, https, ...). */
export const DetectionMetric = {
  failure: counterPer("detection.failure.*.count", "Failed checks of class {}."),
  seemsDownOpen: counter("detection.seems_down.open.count", "Seems-down incidents opened."),
  seemsDownOpenClass: counterPer(
    "detection.seems_down.open.*.count",
    "Seems-down incidents opened, class {}.",
  ),
  verifierEscalation: counter(
    "detection.verifier.escalation.count",
    "Seems-down sites sent to the verifiers.",
  ),
  verifierNoClients: counter(
    "detection.verifier.no_clients.count",
    "Escalations with no verifier configured or healthy.",
  ),
  verifierQuorumMet: counter(
    "detection.verifier.quorum_met.count",
    "Escalations where the verifiers reached quorum.",
  ),
  falseAlarm: counter(
    "detection.verifier.false_alarm.count",
    "Seems-down incidents the verifiers did not confirm.",
  ),
  falseAlarmClass: counterPer(
    "detection.verifier.false_alarm.*.count",
    "Seems-down incidents the verifiers did not confirm, class {}.",
  ),
  downConfirmed: counter("detection.down.confirmed.count", "Sites confirmed down."),
  downConfirmedClass: counterPer("detection.down.confirmed.*.count", "Sites confirmed down, class {}."),
  probeCleared: counter(
    "detection.probe_cleared.count",
    "Seems-down incidents cleared by a passing re-check.",
  ),
  probeClearedClass: counterPer(
    "detection.probe_cleared.*.count",
    "Seems-down incidents cleared by a passing re-check, class {}.",
  ),
  verifierHealthy: gauge("detection.verifier.healthy.count", "Healthy verifiers at the last escalation."),
  verifierConfirmations: gauge(
    "detection.verifier.confirmations.count",
    "Verifiers that confirmed down at the last escalation.",
  ),
  verifierQuorum: gauge(
    "detection.verifier.quorum.count",
    "Confirmations needed for quorum at the last escalation.",
  ),
  firstFailureToSeemsDown: timer(
    "detection.first_failure_to_seems_down.time",
    "Time from a site's first failed check to seems-down.",
  ),
  firstFailureToVerification: timer(
    "detection.first_failure_to_verification.time",
    "Time from a site's first failed check to the verifiers' verdict.",
  ),
  seemsDownToDown: timer("detection.seems_down_to_down.time", "Time from seems-down to confirmed down."),
  seemsDownToFalseAlarm: timer(
    "detection.seems_down_to_false_alarm.time",
    "Time from seems-down to a false alarm.",
  ),
  seemsDownToProbeCleared: timer(
    "detection.seems_down_to_probe_cleared.time",
    "Time from seems-down to a passing re-check.",
  ),
} as const;

/** Monitor side of verifier RPC; `hostPort` is the client address, e.g. `veriflier:7803`. */
export const VerifierMetric = {
  rpcDuration: timer("verifier.rpc.duration", "Duration of a verifier RPC."),
  hostRpcDuration: timerPer("verifier.host.*.rpc.duration", "Duration of an RPC to verifier {}."),
  rpcSuccess: counter("verifier.rpc.success.count", "Verifier RPCs that returned a result."),
  rpcError: counter("verifier.rpc.error.count", "Verifier RPCs that failed."),
  hostRpcSuccess: counterPer(
    "verifier.host.*.rpc.success.count",
    "RPCs to verifier {} that returned a result.",
  ),
  hostRpcError: counterPer("verifier.host.*.rpc.error.count", "RPCs to verifier {} that failed."),
  voteConfirmDown: counter("verifier.vote.confirm_down.count", "Verifier votes that the site is down."),
  voteDisagree: counter("verifier.vote.disagree.count", "Verifier votes that the site is up."),
  hostVoteConfirmDown: counterPer(
    "verifier.host.*.vote.confirm_down.count",
    "Votes by verifier {} that the site is down.",
  ),
  hostVoteDisagree: counterPer(
    "verifier.host.*.vote.disagree.count",
    "Votes by verifier {} that the site is up.",
  ),
  /** Verifier server side. */
  authRejected: counter("verifier.auth.rejected.count", "Verifier requests refused for a bad auth token."),
  checksReceived: counter("verifier.checks.received.count", "Sites the verifier was asked to check."),
  checksDuration: timer("verifier.checks.duration.timer", "Duration of a verifier check request."),
} as const;

/** `statusId` is the WPCOM status (0 down, 1 running, 2 confirmed_down, else unknown). */
export const WpcomMetric = {
  attempt: counter("wpcom.notification.attempt.count", "WPCOM status notifications attempted."),
  error: counter("wpcom.notification.error.count", "WPCOM notification attempts that failed."),
  /** Upstream's immediate retry; kept for dashboards, not emitted (the client queues instead). */
  retry: counter(
    "wpcom.notification.retry.count",
    "WPCOM notification immediate retries (not emitted; kept for dashboards).",
  ),
  retryDelivered: counter(
    "wpcom.notification.retry.delivered.count",
    "WPCOM notifications delivered on a retry.",
  ),
  failed: counter(
    "wpcom.notification.failed.count",
    "WPCOM notifications given up on (dropped from a full queue).",
  ),
  delivered: counter("wpcom.notification.delivered.count", "WPCOM notifications delivered."),
  statusAttempt: counterPerStatus(
    "wpcom.notification.status.*.attempt.count",
    "WPCOM notifications attempted for status {}.",
  ),
  statusError: counterPerStatus(
    "wpcom.notification.status.*.error.count",
    "WPCOM notifications for status {} not sent at once (queued).",
  ),
  statusFailed: counterPerStatus(
    "wpcom.notification.status.*.failed.count",
    "WPCOM notifications for status {} dropped from a full queue.",
  ),
  statusDelivered: counterPerStatus(
    "wpcom.notification.status.*.delivered.count",
    "WPCOM notifications delivered for status {}.",
  ),
  /** Additions (not in Go): the queue that replaces the retry. */
  queued: counter(
    "wpcom.notification.queued.count",
    "WPCOM notifications not sent at once (circuit open or send failed), queued.",
  ),
  dropped: counter("wpcom.notification.dropped.count", "WPCOM notifications pushed out of a full queue."),
  queueDepth: gauge("wpcom.queue.depth", "WPCOM notifications waiting, including one in flight."),
  circuitOpen: gauge("wpcom.circuit.open", "1 while the WPCOM circuit breaker is open, else 0."),
} as const;

/** Additions (not in Go): docs/design.md defect 4, buckets no live host covers. */
export const BucketMetric = {
  uncovered: gauge("bucket.uncovered.count", "Buckets no live monitor host covers."),
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

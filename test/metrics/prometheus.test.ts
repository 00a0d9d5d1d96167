import { describe, expect, it } from "bun:test";
import {
  DetectionMetric,
  prometheusName,
  RoundMetric,
  VerifierMetric,
  WpcomMetric,
} from "../../src/metrics/names.ts";
import { PrometheusMetrics, teeMetrics } from "../../src/metrics/prometheus.ts";

describe("prometheusName: one table, two outputs", () => {
  it.each([
    [RoundMetric.sitesCount, "counter", "jetmon_round_sites_total"],
    [WpcomMetric.delivered, "counter", "jetmon_wpcom_notification_delivered_total"],
    [DetectionMetric.failure("server"), "counter", "jetmon_detection_failure_server_total"],
    // A gauge never ends in `_count`: that suffix is a summary's (promlint).
    [RoundMetric.sitesPerSec, "gauge", "jetmon_round_sps"],
    [WpcomMetric.queueDepth, "gauge", "jetmon_wpcom_queue_depth"],
    [RoundMetric.completeTime, "timer", "jetmon_round_complete_seconds"],
    [VerifierMetric.rpcDuration, "timer", "jetmon_verifier_rpc_seconds"],
    [VerifierMetric.checksDuration, "timer", "jetmon_verifier_checks_duration_seconds"],
  ] as const)("%s (%s) -> %s", (name, kind, want) => expect(prometheusName(name, kind)).toBe(want));
});

describe("PrometheusMetrics", () => {
  it("renders counters summed, gauges last, timers as summaries in seconds, sorted", () => {
    const p = new PrometheusMetrics();
    expect(p.render()).toBe("");
    p.increment(RoundMetric.sitesCount, 5);
    p.increment(RoundMetric.sitesCount, 2);
    p.gauge(RoundMetric.sitesPerSec, 40);
    p.gauge(RoundMetric.sitesPerSec, 173.9);
    p.timing(RoundMetric.completeTime, 1500);
    p.timing(RoundMetric.completeTime, 500);
    p.timing(RoundMetric.completeTime, -1);
    p.timingSince(RoundMetric.completeTime, 0, 10);
    expect(p.render()).toBe(
      [
        "# TYPE jetmon_round_complete_seconds summary",
        "jetmon_round_complete_seconds_sum 2",
        "jetmon_round_complete_seconds_count 2",
        "# TYPE jetmon_round_sites_total counter",
        "jetmon_round_sites_total 7",
        "# TYPE jetmon_round_sps gauge",
        "jetmon_round_sps 173",
        "",
      ].join("\n"),
    );
  });

  it("tee sends every figure to each output", () => {
    const a = new PrometheusMetrics();
    const b = new PrometheusMetrics();
    const t = teeMetrics(a, b);
    t.increment(WpcomMetric.attempt);
    t.gauge(WpcomMetric.circuitOpen, 1);
    expect(a.render()).toBe(b.render());
    expect(a.render()).toContain("jetmon_wpcom_notification_attempt_total 1");
  });
});

import { describe, expect, it } from "bun:test";
import * as names from "../../src/metrics/names.ts";
import {
  DetectionMetric,
  metricHelp,
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
        "# HELP jetmon_round_complete_seconds Duration of a monitoring round.",
        "# TYPE jetmon_round_complete_seconds summary",
        "jetmon_round_complete_seconds_sum 2",
        "jetmon_round_complete_seconds_count 2",
        "# HELP jetmon_round_sites_total Check results, summed over rounds.",
        "# TYPE jetmon_round_sites_total counter",
        "jetmon_round_sites_total 7",
        "# HELP jetmon_round_sps Sites checked per second in the last round.",
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

/**
 * A strict reader of Prometheus text format 0.0.4, as much as /metrics uses: every family has
 * exactly one `# HELP` then one `# TYPE` line before its samples, names match the metric-name
 * rule, a family appears once, samples belong to the family just declared (a summary's are
 * `_sum` and `_count`), values are numbers, and the text ends in a newline.
 */
function parseExposition(
  text: string,
): Map<string, { help: string; type: string; samples: Map<string, number> }> {
  const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  const TYPES = new Set(["counter", "gauge", "summary", "histogram", "untyped"]);
  const families = new Map<string, { help: string; type: string; samples: Map<string, number> }>();
  if (text !== "" && !text.endsWith("\n")) throw new Error("text does not end in a newline");
  let current: { name: string; help?: string; type?: string } | undefined;
  const lines = text === "" ? [] : text.slice(0, -1).split("\n");
  for (const [i, line] of lines.entries()) {
    const at = `line ${i + 1} ${JSON.stringify(line)}`;
    const help = /^# HELP (\S+) (.*)$/.exec(line);
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (help) {
      const [, name = "", doc = ""] = help;
      if (!NAME.test(name)) throw new Error(`${at}: bad metric name`);
      if (families.has(name)) throw new Error(`${at}: family declared twice`);
      if (/\\[^\\n]/.test(doc.replace(/\\\\/g, ""))) throw new Error(`${at}: bad escape in HELP`);
      if (doc.trim() === "") throw new Error(`${at}: empty HELP`);
      current = { name, help: doc };
      families.set(name, { help: doc, type: "", samples: new Map() });
    } else if (type) {
      const [, name = "", kind = ""] = type;
      if (current?.name !== name || current.type !== undefined)
        throw new Error(`${at}: TYPE not right after its HELP`);
      if (!TYPES.has(kind)) throw new Error(`${at}: unknown type`);
      current.type = kind;
      const f = families.get(name);
      if (f) f.type = kind;
    } else if (line.startsWith("#") || line.trim() === "") {
      throw new Error(`${at}: stray comment or blank line`);
    } else {
      const sample = /^(\S+) (\S+)$/.exec(line);
      if (!sample) throw new Error(`${at}: not a sample`);
      const [, name = "", value = ""] = sample;
      if (!NAME.test(name)) throw new Error(`${at}: bad metric name`);
      if (current?.type === undefined) throw new Error(`${at}: sample before its family's HELP and TYPE`);
      const allowed =
        current.type === "summary" ? [`${current.name}_sum`, `${current.name}_count`] : [current.name];
      if (!allowed.includes(name)) throw new Error(`${at}: sample outside its family ${current.name}`);
      if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?Inf$|^NaN$/.test(value))
        throw new Error(`${at}: bad value`);
      const f = families.get(current.name);
      if (f?.samples.has(name)) throw new Error(`${at}: duplicate sample`);
      f?.samples.set(name, Number(value));
    }
  }
  for (const [name, f] of families)
    if (f.samples.size === 0) throw new Error(`family ${name} has no samples`);
  return families;
}

/** Every name in the table: each plain entry, and each parameterised one with a sample argument. */
function everyName(): string[] {
  const out: string[] = [];
  for (const table of [
    names.RoundMetric,
    names.ProcessMetric,
    names.DriftMetric,
    names.DetectionMetric,
    names.VerifierMetric,
    names.WpcomMetric,
    names.BucketMetric,
  ]) {
    // A WPCOM status function given a string names the `unknown` status.
    for (const v of Object.values(table)) out.push(typeof v === "function" ? v("US-West:7803" as never) : v);
  }
  return out;
}

describe("/metrics text format", () => {
  it("every name in the table has a one-line help text", () => {
    const all = everyName();
    expect(all.length).toBe(59);
    const missing = all.filter((name) => {
      const h = metricHelp(name);
      return h === undefined || h.trim() === "" || h.includes("\n") || h.includes("{}");
    });
    expect(missing).toEqual([]);
    expect(metricHelp(DetectionMetric.failure("Server"))).toBe("Failed checks of class server.");
    expect(metricHelp(WpcomMetric.statusDelivered(2))).toBe(
      "WPCOM notifications delivered for status confirmed_down.",
    );
    expect(metricHelp("not.a.metric")).toBeUndefined();
  });

  it("parses strictly, with HELP and TYPE before every family and no family twice", () => {
    const p = new PrometheusMetrics();
    // Every counter, gauge and timer in the table, through the Metrics interface.
    p.increment(RoundMetric.sitesCount, 3);
    p.increment(DetectionMetric.failure("server"));
    p.increment(DetectionMetric.failure("Server"));
    p.increment(DetectionMetric.seemsDownOpen);
    p.increment(VerifierMetric.hostRpcError("US-West:7803"));
    p.increment(WpcomMetric.statusAttempt(1));
    p.increment(WpcomMetric.statusAttempt(7));
    p.gauge(RoundMetric.sitesPerSec, 12);
    p.gauge(DetectionMetric.verifierHealthy, 2);
    p.gauge(WpcomMetric.circuitOpen, 0);
    p.timing(RoundMetric.completeTime, 1200);
    p.timing(VerifierMetric.hostRpcDuration("veriflier:7803"), 15);
    p.timing(VerifierMetric.checksDuration, 30);
    p.emitMemory();
    const families = parseExposition(p.render());
    expect([...families.keys()]).toContain("jetmon_detection_failure_server_total");
    expect(families.get("jetmon_detection_failure_server_total")).toEqual({
      help: "Failed checks of class server.",
      type: "counter",
      samples: new Map([["jetmon_detection_failure_server_total", 2]]),
    });
    expect(families.get("jetmon_verifier_host_veriflier_7803_rpc_seconds")?.samples).toEqual(
      new Map([
        ["jetmon_verifier_host_veriflier_7803_rpc_seconds_sum", 0.015],
        ["jetmon_verifier_host_veriflier_7803_rpc_seconds_count", 1],
      ]),
    );
    expect(families.size).toBe(14);
    for (const f of families.values()) expect(f.help).not.toStartWith("StatsD ");
  });

  it("the reader refuses what the format does not allow", () => {
    const ok = "# HELP a_total x\n# TYPE a_total counter\na_total 1\n";
    expect(parseExposition(ok).size).toBe(1);
    for (const bad of [
      "# TYPE a_total counter\na_total 1\n",
      "a_total 1\n",
      "# HELP a_total x\n# TYPE a_total counter\na_total 1",
      `${ok}${ok}`,
      "# HELP 1a x\n# TYPE 1a gauge\n1a 1\n",
      "# HELP a x\n# TYPE a gauge\nb 1\n",
      "# HELP a x\n# TYPE a gauge\na one\n",
      "# HELP a x\n# TYPE a summary\na 1\n",
    ]) {
      expect(() => parseExposition(bad)).toThrow();
    }
  });
});

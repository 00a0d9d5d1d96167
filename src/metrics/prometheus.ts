/**
 * `/metrics` in Prometheus text format (0.0.4): the same figures StatsD gets, kept in memory
 * as they are emitted, named by `prometheusName` and described (`# HELP`) by `metricHelp`,
 * both from the one table in names.ts. Counters accumulate, gauges keep the last value,
 * timers are summaries (`_sum` seconds and `_count`).
 */
import { processMemory } from "./memory.ts";
import {
  type Counter,
  type Gauge,
  type MetricKind,
  metricHelp,
  ProcessMetric,
  prometheusName,
  type Timer,
} from "./names.ts";
import type { Metrics } from "./statsd.ts";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export class PrometheusMetrics implements Metrics {
  /** By Prometheus name; `name` is the StatsD name it came from. */
  private readonly values = new Map<
    string,
    { name: string; kind: MetricKind; value: number; count: number }
  >();

  private add(name: string, kind: MetricKind, value: number, replace: boolean): void {
    const key = prometheusName(name, kind);
    const v = this.values.get(key) ?? { name, kind, value: 0, count: 0 };
    v.value = replace ? value : v.value + value;
    v.count++;
    this.values.set(key, v);
  }

  increment(name: Counter, by = 1): void {
    this.add(name, "counter", Math.trunc(by), false);
  }
  gauge(name: Gauge, value: number): void {
    this.add(name, "gauge", Math.trunc(value), true);
  }
  timing(name: Timer, ms: number): void {
    if (ms < 0) return;
    this.add(name, "timer", Math.trunc(ms) / 1000, false);
  }
  timingSince(name: Timer, start: number, end: number): void {
    if (start === 0 || end === 0) return;
    this.timing(name, end - start);
  }
  emitMemory(): void {
    const mem = processMemory();
    this.gauge(ProcessMetric.rssMb, mem.rssMb);
    this.gauge(ProcessMetric.heapAllocMb, mem.heapMb);
  }
  async close(): Promise<void> {}

  /** The exposition text, metrics sorted by name, each family under its HELP and TYPE lines. */
  render(): string {
    const lines: string[] = [];
    for (const [name, v] of [...this.values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      lines.push(`# HELP ${name} ${helpText(metricHelp(v.name) ?? `StatsD ${v.name}.`)}`);
      if (v.kind === "timer") {
        lines.push(`# TYPE ${name} summary`, `${name}_sum ${v.value}`, `${name}_count ${v.count}`);
      } else {
        lines.push(`# TYPE ${name} ${v.kind}`, `${name} ${v.value}`);
      }
    }
    return lines.length > 0 ? `${lines.join("\n")}\n` : "";
  }
}

/** A HELP docstring escapes backslash and newline (text format 0.0.4). */
function helpText(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Sends every figure to each output (StatsD and /metrics). */
export function teeMetrics(...outs: Metrics[]): Metrics {
  return {
    increment: (n, by) => {
      for (const o of outs) o.increment(n, by);
    },
    gauge: (n, v) => {
      for (const o of outs) o.gauge(n, v);
    },
    timing: (n, ms) => {
      for (const o of outs) o.timing(n, ms);
    },
    timingSince: (n, s, e) => {
      for (const o of outs) o.timingSince(n, s, e);
    },
    emitMemory: () => {
      for (const o of outs) o.emitMemory();
    },
    close: async () => {
      await Promise.all(outs.map((o) => o.close()));
    },
  };
}

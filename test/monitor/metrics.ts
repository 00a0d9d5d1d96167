import type { Metrics } from "../../src/metrics/statsd.ts";

/** A Metrics that remembers what it was sent (StatsD itself is a UDP fire-and-forget). */
export interface MetricsRecorder extends Metrics {
  counters: Map<string, number>;
  gauges: Map<string, number>;
  timings: Map<string, number[]>;
  count(name: string): number;
}

export function recordingMetrics(): MetricsRecorder {
  const counters = new Map<string, number>();
  const gauges = new Map<string, number>();
  const timings = new Map<string, number[]>();
  const m: MetricsRecorder = {
    counters,
    gauges,
    timings,
    count: (name) => counters.get(name) ?? 0,
    increment: (name, by = 1) => counters.set(name, (counters.get(name) ?? 0) + by),
    gauge: (name, v) => gauges.set(name, v),
    timing: (name, ms) => {
      if (!(ms >= 0)) return;
      timings.set(name, [...(timings.get(name) ?? []), ms]);
    },
    timingSince: (name, start, end) => {
      if (start === 0 || end === 0) return;
      m.timing(name, end - start);
    },
    emitMemory: () => {},
    close: async () => {},
  };
  return m;
}

import { StatsD } from "hot-shots";
import type { Logger } from "../log.ts";
import { processMemory } from "./memory.ts";
import { type Counter, type Gauge, ProcessMetric, type Timer } from "./names.ts";
import { metricPrefix } from "./segment.ts";

export const STATSD_ADDR_DEFAULT = "127.0.0.1:8125";

/**
 * Fire-and-forget metrics. No method blocks or throws, whether or not StatsD is listening:
 * a metric is a UDP datagram, and send errors are counted and logged at most once a minute.
 */
export interface Metrics {
  increment(name: Counter, by?: number): void;
  gauge(name: Gauge, value: number): void;
  /** Whole milliseconds; a negative duration is dropped. */
  timing(name: Timer, ms: number): void;
  /** `end - start` in ms; dropped if either is 0 (an unset time) or the result is negative. */
  timingSince(name: Timer, start: number, end: number): void;
  /** Gauges `process.rss_mb` (true RSS) and `process.heap_alloc_mb`. */
  emitMemory(): void;
  close(): Promise<void>;
}

/** Parses STATSD_ADDR: `host:port` or `[v6]:port`; empty or undefined gives the default. */
export function parseStatsdAddr(addr: string | undefined): { host: string; port: number } {
  const s = (addr ?? "").trim() || STATSD_ADDR_DEFAULT;
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : Number.NaN;
  const host = m?.[1] ?? m?.[2];
  if (host === undefined || port < 1 || port > 65535) {
    throw new Error(`STATSD_ADDR: expected host:port with a port from 1 to 65535, got ${JSON.stringify(s)}`);
  }
  return { host, port };
}

export interface StatsdOptions {
  /** STATSD_ADDR (host:port); default 127.0.0.1:8125. */
  addr?: string;
  /** The OS hostname; `.` and `-` become `_` in the prefix. */
  hostname: string;
  log: Logger;
  now?: () => number;
}

const ERROR_LOG_INTERVAL_MS = 60_000;

/** A StatsD client over UDP via hot-shots. Throws only for a malformed `addr`. */
export function createStatsdMetrics(o: StatsdOptions): Metrics {
  const { host, port } = parseStatsdAddr(o.addr);
  const now = o.now ?? Date.now;
  let errors = 0;
  let lastLogged = Number.NEGATIVE_INFINITY;
  const onError = (err: Error) => {
    errors++;
    const t = now();
    if (t - lastLogged < ERROR_LOG_INTERVAL_MS) return;
    lastLogged = t;
    o.log.warn(
      { err: err.message, statsd_addr: `${host}:${port}`, errors_total: errors },
      "statsd send failed",
    );
  };
  const client = new StatsD({
    host,
    port,
    prefix: metricPrefix(o.hostname),
    protocol: "udp",
    cacheDns: true,
    udpSocketOptions: { type: host.includes(":") ? "udp6" : "udp4" },
    errorHandler: onError,
  });
  // hot-shots can throw synchronously (e.g. a socket already closed); never let that escape.
  const safely = (f: () => void) => {
    try {
      f();
    } catch (err) {
      onError(err instanceof Error ? err : new Error(String(err)));
    }
  };
  const m: Metrics = {
    increment: (name, by = 1) => safely(() => client.increment(name, Math.trunc(by))),
    gauge: (name, value) => safely(() => client.gauge(name, Math.trunc(value))),
    timing: (name, ms) => {
      if (!(ms >= 0)) return;
      safely(() => client.timing(name, Math.trunc(ms)));
    },
    timingSince: (name, start, end) => {
      if (start === 0 || end === 0) return;
      m.timing(name, end - start);
    },
    emitMemory: () => {
      const mem = processMemory();
      m.gauge(ProcessMetric.rssMb, mem.rssMb);
      m.gauge(ProcessMetric.heapAllocMb, mem.heapMb);
    },
    close: () =>
      new Promise<void>((resolve) => {
        try {
          client.close(() => resolve());
        } catch {
          resolve();
        }
      }),
  };
  return m;
}

/** For processes or tests that run without StatsD. */
export const noopMetrics: Metrics = {
  increment: () => {},
  gauge: () => {},
  timing: () => {},
  timingSince: () => {},
  emitMemory: () => {},
  close: async () => {},
};

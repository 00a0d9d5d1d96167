import { type StatsCb, StatsD } from "hot-shots";
import type { Logger } from "../log.ts";
import { processMemory } from "./memory.ts";
import { type Counter, type Gauge, ProcessMetric, type Timer } from "./names.ts";
import { metricPrefix } from "./segment.ts";

export const STATSD_ADDR_DEFAULT = "127.0.0.1:8125";

/**
 * Fire-and-forget metrics. No method blocks or throws, whether or not StatsD is listening:
 * a metric is a UDP datagram, and send errors are counted and logged at most once a minute.
 * A metric sent after `close` is dropped.
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
/**
 * After a failed name lookup, metrics are dropped (and counted as errors) for this long instead
 * of each starting a lookup of its own: hot-shots caches an address, never a failure, so an
 * unresolvable STATSD_ADDR cost a getaddrinfo per metric, thousands a second.
 */
const LOOKUP_RETRY_MS = 10_000;
const LOOKUP_ERRORS = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "EAI_NONAME", "EAI_NODATA"]);
/** How long `close` waits for sends still in flight (a slow DNS lookup) before dropping them. */
const CLOSE_DRAIN_MS = 500;

const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));

/**
 * A StatsD client over UDP via hot-shots. Throws only for a malformed `addr`.
 *
 * Every send carries its own callback, so this module counts what is in flight and routes
 * every error to `log`. `close` waits up to `CLOSE_DRAIN_MS` for those sends; if some are
 * still pending it logs one warning and closes the socket itself, because hot-shots' own
 * `close` prints a raw stderr line ("could not clear out messages in flight") in that case,
 * whatever errorHandler it was given.
 */
export function createStatsdMetrics(o: StatsdOptions): Metrics {
  const { host, port } = parseStatsdAddr(o.addr);
  const statsdAddr = `${host}:${port}`;
  const now = o.now ?? Date.now;
  let errors = 0;
  let lastLogged = Number.NEGATIVE_INFINITY;
  let state: "open" | "closing" | "closed" = "open";
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  let closing: Promise<void> | undefined;
  // After a failed lookup: drop until lookupRetryAt, then let one metric through as the probe.
  let lookupFailed = false;
  let lookupRetryAt = 0;
  const onError = (err: Error) => {
    if (state === "closed") return;
    errors++;
    const code = (err as NodeJS.ErrnoException).code;
    if (code && LOOKUP_ERRORS.has(code)) {
      lookupFailed = true;
      lookupRetryAt = now() + LOOKUP_RETRY_MS;
    }
    const t = now();
    if (t - lastLogged < ERROR_LOG_INTERVAL_MS) return;
    lastLogged = t;
    o.log.warn({ err: err.message, statsd_addr: statsdAddr, errors_total: errors }, "statsd send failed");
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
  const send = (f: (done: StatsCb) => void) => {
    if (state !== "open") return;
    if (lookupFailed) {
      if (now() < lookupRetryAt) {
        errors++;
        return;
      }
      lookupRetryAt = now() + LOOKUP_RETRY_MS;
    }
    let finished = false;
    const done = (err?: Error) => {
      if (finished) return;
      finished = true;
      inFlight--;
      if (err) onError(err);
      else lookupFailed = false;
      if (inFlight === 0) onIdle?.();
    };
    inFlight++;
    try {
      f(done);
    } catch (err) {
      done(asError(err));
    }
  };
  const drained = () =>
    new Promise<boolean>((resolve) => {
      if (inFlight === 0) return resolve(true);
      const timer = setTimeout(() => resolve(false), CLOSE_DRAIN_MS);
      onIdle = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  const shutdown = async () => {
    state = "closing";
    if (!(await drained())) {
      o.log.warn({ statsd_addr: statsdAddr, unsent: inFlight }, "statsd closed with metrics unsent");
      state = "closed";
      try {
        client.socket.close();
      } catch {}
      return;
    }
    await new Promise<void>((resolve) => {
      const closed = (err?: Error) => {
        if (err) o.log.warn({ err: err.message, statsd_addr: statsdAddr }, "statsd close failed");
        resolve();
      };
      try {
        client.close(closed);
      } catch (err) {
        closed(asError(err));
      }
    });
    state = "closed";
  };
  const m: Metrics = {
    increment: (name, by = 1) => send((done) => client.increment(name, Math.trunc(by), done)),
    gauge: (name, value) => send((done) => client.gauge(name, Math.trunc(value), done)),
    timing: (name, ms) => {
      if (!(ms >= 0)) return;
      send((done) => client.timing(name, Math.trunc(ms), done));
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
    close: () => {
      closing ??= shutdown();
      return closing;
    },
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

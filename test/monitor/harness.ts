/**
 * Builds an in-process Orchestrator on the test database, with real pool, fixture and WPCOM
 * client. Its clock and timers (and the checks' `checkedAt`) run TIME_SCALE times faster than
 * the wall, so a 1 s check interval passes in a quarter second; figures read in monitor time.
 */
import { CheckPool } from "../../src/check/pool.ts";
import type { Config } from "../../src/config/schema.ts";
import type { Db } from "../../src/db/client.ts";
import { createLogger, type Logger, silentLogger } from "../../src/log.ts";
import { Orchestrator, type OrchestratorTimings } from "../../src/monitor/orchestrator.ts";
import type { Verifier } from "../../src/monitor/ports.ts";
import type { TimerSource } from "../../src/timers.ts";
import { WpcomClient } from "../../src/wpcom/client.ts";
import { scaledTimers } from "../support/timers.ts";
import { type MetricsRecorder, recordingMetrics } from "./metrics.ts";
import { testConfig } from "./support.ts";

export interface Harness {
  orch: Orchestrator;
  cfg: { current: Config };
  wpcom: WpcomClient;
  metrics: MetricsRecorder;
  pool: CheckPool;
  verifiers: Verifier[];
  /** The monitor's clock and timers. */
  timers: TimerSource;
  /** Drains with a deadline `ms` of monitor time from now (default 5 s). */
  drain(ms?: number): Promise<boolean>;
  /** Resolves after `ms` of monitor time. */
  sleep(ms: number): Promise<void>;
}

/** How much faster than the wall the harness's monitor runs. */
export const TIME_SCALE = 4;

export function buildOrchestrator(
  db: Db,
  opts: {
    hostname?: string;
    config?: Partial<Config>;
    wpcomUrl: string;
    verifiers?: Verifier[];
    timings?: OrchestratorTimings;
    ca?: string;
    halfOpenAfterMs?: number;
    log?: Logger;
    heapMb?: () => number;
    timers?: TimerSource;
  },
): Harness {
  const timers = opts.timers ?? scaledTimers(TIME_SCALE);
  const cfg = { current: testConfig(opts.config) };
  const metrics = recordingMetrics();
  const hostname = opts.hostname ?? "test-host";
  const verifiers = opts.verifiers ?? [];
  let orch: Orchestrator | null = null;
  const wpcom = new WpcomClient({
    endpoint: opts.wpcomUrl,
    authToken: cfg.current.AUTH_TOKEN,
    now: Date.now,
    log: silentLogger,
    halfOpenAfterMs: opts.halfOpenAfterMs,
    timeoutMs: 2000,
    onDelivered: (n) => orch?.notificationDelivered(n),
  });
  const pool = new CheckPool({
    size: cfg.current.NUM_WORKERS,
    queueLimit: 0,
    logger: silentLogger,
    checkOptions: { now: () => timers.now(), ...(opts.ca ? { ca: opts.ca } : {}) },
  });
  orch = new Orchestrator({
    db,
    hostname,
    log: opts.log ?? (process.env.MONITOR_TEST_LOG ? createLogger({ level: "debug" }) : silentLogger),
    metrics,
    config: () => cfg.current,
    pool,
    wpcom,
    verifiers: () => verifiers,
    heapMb: opts.heapMb,
    timers,
    timings: { refreshMs: 500, claimMs: 500, flushMs: 200, driftMs: 500, wpcomFlushMs: 200, ...opts.timings },
  });
  const o = orch;
  return {
    orch: o,
    cfg,
    wpcom,
    metrics,
    pool,
    verifiers,
    timers,
    drain: (ms = 5000) => o.drain(timers.now() + ms),
    sleep: (ms) => new Promise((r) => timers.setTimeout(r, ms)),
  };
}

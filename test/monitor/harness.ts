/** Builds an in-process Orchestrator on the test database, with real pool, fixture and WPCOM client. */
import { CheckPool } from "../../src/check/pool.ts";
import type { Config } from "../../src/config/schema.ts";
import type { Db } from "../../src/db/client.ts";
import { createLogger, type Logger, silentLogger } from "../../src/log.ts";
import { Orchestrator, type OrchestratorTimings } from "../../src/monitor/orchestrator.ts";
import type { Verifier } from "../../src/monitor/ports.ts";
import { WpcomClient } from "../../src/wpcom/client.ts";
import { type MetricsRecorder, recordingMetrics } from "./metrics.ts";
import { testConfig } from "./support.ts";

export interface Harness {
  orch: Orchestrator;
  cfg: { current: Config };
  wpcom: WpcomClient;
  metrics: MetricsRecorder;
  pool: CheckPool;
  verifiers: Verifier[];
}

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
  },
): Harness {
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
    checkOptions: opts.ca ? { ca: opts.ca } : undefined,
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
    timings: { refreshMs: 500, claimMs: 500, flushMs: 200, driftMs: 500, wpcomFlushMs: 200, ...opts.timings },
  });
  return { orch, cfg, wpcom, metrics, pool, verifiers };
}

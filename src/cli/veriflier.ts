import { ensureFetchCapacity } from "../check/capacity.ts";
import type { CheckRequest, CheckResult } from "../check/types.ts";
import { dashboardListenHost } from "../config/bind-addr.ts";
import { hostIdentity } from "../host-identity.ts";
import { type Logger, log } from "../log.ts";
import { createStatsdMetrics, type Metrics } from "../metrics/statsd.ts";
import { loadVeriflierConfig, VeriflierConfigError } from "../veriflier/config.ts";
import { createVeriflierServer, type VeriflierMetrics } from "../veriflier/server.ts";
import { VERSION } from "../version.ts";
import type { CliContext, Command } from "./context.ts";
import { watchSignals } from "./process.ts";

/** How long in-flight checks may run after SIGINT/SIGTERM (Go: 30 s). */
export const SHUTDOWN_GRACE_MS = 30_000;
/** Fetch slots beyond the check concurrency, for the TLS-expiry probes' neighbours. */
const FETCH_HEADROOM = 16;

export interface RunVeriflierOptions {
  /** Resolves with a reason when the process should stop. */
  shutdown: Promise<string>;
  checkSite?: (req: CheckRequest) => Promise<CheckResult>;
  /** Bind address; default all IPv4 interfaces. */
  hostname?: string;
  logger?: Logger;
  metrics?: VeriflierMetrics;
  reportedHost?: string;
  /** Told the bound port once listening (tests pass port 0). */
  onListening?: (port: number) => void;
}

/** `jetmon2 --mode=veriflier`: serve until SIGINT/SIGTERM, then finish in-flight checks. */
export const veriflierCommand: Command = async (ctx) => {
  const signals = watchSignals(process, { log });
  try {
    return await runVeriflier(ctx, { shutdown: signals.stopped });
  } finally {
    signals.dispose();
  }
};

export async function runVeriflier(ctx: CliContext, opts: RunVeriflierOptions): Promise<number> {
  const logger = opts.logger ?? log;
  let config: ReturnType<typeof loadVeriflierConfig>;
  try {
    config = loadVeriflierConfig(ctx.env, undefined, ctx.configFromFlag ? ctx.configPath : undefined);
  } catch (err) {
    if (err instanceof VeriflierConfigError) {
      ctx.err(`veriflier: ${err.message}`);
      return 1;
    }
    throw err;
  }
  // Re-executes this process when Bun's fetch cap is below the concurrency (see capacity.ts).
  ensureFetchCapacity(config.checkConcurrency + FETCH_HEADROOM);

  // StatsD is optional (docs/reference/monitor-core.md §5.3): STATSD_ADDR turns it on; it never stops the verifier.
  let statsd: Metrics | null = null;
  if (!opts.metrics && ctx.env.STATSD_ADDR) {
    try {
      statsd = createStatsdMetrics({
        addr: ctx.env.STATSD_ADDR,
        hostname: hostIdentity(ctx.env),
        log: logger,
      });
    } catch (err) {
      logger.warn({ statsd_addr: ctx.env.STATSD_ADDR, err: String(err) }, "statsd disabled");
    }
  }

  let server: ReturnType<typeof createVeriflierServer>;
  try {
    server = createVeriflierServer({
      token: config.authToken,
      port: config.port,
      hostname: opts.hostname ?? (config.bindAddr ? dashboardListenHost(config.bindAddr) : undefined),
      checkConcurrency: config.checkConcurrency,
      checkSite: opts.checkSite,
      reportedHost: opts.reportedHost ?? hostIdentity(ctx.env),
      logger,
      metrics: opts.metrics ?? statsd ?? undefined,
    });
  } catch (err) {
    ctx.err(
      `veriflier: cannot listen on port ${config.port}: ${(err as { code?: string }).code ?? String(err)}`,
    );
    await statsd?.close();
    return 1;
  }
  logger.info(
    {
      port: server.port,
      version: VERSION,
      config: config.source ?? "env",
      check_concurrency: config.checkConcurrency,
    },
    "veriflier listening",
  );
  opts.onListening?.(server.port);

  const reason = await opts.shutdown;
  logger.info({ signal: reason, grace_ms: SHUTDOWN_GRACE_MS }, "veriflier stopping");
  await server.stop(SHUTDOWN_GRACE_MS);
  await statsd?.close();
  logger.info({}, "veriflier stopped");
  return 0;
}

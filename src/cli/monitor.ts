/**
 * `jetmon2 --mode=monitor` (and `jetmon2` with no arguments): checks the sites in this host's
 * buckets until SIGINT/SIGTERM, then drains and exits 0 (or 1 when the drain stalls for 30 s).
 * Resolves with the exit code; never calls process.exit.
 */
import { startMonitorApi } from "../api/server.ts";
import { ensureFetchCapacity } from "../check/capacity.ts";
import { CheckPool } from "../check/pool.ts";
import { dashboardBindWarning } from "../config/bind-addr.ts";
import { configuredDirs, prepareDirs } from "../config/dirs.ts";
import { dbSettingsFromConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { ConfigStore } from "../config/store.ts";
import { pinnedBucketRange } from "../config/validate.ts";
import { createDashboardApp, type RunningDashboard, startDashboard } from "../dashboard/app.ts";
import { rolloutCommands } from "../dashboard/commands.ts";
import { DashboardHub } from "../dashboard/hub.ts";
import { createDb, type Db } from "../db/client.ts";
import { connectWithRetry, createPool, type Pool } from "../db/pool.ts";
import { schemaVerdict } from "../db/schema-state.ts";
import { buildAlertDispatchers } from "../delivery/dispatchers.ts";
import { alertTransportOptionsFromConfig, replayFromConfig } from "../delivery/from-config.ts";
import { embeddedOwnerStatus } from "../delivery/ownership.ts";
import { type DeliveryRuntime, startDeliveryRuntime } from "../delivery/runtime.ts";
import { errorText } from "../error-text.ts";
import { fleetOptionsFromConfig } from "../fleet/types.ts";
import { LifecyclePublisher } from "../fleethealth/publisher.ts";
import { hostIdentity } from "../host-identity.ts";
import { log as defaultLog, type Logger } from "../log.ts";
import { PrometheusMetrics, teeMetrics } from "../metrics/prometheus.ts";
import { createStatsdMetrics, type Metrics, noopMetrics } from "../metrics/statsd.ts";
import { Orchestrator, type OrchestratorTimings } from "../monitor/orchestrator.ts";
import { inspectPidFile, pidFilePath, removePidFile, writePidFile } from "../monitor/pidfile.ts";
import { reloadOutcomePath, reportReload } from "../monitor/reload-outcome.ts";
import { VerifierSet } from "../monitor/verifiers.ts";
import { USER_AGENT } from "../version.ts";
import { WpcomClient } from "../wpcom/client.ts";
import { bindProblem } from "./bind-check.ts";
import type { CliContext, Command } from "./context.ts";
import { MonitorHeartbeat } from "./monitor-heartbeat.ts";
import { CleanupStack, type SignalSource, watchSignals, withinHardStop } from "./process.ts";

export interface MonitorCommandOptions {
  signals?: SignalSource;
  log?: Logger;
  /** Overrides the OS hostname (also JETMON_HOSTNAME). */
  hostname?: string;
  /** A stalled drain is abandoned after this long (default 30 s) and the command returns 1. */
  drainTimeoutMs?: number;
  /** Re-exec to raise Bun's fetch cap when NUM_WORKERS needs it (default true; tests say false). */
  raiseFetchCap?: boolean;
  /** DB connect attempts (default 10). */
  connectAttempts?: number;
  timings?: OrchestratorTimings;
  /** WPCOM request timeout (default the client's 15 s). */
  wpcomTimeoutMs?: number;
  /** Called once everything runs (tests read the dashboard port and figures here). */
  onReady?: (rt: MonitorRuntime) => void;
}

export interface MonitorRuntime {
  orchestrator: Orchestrator;
  dashboard: RunningDashboard | null;
  hostname: string;
  /** Starts the same drain a SIGTERM starts. */
  shutdown(): void;
}

/** Sockets beyond the check pool: verifier, WPCOM and dashboard probe calls share Bun's fetch cap. */
const FETCH_HEADROOM = 64;

export function createMonitorCommand(opts: MonitorCommandOptions = {}): Command {
  return (ctx) => runMonitor(ctx, opts);
}

export const monitorCommand: Command = createMonitorCommand();

/** Setup in start-up order; each step that can refuse returns null after telling the operator. */
async function runMonitor(ctx: CliContext, opts: MonitorCommandOptions): Promise<number> {
  const log = opts.log ?? defaultLog;
  const store = loadConfig(ctx, log);
  if (!store) return 1;
  const cfg = store.current;
  // Re-exec (to raise the fetch cap) first, so the warnings are logged once, by the final process.
  if (opts.raiseFetchCap !== false)
    ensureFetchCapacity(cfg.NUM_WORKERS + FETCH_HEADROOM, { dnsTtlSeconds: 0 });
  for (const warning of store.warnings) log.warn({ path: ctx.configPath, warning }, "config warning");
  const hostname = opts.hostname || hostIdentity(ctx.env);
  const dirs = logStartup(log, cfg, hostname);
  if (!portsBindable(ctx, cfg)) return 1;

  const cleanup = new CleanupStack();
  const finish = async (code: number) => {
    await cleanup.run();
    return code;
  };
  const pool = await openDatabase(ctx, cfg, log, opts.connectAttempts ?? 10, cleanup);
  const pidPath = pidFilePath(ctx.env);
  if (!pool || !claimPidFile(ctx, log, pidPath, cleanup)) return finish(1);

  const db = createDb(pool);
  const engine = await startEngine({ ctx, db, hostname, log, store, dirs, opts, cleanup });
  if (!engine) return finish(1);
  const { orchestrator, wpcom, prometheus } = engine;
  /** A later step refused: stop the checks already running, then unwind. */
  const abandon = async () => {
    await orchestrator.drain(Date.now() + 5000).catch(() => {});
    return finish(1);
  };
  const delivery = await startEmbeddedDelivery({ ctx, db, hostname, log, cfg, cleanup });
  if (delivery === "failed") return abandon();

  const hub = new DashboardHub();
  const heartbeat = new MonitorHeartbeat({
    db,
    hostname,
    config: () => store.current,
    figures: () => orchestrator.figures(),
    wpcom: () => wpcom.state(),
    dirs,
    deliveryWorkersEnabled: delivery !== null,
    hub,
    startedAt: new Date(),
  });
  const dashboard = startDashboardIfEnabled({ ctx, db, log, store, heartbeat, hub, cleanup, prometheus });
  if (dashboard === "failed") return abandon();
  const api = startMonitorApi({ config: () => store.current, db, log });
  if (api === "failed") return abandon();
  if (api) cleanup.push(() => api.stop());
  const publisher = new LifecyclePublisher({
    db,
    intervalMs: cfg.STATS_UPDATE_INTERVAL_MS,
    log,
    build: (phase) => heartbeat.build(phase),
  });
  heartbeat.refresh();
  publisher.start();

  const signals = watchSignals(opts.signals ?? process, {
    log,
    onReload: () => {
      log.info("received SIGHUP, reloading config");
      const r = store.reload();
      if (r.ok) orchestrator.configChanged();
      reportReload(reloadOutcomePath(pidPath), r, log);
    },
  });
  cleanup.push(() => signals.dispose());
  log.info(
    { host: hostname, sites: orchestrator.figures().sites, dashboard: dashboard?.addr ?? "disabled" },
    "monitor running",
  );
  opts.onReady?.({ orchestrator, dashboard, hostname, shutdown: () => signals.stop() });
  await signals.stopped;
  log.info({ host: hostname }, "received shutdown signal, draining");
  const clean = await shutDown({ publisher, orchestrator, delivery, wpcom, log }, drainTimeoutMs(ctx, opts));
  log.info({ clean }, "shutdown complete");
  return finish(clean ? 0 : 1);
}

/** 30 s; JETMON_DRAIN_TIMEOUT_MS (at least 2000) lets the fault suite scale it (docs/operations.md). */
function drainTimeoutMs(ctx: CliContext, opts: MonitorCommandOptions): number {
  const fromEnv = Number(ctx.env.JETMON_DRAIN_TIMEOUT_MS);
  return opts.drainTimeoutMs ?? (fromEnv >= 2000 ? fromEnv : 30_000);
}

/** A port that cannot be bound stops start-up, naming the address and the reason (port 0 is off). */
function portsBindable(ctx: CliContext, cfg: Config): boolean {
  const dashboard = bindProblem("DASHBOARD_PORT", cfg.DASHBOARD_BIND_ADDR, cfg.DASHBOARD_PORT);
  if (dashboard) ctx.err(`dashboard: ${dashboard}`);
  const api = dashboard ? null : bindProblem("API_PORT", cfg.API_BIND_ADDR, cfg.API_PORT);
  if (api) ctx.err(`api: ${api}`);
  return !dashboard && !api;
}

/**
 * The drain (docs/reference/dashboard-fleethealth.md §2.5 order): write `stopping`; stop delivery claiming and drain the
 * orchestrator, then flush WPCOM, all before `stopped` is written so the fleet never reads
 * `stopped` while this process still sends. At the hard stop (`drainMs`) the steps still
 * running are abandoned, and `stopped` is written anyway; the caller closes the pool only
 * after this resolves, that is after `stopped` was written or its own bound passed.
 */
async function shutDown(
  p: {
    publisher: LifecyclePublisher;
    orchestrator: Orchestrator;
    delivery: DeliveryRuntime | null;
    wpcom: WpcomClient;
    log: Logger;
  },
  drainMs: number,
): Promise<boolean> {
  let clean = false;
  // Both deadlines count from the signal, not from when their step begins.
  const signalledAt = Date.now();
  await p.publisher.shutdown({
    // `stopped` is retried until just before the hard stop when MySQL is away (issue 15).
    deadline: signalledAt + drainMs - 500,
    beforeStopped: async () => {
      const finished = await withinHardStop(
        async () => {
          const [drained] = await Promise.all([
            p.orchestrator.drain(signalledAt + drainMs - 1000),
            p.delivery?.stop(),
          ]);
          await p.wpcom.flush().catch(() => {});
          clean = drained;
        },
        drainMs,
        p.log,
      );
      if (!finished) clean = false;
    },
  });
  return clean;
}

function loadConfig(ctx: CliContext, log: Logger): ConfigStore | null {
  let store: ConfigStore;
  try {
    store = new ConfigStore(ctx.configPath, ctx.env, { logger: log });
  } catch (err) {
    ctx.err(`load config: ${errorText(err)}`);
    return null;
  }
  return store;
}

/** Logs the start-up line and warnings; resolves and creates the logs and stats folders. */
function logStartup(log: Logger, cfg: Config, hostname: string): { logs: string; stats: string } {
  const pinned = pinnedBucketRange(cfg);
  log.info(
    {
      host: hostname,
      legacy_status_projection: cfg.LEGACY_STATUS_PROJECTION_ENABLE ? "enabled" : "disabled",
      bucket_ownership: pinned ? `pinned range=${pinned.min}-${pinned.max}` : "dynamic jetmon_hosts",
      workers: cfg.NUM_WORKERS,
      verifiers: cfg.VERIFIERS.length,
    },
    "monitor starting",
  );
  const bindWarning = dashboardBindWarning(cfg);
  if (bindWarning) log.warn({ bind_addr: cfg.DASHBOARD_BIND_ADDR }, bindWarning);
  const dirs = configuredDirs(cfg);
  for (const problem of prepareDirs(dirs)) log.error({ problem }, "folder not usable");
  if (cfg.VERIFIERS.length === 0) {
    log.warn("no verifiers configured: down confirmations rely on local checks only");
  }
  return dirs;
}

/** Connects (with retries) and checks the schema; the pool closes last, at cleanup. */
async function openDatabase(
  ctx: CliContext,
  cfg: Config,
  log: Logger,
  attempts: number,
  cleanup: CleanupStack,
): Promise<Pool | null> {
  const pool = createPool(dbSettingsFromConfig(cfg), { queryTimeoutMs: cfg.DB_QUERY_TIMEOUT_MS });
  cleanup.push(() => pool.end());
  try {
    await connectWithRetry(pool, attempts, {
      onRetry: (attempt, err) => log.warn({ attempt, err: errorText(err) }, "db connect failed, retrying"),
    });
  } catch (err) {
    ctx.err(`db connect: ${errorText(err)}`);
    return null;
  }
  const schema = await schemaVerdict(pool);
  if (schema.refuse) {
    ctx.err(schema.refuse);
    return null;
  }
  if (schema.warning) log.warn({ pending_migrations: schema.pending }, schema.warning);
  return pool;
}

function claimPidFile(ctx: CliContext, log: Logger, pidPath: string, cleanup: CleanupStack): boolean {
  const existing = inspectPidFile(pidPath);
  if (existing.state === "running" && existing.pid !== process.pid) {
    ctx.err(
      `another jetmon2 is running with pid ${existing.pid} (${pidPath}); stop it first or set JETMON_PID_FILE`,
    );
    return false;
  }
  try {
    writePidFile(pidPath);
    cleanup.push(() => removePidFile(pidPath));
  } catch (err) {
    log.warn({ path: pidPath, err: errorText(err) }, "could not write pid file");
  }
  return true;
}

/** Metrics, WPCOM, the check pool, verifiers and the orchestrator, started. */
async function startEngine(p: {
  ctx: CliContext;
  db: Db;
  hostname: string;
  log: Logger;
  store: ConfigStore;
  dirs: { logs: string; stats: string };
  opts: MonitorCommandOptions;
  cleanup: CleanupStack;
}): Promise<{ orchestrator: Orchestrator; wpcom: WpcomClient; prometheus: PrometheusMetrics } | null> {
  const { db, hostname, log, store } = p;
  const cfg = store.current;
  // StatsD (when configured) and /metrics get the same figures.
  const prometheus = new PrometheusMetrics();
  const metrics: Metrics = teeMetrics(
    cfg.STATSD_ADDR ? createStatsdMetrics({ addr: cfg.STATSD_ADDR, hostname, log }) : noopMetrics,
    prometheus,
  );
  p.cleanup.push(() => metrics.close());
  let orch: Orchestrator | null = null;
  const wpcom = new WpcomClient({
    endpoint: cfg.WPCOM_STATUS_ENDPOINT,
    authToken: cfg.AUTH_TOKEN,
    now: Date.now,
    log,
    timeoutMs: p.opts.wpcomTimeoutMs,
    onDelivered: (n) => orch?.notificationDelivered(n),
  });
  const verifiers = new VerifierSet();
  const orchestrator = new Orchestrator({
    db,
    hostname,
    log,
    metrics,
    statsFiles: cfg.STATSD_ADDR !== "" && p.dirs.stats !== "" ? p.dirs.stats : false,
    config: () => store.current,
    pool: new CheckPool({ size: cfg.NUM_WORKERS, queueLimit: 0, logger: log }),
    wpcom,
    verifiers: () => verifiers.current(store.current.VERIFIERS),
    timings: p.opts.timings,
    dataDir: cfg.DATA_DIR,
  });
  orch = orchestrator;
  try {
    await orchestrator.start();
  } catch (err) {
    p.ctx.err(errorText(err));
    await orchestrator.drain(Date.now() + 5000).catch(() => {});
    return null;
  }
  return { orchestrator, wpcom, prometheus };
}
/**
 * Embedded delivery workers (docs/reference/deliverer.md §2): only with API_PORT > 0 and this host
 * owning delivery. Null when not run here; "failed" (told to the operator) when they would not start.
 */
async function startEmbeddedDelivery(p: {
  ctx: CliContext;
  db: Db;
  hostname: string;
  log: Logger;
  cfg: Config;
  cleanup: CleanupStack;
}): Promise<DeliveryRuntime | null | "failed"> {
  const { cfg, hostname, log } = p;
  const owner = embeddedOwnerStatus(cfg.API_PORT, cfg.DELIVERY_OWNER_HOST, hostname);
  if (owner.level === "WARN") log.warn({ host: hostname }, owner.message);
  else log.info({ host: hostname }, owner.message);
  if (!owner.enabled) return null;
  const built = buildAlertDispatchers(alertTransportOptionsFromConfig(cfg, { log, now: Date.now }));
  try {
    const runtime = await startDeliveryRuntime({
      db: p.db,
      instanceId: hostname,
      log,
      replayFrom: replayFromConfig(cfg),
      dispatchers: built.dispatchers,
      webhook: { userAgent: USER_AGENT },
    });
    p.cleanup.push(() => built.close());
    return runtime;
  } catch (err) {
    built.close();
    p.ctx.err(`delivery workers failed to start: ${errorText(err)}`);
    return "failed";
  }
}

/** The host dashboard on DASHBOARD_PORT (0 = off); "failed" (told to the operator) when it cannot bind. */
function startDashboardIfEnabled(p: {
  ctx: CliContext;
  db: Db;
  log: Logger;
  store: ConfigStore;
  heartbeat: MonitorHeartbeat;
  hub: DashboardHub;
  cleanup: CleanupStack;
  prometheus: PrometheusMetrics;
}): RunningDashboard | null | "failed" {
  const { store, log } = p;
  const cfg = store.current;
  if (cfg.DASHBOARD_PORT <= 0) return null;
  const app = createDashboardApp({
    getState: () => p.heartbeat.state,
    getHealth: () => p.heartbeat.health,
    commands: () =>
      rolloutCommands({ pinned: pinnedBucketRange(store.current), bucketTotal: store.current.BUCKET_TOTAL }),
    events: p.hub,
    log,
    metricsText: () => p.prometheus.render(),
    fleet: { db: p.db, options: () => fleetOptionsFromConfig(store.current), log },
  });
  try {
    const dashboard = startDashboard({
      bindAddr: cfg.DASHBOARD_BIND_ADDR,
      port: cfg.DASHBOARD_PORT,
      app,
      log,
    });
    p.cleanup.push(() => dashboard.stop());
    return dashboard;
  } catch (err) {
    // Lost the port since the start-up check: stop rather than run without a dashboard.
    p.ctx.err(errorText(err));
    return "failed";
  }
}

/**
 * `jetmon2 --mode=monitor` (and `jetmon2` with no arguments): checks the sites in this host's
 * buckets until SIGINT/SIGTERM, then drains and exits 0 (or 1 when the drain stalls for 30 s).
 * Resolves with the exit code; never calls process.exit.
 */
import { hostname as osHostname } from "node:os";
import { ensureFetchCapacity } from "../check/capacity.ts";
import { CheckPool } from "../check/pool.ts";
import { dashboardBindWarning } from "../config/bind-addr.ts";
import { dbSettingsFromConfig } from "../config/load.ts";
import { ConfigStore } from "../config/store.ts";
import { pinnedBucketRange } from "../config/validate.ts";
import { createDashboardApp, type RunningDashboard, startDashboard } from "../dashboard/app.ts";
import { rolloutCommands } from "../dashboard/commands.ts";
import { monitorSnapshot } from "../dashboard/heartbeat.ts";
import { DashboardHub } from "../dashboard/hub.ts";
import { probeDependencies } from "../dashboard/probes.ts";
import type { HostHealth, HostState } from "../dashboard/state.ts";
import { createDb } from "../db/client.ts";
import { pendingMigrations, unknownMigrations } from "../db/migrate.ts";
import { connectWithRetry, createPool, type Pool } from "../db/pool.ts";
import { buildAlertDispatchers } from "../delivery/dispatchers.ts";
import { alertTransportOptionsFromConfig, replayFromConfig } from "../delivery/from-config.ts";
import { embeddedOwnerStatus } from "../delivery/ownership.ts";
import { type DeliveryRuntime, startDeliveryRuntime } from "../delivery/runtime.ts";
import { errorText } from "../error-text.ts";
import { fleetOptionsFromConfig } from "../fleet/types.ts";
import { LifecyclePublisher } from "../fleethealth/publisher.ts";
import { log as defaultLog, type Logger } from "../log.ts";
import { processMemory } from "../metrics/memory.ts";
import { createStatsdMetrics, type Metrics, noopMetrics } from "../metrics/statsd.ts";
import { buildHostState } from "../monitor/host-state.ts";
import { Orchestrator, type OrchestratorTimings } from "../monitor/orchestrator.ts";
import { inspectPidFile, pidFilePath, removePidFile, writePidFile } from "../monitor/pidfile.ts";
import { VerifierSet } from "../monitor/verifiers.ts";
import { BUILD_DATE, RUNTIME_VERSION, USER_AGENT, VERSION } from "../version.ts";
import { WpcomClient } from "../wpcom/client.ts";
import type { CliContext, Command } from "./context.ts";

/** Where signals come from; `process` in production, an EventEmitter in tests. */
export interface SignalSource {
  on(signal: NodeJS.Signals, handler: () => void): unknown;
  off(signal: NodeJS.Signals, handler: () => void): unknown;
}

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
const SHUTDOWN_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

export function createMonitorCommand(opts: MonitorCommandOptions = {}): Command {
  return (ctx) => runMonitor(ctx, opts);
}

export const monitorCommand: Command = createMonitorCommand();

async function runMonitor(ctx: CliContext, opts: MonitorCommandOptions): Promise<number> {
  const log = opts.log ?? defaultLog;
  const signals = opts.signals ?? process;

  let store: ConfigStore;
  try {
    store = new ConfigStore(ctx.configPath, ctx.env, { logger: log });
  } catch (err) {
    ctx.err(`load config: ${errorText(err)}`);
    return 1;
  }
  const cfg = store.current;
  for (const warning of store.warnings) log.warn({ path: ctx.configPath, warning }, "config warning");
  if (opts.raiseFetchCap !== false) ensureFetchCapacity(cfg.NUM_WORKERS + FETCH_HEADROOM);

  const hostname = opts.hostname || ctx.env.JETMON_HOSTNAME?.trim() || osHostname() || "unknown";
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
  if (cfg.VERIFIERS.length === 0) {
    log.warn("no verifiers configured: down confirmations rely on local checks only");
  }

  const pool = createPool(dbSettingsFromConfig(cfg));
  const cleanup: (() => Promise<void>)[] = [() => pool.end().catch(() => {})];
  const finish = async (code: number) => {
    for (const f of cleanup.reverse()) await f().catch(() => {});
    return code;
  };

  try {
    await connectWithRetry(pool, opts.connectAttempts ?? 10, {
      onRetry: (attempt, err) => log.warn({ attempt, err: errorText(err) }, "db connect failed, retrying"),
    });
  } catch (err) {
    ctx.err(`db connect: ${errorText(err)}`);
    return finish(1);
  }
  const schemaProblem = await checkSchema(pool);
  if (schemaProblem) {
    ctx.err(schemaProblem);
    return finish(1);
  }

  const pidPath = pidFilePath(ctx.env);
  const existing = inspectPidFile(pidPath);
  if (existing.state === "running" && existing.pid !== process.pid) {
    ctx.err(
      `another jetmon2 is running with pid ${existing.pid} (${pidPath}); stop it first or set JETMON_PID_FILE`,
    );
    return finish(1);
  }
  try {
    writePidFile(pidPath);
    cleanup.push(async () => {
      removePidFile(pidPath);
    });
  } catch (err) {
    log.warn({ path: pidPath, err: errorText(err) }, "could not write pid file");
  }

  const db = createDb(pool);
  const metrics: Metrics = cfg.STATSD_ADDR
    ? createStatsdMetrics({ addr: cfg.STATSD_ADDR, hostname, log })
    : noopMetrics;
  cleanup.push(() => metrics.close());
  let orch: Orchestrator | null = null;
  const wpcom = new WpcomClient({
    endpoint: cfg.WPCOM_STATUS_ENDPOINT,
    authToken: cfg.AUTH_TOKEN,
    now: Date.now,
    log,
    onDelivered: (n) => orch?.notificationDelivered(n),
  });
  const checks = new CheckPool({ size: cfg.NUM_WORKERS, queueLimit: 0, logger: log });
  const verifiers = new VerifierSet();
  orch = new Orchestrator({
    db,
    hostname,
    log,
    metrics,
    statsFiles: cfg.STATSD_ADDR !== "",
    config: () => store.current,
    pool: checks,
    wpcom,
    verifiers: () => verifiers.current(store.current.VERIFIERS),
    timings: opts.timings,
  });
  const orchestrator = orch;
  try {
    await orchestrator.start();
  } catch (err) {
    ctx.err(errorText(err));
    await orchestrator.drain(Date.now() + 5000).catch(() => {});
    return finish(1);
  }

  // ---- embedded delivery workers (docs/reference/deliverer.md §2): API_PORT > 0 and this host owns delivery ----
  const owner = embeddedOwnerStatus(cfg.API_PORT, cfg.DELIVERY_OWNER_HOST, hostname);
  if (owner.level === "WARN") log.warn({ host: hostname }, owner.message);
  else log.info({ host: hostname }, owner.message);
  let delivery: DeliveryRuntime | null = null;
  if (owner.enabled) {
    const built = buildAlertDispatchers(alertTransportOptionsFromConfig(cfg, { log, now: Date.now }));
    try {
      delivery = await startDeliveryRuntime({
        db,
        instanceId: hostname,
        log,
        replayFrom: replayFromConfig(cfg),
        dispatchers: built.dispatchers,
        webhook: { userAgent: USER_AGENT },
      });
    } catch (err) {
      built.close();
      ctx.err(`delivery workers failed to start: ${errorText(err)}`);
      await orchestrator.drain(Date.now() + 5000).catch(() => {});
      return finish(1);
    }
    cleanup.push(async () => built.close());
  }
  const deliveryRuntime = delivery;

  // ---- host state, dashboard, heartbeat row ----
  const startedAt = new Date();
  const hub = new DashboardHub();
  let health: HostHealth | null = null;
  let state: HostState | null = null;
  const currentState = (): HostState => {
    const s = buildHostState({
      figures: orchestrator.figures(),
      config: store.current,
      hostname,
      memory: processMemory(),
      deliveryWorkersEnabled: deliveryRuntime !== null,
      now: Date.now(),
    });
    state = s;
    return s;
  };
  let dashboard: RunningDashboard | null = null;
  if (cfg.DASHBOARD_PORT > 0) {
    const app = createDashboardApp({
      getState: () => state,
      getHealth: () => health,
      commands: () =>
        rolloutCommands({
          pinned: pinnedBucketRange(store.current),
          bucketTotal: store.current.BUCKET_TOTAL,
        }),
      events: hub,
      log,
      fleet: { db, options: () => fleetOptionsFromConfig(store.current), log },
    });
    try {
      dashboard = startDashboard({ bindAddr: cfg.DASHBOARD_BIND_ADDR, port: cfg.DASHBOARD_PORT, app, log });
      const running = dashboard;
      cleanup.push(() => running.stop());
    } catch (err) {
      log.error({ err: errorText(err) }, "dashboard not started");
    }
  }
  const publisher = new LifecyclePublisher({
    db,
    intervalMs: cfg.STATS_UPDATE_INTERVAL_MS,
    log,
    build: async (phase) => {
      const c = store.current;
      if (phase === "heartbeat") {
        health = await probeDependencies({
          db,
          wpcom: () => {
            const w = wpcom.state();
            return { circuit_open: w.circuitOpen, queue_depth: w.queueDepth };
          },
          statsd: c.STATSD_ADDR ? () => ({}) : null,
          dirs: { logs: "logs", stats: "stats" },
          verifliers: c.VERIFIERS,
        });
      }
      const s = currentState();
      hub.publish(s);
      const identity = {
        pid: process.pid,
        version: VERSION,
        buildDate: BUILD_DATE,
        runtimeVersion: RUNTIME_VERSION,
        startedAt,
        apiPort: c.API_PORT,
        dashboardPort: c.DASHBOARD_PORT,
      };
      return monitorSnapshot(identity, s, health, phase === "stopping" ? "stopping" : "running");
    },
  });
  currentState();
  publisher.start();

  // ---- signals ----
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => {
    resolveExit = r;
  });
  let shuttingDown = false;
  const onHup = () => {
    log.info("received SIGHUP, reloading config");
    const r = store.reload();
    if (r.ok) orchestrator.configChanged();
  };
  const onStop = () => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ host: hostname }, "received shutdown signal, draining");
    const drainMs = opts.drainTimeoutMs ?? 30_000;
    const hardStop = setTimeout(() => {
      log.error({ drain_timeout_ms: drainMs }, "shutdown timeout exceeded, forcing exit");
      resolveExit(1);
    }, drainMs);
    void (async () => {
      let clean = true;
      await publisher.shutdown({
        beforeStopped: async () => {
          // Delivery stops claiming at once; both finish what is in flight before `stopped`.
          const [drained] = await Promise.all([
            orchestrator.drain(Date.now() + drainMs - 1000),
            deliveryRuntime?.stop(),
          ]);
          clean = drained;
        },
      });
      await wpcom.flush().catch(() => {});
      clearTimeout(hardStop);
      log.info({ clean }, "shutdown complete");
      resolveExit(clean ? 0 : 1);
    })();
  };
  signals.on("SIGHUP", onHup);
  for (const s of SHUTDOWN_SIGNALS) signals.on(s, onStop);
  cleanup.push(async () => {
    signals.off("SIGHUP", onHup);
    for (const s of SHUTDOWN_SIGNALS) signals.off(s, onStop);
  });

  log.info(
    { host: hostname, sites: orchestrator.figures().sites, dashboard: dashboard?.addr ?? "disabled" },
    "monitor running",
  );
  opts.onReady?.({ orchestrator, dashboard, hostname, shutdown: onStop });
  const code = await exited;
  return finish(code);
}

/** Refuses a database whose migrations do not match this binary, naming what to do. */
async function checkSchema(pool: Pool): Promise<string | null> {
  try {
    const unknown = await unknownMigrations(pool);
    if (unknown.length > 0) {
      return `database records migrations ${unknown.join(", ")} which this jetmon2 does not know; upgrade jetmon2`;
    }
    const pending = await pendingMigrations(pool);
    if (pending.length > 0) {
      return `database has pending migrations ${pending.join(", ")}; run \`jetmon2 migrate\` first`;
    }
    return null;
  } catch (err) {
    return `check migrations: ${errorText(err)}`;
  }
}

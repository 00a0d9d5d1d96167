/**
 * `jetmon2 --mode=deliverer`: webhook and alert-contact delivery as its own process (deliverer
 * docs/reference/deliverer.md §1.3-§1.6). Workers run when DELIVERY_OWNER_HOST is empty or names this host;
 * otherwise the process stays up, idle, and keeps its heartbeat. SIGHUP reloads the config
 * (heartbeat and logs follow it) but never starts or stops workers. SIGINT/SIGTERM stop
 * claiming at once, write `stopping`, let attempts in flight finish and be recorded, then
 * write `stopped` and return 0.
 */

import type { ConnectionOptions } from "node:tls";
import { dbSettingsFromConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { ConfigStore } from "../config/store.ts";
import { emailTransportLabel } from "../config/validate.ts";
import { createDb, type Db } from "../db/client.ts";
import { connectWithRetry, createPool, type Pool } from "../db/pool.ts";
import { buildAlertDispatchers } from "../delivery/dispatchers.ts";
import { alertTransportOptionsFromConfig, replayFromConfig } from "../delivery/from-config.ts";
import { delivererSnapshot, mysqlHealth, statsdHealth } from "../delivery/heartbeat.ts";
import type { FetchFn } from "../delivery/http-post.ts";
import { delivererOwnerStatus, type OwnerDecision } from "../delivery/ownership.ts";
import {
  type DeliveryRuntime,
  type DeliveryRuntimeOptions,
  startDeliveryRuntime,
} from "../delivery/runtime.ts";
import { errorText } from "../error-text.ts";
import { LifecyclePublisher } from "../fleethealth/publisher.ts";
import { hostIdentity } from "../host-identity.ts";
import { log as defaultLog, type Logger } from "../log.ts";
import { createStatsdMetrics, type Metrics } from "../metrics/statsd.ts";
import type { Clock } from "../time.ts";
import { USER_AGENT } from "../version.ts";
import type { Command } from "./context.ts";
import { type SignalSource, watchSignals } from "./process.ts";

export interface DelivererDeps {
  signals?: SignalSource;
  hostname?: () => string;
  now?: Clock;
  log?: Logger;
  fetch?: FetchFn;
  /** DB connect attempts at startup (reference: 10). */
  dbAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Extra SMTP TLS settings (a private CA in tests). */
  smtpTls?: ConnectionOptions;
  /** Worker tuning (tests shorten the poll interval). */
  runtime?: Partial<Omit<DeliveryRuntimeOptions, "db" | "instanceId" | "log" | "dispatchers">>;
  /** Called once workers (if any) run and the first heartbeat is queued. */
  onReady?: (r: { runtime: DeliveryRuntime | null; owner: OwnerDecision }) => void;
}

function logOwner(log: Logger, d: Pick<OwnerDecision, "level" | "message">): void {
  if (d.level === "WARN") log.warn(`WARN: ${d.message}`);
  else log.info(`config: ${d.message}`);
}

export function makeDelivererCommand(deps: DelivererDeps = {}): Command {
  return async (ctx) => {
    const log = deps.log ?? defaultLog;
    const now = deps.now ?? Date.now;
    if (ctx.args.length > 0) {
      ctx.err(`jetmon2 --mode=deliverer: unexpected argument "${ctx.args[0]}"`);
      return 2;
    }

    let store: ConfigStore;
    try {
      store = new ConfigStore(ctx.configPath, ctx.env, { logger: log });
    } catch (err) {
      log.fatal(`load config: ${errorText(err)}`);
      ctx.err(`load config: ${errorText(err)}`);
      return 1;
    }
    const config: Config = store.current;
    for (const w of store.warnings) log.warn({ warning: w }, "config warning");
    const email = emailTransportLabel(config);
    log.info(`config: email_transport=${email.label}`);
    if (!email.delivers) {
      log.warn(`WARN: email_transport=${email.label}; alert-contact emails will be logged but not delivered`);
    }

    const host = hostIdentity(ctx.env, deps.hostname);
    const startedAt = now();
    let pool: Pool | undefined;
    let metrics: Metrics | null = null;
    try {
      pool = createPool(dbSettingsFromConfig(config), { queryTimeoutMs: config.DB_QUERY_TIMEOUT_MS });
      try {
        await connectWithRetry(pool, deps.dbAttempts ?? 10, {
          sleep: deps.sleep,
          onRetry: (attempt, err) =>
            log.warn({ attempt }, `db connect attempt ${attempt} failed: ${errorText(err)}`),
        });
      } catch (err) {
        log.fatal(`db connect: ${errorText(err)}`);
        ctx.err(`db connect: ${errorText(err)}`);
        return 1;
      }
      const db: Db = createDb(pool);

      if (config.STATSD_ADDR.trim() !== "") {
        try {
          metrics = createStatsdMetrics({ addr: config.STATSD_ADDR, hostname: host, log });
        } catch (err) {
          log.warn(`warning: statsd init failed: ${errorText(err)}`);
        }
      }

      const owner = delivererOwnerStatus(config.DELIVERY_OWNER_HOST, host);
      logOwner(log, owner);

      const publisher = new LifecyclePublisher({
        db,
        intervalMs: config.STATS_UPDATE_INTERVAL_MS,
        log,
        now,
        build: async () =>
          delivererSnapshot({
            host,
            startedAt,
            now: now(),
            workersEnabled: owner.enabled,
            ownerRaw: store.current.DELIVERY_OWNER_HOST,
            deps: [
              await mysqlHealth(db, now),
              statsdHealth(config.STATSD_ADDR.trim() !== "", metrics !== null, now),
            ],
          }),
      });
      publisher.start();

      let runtime: DeliveryRuntime | null = null;
      const built = owner.enabled
        ? buildAlertDispatchers(
            alertTransportOptionsFromConfig(config, { log, now, fetch: deps.fetch, smtpTls: deps.smtpTls }),
          )
        : null;
      if (built) {
        try {
          runtime = await startDeliveryRuntime({
            db,
            instanceId: host,
            log,
            now,
            replayFrom: replayFromConfig(config),
            dispatchers: built.dispatchers,
            webhook: { fetch: deps.fetch, userAgent: USER_AGENT },
            ...deps.runtime,
          });
        } catch (err) {
          log.error(`delivery workers failed to start: ${errorText(err)}`);
          ctx.err(`delivery workers failed to start: ${errorText(err)}`);
          await publisher.shutdown();
          built.close();
          return 1;
        }
      }

      const signals = watchSignals(deps.signals ?? process, {
        log,
        onReload: () => {
          const r = store.reload();
          if (!r.ok) return;
          const next = delivererOwnerStatus(store.current.DELIVERY_OWNER_HOST, host);
          if (next.enabled !== owner.enabled) {
            log.warn(
              { workers_enabled: owner.enabled, config_eligible: next.enabled },
              "delivery ownership in the reloaded config differs from the running workers; restart to apply",
            );
          }
          void publisher.publishNow();
        },
      });
      deps.onReady?.({ runtime, owner });
      const signal = await signals.stopped;
      log.info(`received ${signal}, stopping`);
      // Claiming stops now; the attempts in flight finish while `stopping` is written.
      const draining = runtime?.stop() ?? Promise.resolve();
      // A MySQL away at this moment gets 10 s of retries for `stopped` (issue 15).
      await publisher.shutdown({ beforeStopped: () => draining, deadline: Date.now() + 10_000 });
      signals.dispose();
      built?.close();
      log.info("jetmon-deliverer: shutdown complete");
      return 0;
    } finally {
      await metrics?.close().catch(() => {});
      await pool?.end().catch(() => {});
    }
  };
}

export const delivererCommand: Command = makeDelivererCommand();

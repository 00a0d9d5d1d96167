/**
 * The deliverer's `jetmon_process_health` row (docs/reference/deliverer.md §1.5): `<host>:deliverer`, running or
 * idle, MySQL and StatsD health, and the ownership it runs under. Amber when workers run with
 * no owner set, and when the current config (after a SIGHUP) would decide ownership
 * differently from the decision the workers were started under: a restart is due.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import type { DependencyHealth, SnapshotInput } from "../fleethealth/snapshot.ts";
import { rollupHealthStatus } from "../fleethealth/snapshot.ts";
import { processMemory } from "../metrics/memory.ts";
import { rfc3339Nano } from "../time.ts";
import { BUILD_DATE, RUNTIME_VERSION, VERSION } from "../version.ts";
import { type Clock, errorText } from "./db-util.ts";
import { delivererOwnerStatus, deliveryHealth } from "./ownership.ts";

/** Pings MySQL with a bound; red with the error on failure or timeout. */
export async function mysqlHealth(db: Db | null, now: Clock, timeoutMs = 2000): Promise<DependencyHealth> {
  const checked_at = rfc3339Nano(now());
  if (!db)
    return { name: "mysql", status: "red", last_error: "database pool is not initialized", checked_at };
  const start = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      db.execute(sql`SELECT 1`),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`ping timed out after ${timeoutMs}ms`)), timeoutMs);
      }),
    ]);
    return { name: "mysql", status: "green", latency_ms: Math.round(performance.now() - start), checked_at };
  } catch (err) {
    return {
      name: "mysql",
      status: "red",
      latency_ms: Math.round(performance.now() - start),
      last_error: errorText(err),
      checked_at,
    };
  } finally {
    clearTimeout(timer);
  }
}

export function statsdHealth(ready: boolean, now: Clock): DependencyHealth {
  const checked_at = rfc3339Nano(now());
  return ready
    ? { name: "statsd", status: "green", checked_at }
    : { name: "statsd", status: "amber", last_error: "statsd client is not initialized", checked_at };
}

export interface DelivererSnapshotInput {
  host: string;
  startedAt: number;
  now: number;
  /** The decision made at startup; never changes while the process runs. */
  workersEnabled: boolean;
  /** DELIVERY_OWNER_HOST of the current config, untrimmed. */
  ownerRaw: string;
  deps: DependencyHealth[];
}

export function delivererSnapshot(s: DelivererSnapshotInput): SnapshotInput {
  let health = deliveryHealth(rollupHealthStatus(s.deps), s.workersEnabled, s.ownerRaw);
  if (health === "green" && delivererOwnerStatus(s.ownerRaw, s.host).enabled !== s.workersEnabled)
    health = "amber";
  const mem = processMemory();
  return {
    process_id: `${s.host}:deliverer`,
    host_id: s.host,
    process_type: "deliverer",
    pid: process.pid,
    version: VERSION,
    build_date: BUILD_DATE,
    go_version: RUNTIME_VERSION,
    state: s.workersEnabled ? "running" : "idle",
    health_status: health,
    started_at: new Date(s.startedAt),
    updated_at: new Date(s.now),
    bucket_min: null,
    bucket_max: null,
    bucket_ownership: "",
    api_port: null,
    dashboard_port: null,
    delivery_workers_enabled: s.workersEnabled,
    delivery_owner_host: s.ownerRaw,
    go_sys_mem_mb: mem.heapMb,
    rss_mem_mb: mem.rssMb,
    dependency_health: s.deps,
  };
}

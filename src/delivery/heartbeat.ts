import type { Db } from "../db/client.ts";
import { pingMysql } from "../db/ping.ts";
import type { DependencyHealth, SnapshotInput } from "../fleethealth/snapshot.ts";
import { DISABLED, rollupHealthStatus } from "../fleethealth/snapshot.ts";
import { processMemory } from "../metrics/memory.ts";
import { type Clock, rfc3339Nano } from "../time.ts";
import { BUILD_DATE, RUNTIME_VERSION, VERSION } from "../version.ts";
import { deliveryHealth } from "./ownership.ts";

/** Pings MySQL with a bound; red with the error on failure or timeout. */
export async function mysqlHealth(db: Db | null, now: Clock, timeoutMs = 2000): Promise<DependencyHealth> {
  const checked_at = rfc3339Nano(now());
  return { ...(await pingMysql(db, timeoutMs, `ping timed out after ${timeoutMs}ms`)), checked_at };
}

/** StatsD as the deliverer sees it: off by config is `disabled`; configured but not started is amber. */
export function statsdHealth(configured: boolean, ready: boolean, now: Clock): DependencyHealth {
  const checked_at = rfc3339Nano(now());
  if (!configured)
    return { name: "statsd", status: DISABLED, last_error: 'STATSD_ADDR is "" (StatsD off)', checked_at };
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
  const state = s.workersEnabled ? "running" : "idle";
  const health = deliveryHealth({
    rollup: rollupHealthStatus(s.deps),
    workersEnabled: s.workersEnabled,
    ownerRaw: s.ownerRaw,
    host: s.host,
    state,
  });
  const mem = processMemory();
  return {
    process_id: `${s.host}:deliverer`,
    host_id: s.host,
    process_type: "deliverer",
    pid: process.pid,
    version: VERSION,
    build_date: BUILD_DATE,
    go_version: RUNTIME_VERSION,
    state,
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

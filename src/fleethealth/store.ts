/**
 * Reads and writes `jetmon_process_health` (docs/reference/dashboard-fleethealth.md §2.3-§2.4): full-row upsert keyed on
 * process_id (last writer wins), mark-stopped, and the fleet listing.
 */

import { Value } from "@sinclair/typebox/value";
import { asc, eq } from "drizzle-orm";
import { processHealth } from "../db/schema.ts";
import type { Executor } from "../db/sql.ts";
import { errorText } from "../error-text.ts";
import {
  type DependencyHealth,
  DependencyHealthListSchema,
  normaliseDependency,
  type Snapshot,
  type SnapshotInput,
  validateSnapshot,
} from "./snapshot.ts";

const NO_DB = "database pool is not initialized";

function rowOf(s: Snapshot) {
  return {
    processId: s.process_id,
    hostId: s.host_id,
    processType: s.process_type,
    pid: s.pid,
    version: s.version,
    buildDate: s.build_date,
    goVersion: s.go_version,
    state: s.state,
    healthStatus: s.health_status,
    startedAt: s.started_at,
    updatedAt: s.updated_at,
    bucketMin: s.bucket_min,
    bucketMax: s.bucket_max,
    bucketOwnership: s.bucket_ownership,
    apiPort: s.api_port,
    dashboardPort: s.dashboard_port,
    deliveryWorkersEnabled: s.delivery_workers_enabled ? 1 : 0,
    deliveryOwnerHost: s.delivery_owner_host,
    workerCount: s.worker_count,
    activeChecks: s.active_checks,
    queueDepth: s.queue_depth,
    retryQueueSize: s.retry_queue_size,
    wpcomCircuitOpen: s.wpcom_circuit_open ? 1 : 0,
    wpcomQueueDepth: s.wpcom_queue_depth,
    goSysMemMb: s.go_sys_mem_mb,
    rssMemMb: s.rss_mem_mb,
    dependencyHealth: s.dependency_health,
  };
}

/**
 * Validates (docs/reference/dashboard-fleethealth.md §2.2, before any SQL) then writes every column; `created_at` keeps the
 * first insert's value. Returns the row as written.
 */
export async function upsertSnapshot(
  db: Executor | null | undefined,
  input: SnapshotInput,
  now: number = Date.now(),
): Promise<Snapshot> {
  if (!db) throw new Error(NO_DB);
  const s = validateSnapshot(input, now);
  const row = rowOf(s);
  const { processId: _key, ...update } = row;
  try {
    await db.insert(processHealth).values(row).onDuplicateKeyUpdate({ set: update });
  } catch (err) {
    throw new Error(`upsert process health: ${errorText(err)}`);
  }
  return s;
}

/** `stopped` / `amber` at `when` (default now); a missing row is a silent no-op (docs/reference/dashboard-fleethealth.md §2.4). */
export async function markStopped(
  db: Executor | null | undefined,
  id: string,
  when: number = Date.now(),
): Promise<void> {
  if (!db) throw new Error(NO_DB);
  const pid = id.trim();
  if (!pid) throw new Error("process id is required");
  try {
    await db
      .update(processHealth)
      .set({ state: "stopped", healthStatus: "amber", updatedAt: new Date(when) })
      .where(eq(processHealth.processId, pid));
  } catch (err) {
    throw new Error(`mark process stopped: ${errorText(err)}`);
  }
}

/** Decodes the JSON column; MariaDB hands back text, MySQL an already-parsed value. */
function decodeDependencies(id: string, raw: unknown): DependencyHealth[] {
  if (raw === null || raw === undefined) return [];
  let value = raw;
  if (typeof raw === "string") {
    if (!raw.trim()) return [];
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new Error(`decode dependency health for ${id}: ${errorText(err)}`);
    }
  }
  if (!Value.Check(DependencyHealthListSchema, value)) {
    const first = [...Value.Errors(DependencyHealthListSchema, value)][0];
    throw new Error(
      `decode dependency health for ${id}: ${first ? `${first.path || "/"} ${first.message}` : "invalid value"}`,
    );
  }
  return (value ?? []).map(normaliseDependency);
}

/** Every row, ordered by process_type, host_id, process_id (docs/reference/dashboard-fleethealth.md §2.4 ListSnapshots). */
export async function listSnapshots(db: Executor | null | undefined): Promise<Snapshot[]> {
  if (!db) throw new Error(NO_DB);
  let rows: (typeof processHealth.$inferSelect)[];
  try {
    rows = await db
      .select()
      .from(processHealth)
      .orderBy(asc(processHealth.processType), asc(processHealth.hostId), asc(processHealth.processId));
  } catch (err) {
    throw new Error(`query process health: ${errorText(err)}`);
  }
  return rows.map((r) => ({
    process_id: r.processId,
    host_id: r.hostId,
    process_type: r.processType,
    pid: r.pid,
    version: r.version,
    build_date: r.buildDate,
    go_version: r.goVersion,
    // Rows written by other tools may hold values the validator would refuse (e.g. the
    // column default `starting`); they are reported as-is rather than hidden.
    state: r.state as Snapshot["state"],
    health_status: r.healthStatus as Snapshot["health_status"],
    started_at: r.startedAt,
    updated_at: r.updatedAt,
    bucket_min: r.bucketMin,
    bucket_max: r.bucketMax,
    bucket_ownership: r.bucketOwnership,
    api_port: r.apiPort,
    dashboard_port: r.dashboardPort,
    delivery_workers_enabled: r.deliveryWorkersEnabled !== 0,
    delivery_owner_host: r.deliveryOwnerHost,
    worker_count: r.workerCount,
    active_checks: r.activeChecks,
    queue_depth: r.queueDepth,
    retry_queue_size: r.retryQueueSize,
    wpcom_circuit_open: r.wpcomCircuitOpen !== 0,
    wpcom_queue_depth: r.wpcomQueueDepth,
    go_sys_mem_mb: r.goSysMemMb,
    rss_mem_mb: r.rssMemMb,
    dependency_health: decodeDependencies(r.processId, r.dependencyHealth),
    created_at: r.createdAt,
  }));
}

/**
 * Staleness, retirement and ordering of process-health rows (docs/reference/dashboard-fleethealth.md §6.3, with the change of
 * the fleet issue): a quiet running process is red, a process that wrote `stopped` and then went
 * quiet is shown as stopped (not red), and stopped rows past the retention window are hidden, so
 * a clean decommission does not turn the fleet red forever. Pure functions.
 */
import { type Snapshot, ZERO_TIME } from "../fleethealth/snapshot.ts";
import { rfc3339Nano } from "../time.ts";
import type { FleetProcess, ProcessStatus } from "./types.ts";

export interface ProcessRules {
  /** A heartbeat older than this (strictly) is stale. */
  graceSec: number;
  /** A `stopped` row whose last write is at least this old is hidden. */
  retainStoppedSec: number;
}

/** Milliseconds since `thenMs`, never negative (a clock skewed ahead reads as fresh). */
export function ageMs(thenMs: number, nowMs: number): number {
  return Math.max(0, nowMs - thenMs);
}

export function isStale(age: number, graceSec: number): boolean {
  return age > graceSec * 1000;
}

/**
 * The fleet's colour for one row. A row reads `stopped` only when the process wrote it at the
 * end of its own drain (SIGINT/SIGTERM, `jetmon2 drain`), so a stopped row was expected to stop:
 * it is shown as stopped, counted under Stopped Processes and raises no issue. A process that
 * did not mean to stop (crash, kill -9, lost host) never writes `stopped`; it goes stale: red.
 */
export function processStatus(state: string, healthStatus: string, stale: boolean): ProcessStatus {
  if (state === "stopped") return "stopped";
  if (stale) return "red";
  if (healthStatus === "red" || healthStatus === "amber" || healthStatus === "green") return healthStatus;
  return "amber";
}

/** Active = fresh and not shutting down; only these decide ownership mode and delivery posture. */
export function isActive(p: Pick<FleetProcess, "stale" | "state">): boolean {
  return !p.stale && p.state !== "stopped" && p.state !== "stopping";
}

function rank(p: FleetProcess): number {
  switch (p.status) {
    case "red":
      return p.stale ? 5 : 4;
    case "amber":
      return 3;
    case "green":
      return 1;
    default:
      return 0;
  }
}

function typeRank(type: string): number {
  return type === "monitor" ? 1 : type === "deliverer" ? 2 : 99;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Unhealthy first (stale, red, amber, then green, then stopped), monitors before deliverers. */
function compareProcesses(a: FleetProcess, b: FleetProcess): number {
  return (
    rank(b) - rank(a) ||
    typeRank(a.process_type) - typeRank(b.process_type) ||
    cmp(a.host_id, b.host_id) ||
    cmp(a.process_id, b.process_id)
  );
}

function toFleetProcess(s: Snapshot, age: number, graceSec: number): FleetProcess {
  const stale = isStale(age, graceSec);
  const opt = <K extends string, V>(key: K, v: V | null) =>
    v === null ? {} : ({ [key]: v } as Record<K, V>);
  return {
    process_id: s.process_id,
    host_id: s.host_id,
    process_type: s.process_type,
    pid: s.pid,
    version: s.version,
    build_date: s.build_date,
    go_version: s.go_version,
    state: s.state,
    health_status: s.health_status,
    status: processStatus(s.state, s.health_status, stale),
    started_at: s.started_at ? rfc3339Nano(s.started_at.getTime()) : ZERO_TIME,
    updated_at: rfc3339Nano(s.updated_at.getTime()),
    last_heartbeat_age_sec: Math.round(age / 1000),
    stale,
    ...opt("bucket_min", s.bucket_min),
    ...opt("bucket_max", s.bucket_max),
    bucket_ownership: s.bucket_ownership,
    ...opt("api_port", s.api_port),
    ...opt("dashboard_port", s.dashboard_port),
    delivery_workers_enabled: s.delivery_workers_enabled,
    delivery_owner_host: s.delivery_owner_host,
    worker_count: s.worker_count,
    active_checks: s.active_checks,
    queue_depth: s.queue_depth,
    retry_queue_size: s.retry_queue_size,
    wpcom_circuit_open: s.wpcom_circuit_open,
    wpcom_queue_depth: s.wpcom_queue_depth,
    go_sys_mem_mb: s.go_sys_mem_mb,
    rss_mem_mb: s.rss_mem_mb,
    ...(s.dependency_health.length > 0
      ? { dependency_health: s.dependency_health.map((d) => ({ ...d })) }
      : {}),
  };
}

/**
 * Rows as the fleet shows them, sorted, plus how many retired `stopped` rows were left out.
 * A hidden row takes no part in any other section either.
 */
export function assessProcesses(
  rows: readonly Snapshot[],
  nowMs: number,
  rules: ProcessRules,
): { processes: FleetProcess[]; hidden: number } {
  const processes: FleetProcess[] = [];
  let hidden = 0;
  for (const s of rows) {
    const age = ageMs(s.updated_at.getTime(), nowMs);
    if (s.state === "stopped" && age >= rules.retainStoppedSec * 1000) {
      hidden++;
      continue;
    }
    processes.push(toFleetProcess(s, age, rules.graceSec));
  }
  processes.sort(compareProcesses);
  return { processes, hidden };
}

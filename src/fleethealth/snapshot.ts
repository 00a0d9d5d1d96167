/**
 * One process's durable heartbeat: a row of `jetmon_process_health` (docs/reference/dashboard-fleethealth.md §2.1, after
 * migration 26). Field names are the column names so the row, the JSON and the type agree.
 * Columns named for Go keep their names: `go_sys_mem_mb` holds the Bun heap in MB,
 * `go_version` holds `bun <version>`, `rss_mem_mb` the true RSS.
 */
import { type Static, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

export type HealthStatus = "green" | "amber" | "red";
const HEALTH_STATUSES: readonly HealthStatus[] = ["green", "amber", "red"];

/**
 * A dependency the config deliberately turns off (STATSD_ADDR "", no VERIFIERS): shown as
 * `disabled`, counted neither amber nor red, so a host that opted out can still be green.
 */
export const DISABLED = "disabled";

export type ProcessState = "running" | "stopping" | "stopped" | "idle";
const PROCESS_STATES: readonly ProcessState[] = ["running", "stopping", "stopped", "idle"];

/** One dependency probe result. `status` is a string because stored rows may hold anything. */
export const DependencyHealthSchema = Type.Object({
  name: Type.String(),
  status: Type.String(),
  latency_ms: Type.Optional(Type.Number()),
  last_error: Type.Optional(Type.String()),
  checked_at: Type.String(),
});
export type DependencyHealth = Static<typeof DependencyHealthSchema>;
export const DependencyHealthListSchema = Type.Union([Type.Array(DependencyHealthSchema), Type.Null()]);

export interface Snapshot {
  process_id: string;
  host_id: string;
  process_type: string;
  pid: number;
  version: string;
  build_date: string;
  go_version: string;
  state: ProcessState;
  health_status: HealthStatus;
  /** Always set on write; null only when a stored row has NULL. */
  started_at: Date | null;
  updated_at: Date;
  bucket_min: number | null;
  bucket_max: number | null;
  bucket_ownership: string;
  api_port: number | null;
  dashboard_port: number | null;
  delivery_workers_enabled: boolean;
  delivery_owner_host: string;
  worker_count: number;
  active_checks: number;
  queue_depth: number;
  retry_queue_size: number;
  wpcom_circuit_open: boolean;
  wpcom_queue_depth: number;
  go_sys_mem_mb: number;
  rss_mem_mb: number;
  dependency_health: DependencyHealth[];
  /** Read back by listSnapshots only; never written (the first insert sets it). */
  created_at?: Date;
}

/** What callers hand in: anything may be missing or unnormalised; validateSnapshot decides. */
export type SnapshotInput = Partial<
  Omit<Snapshot, "state" | "health_status" | "started_at" | "updated_at" | "dependency_health">
> & {
  state?: string;
  health_status?: string;
  started_at?: Date | null;
  updated_at?: Date | null;
  dependency_health?: DependencyHealth[] | null;
};

/** `<host>:<type>` from trimmed parts, or "" when either is empty (docs/reference/dashboard-fleethealth.md §2.1 ProcessID). */
export function processId(host: string, type: string): string {
  const h = host.trim();
  const t = type.trim();
  return h && t ? `${h}:${t}` : "";
}

/**
 * Fleet rollup of dependency statuses (docs/reference/dashboard-fleethealth.md §2.4): red wins, then amber; anything that is
 * not green/amber/red (including "") counts as amber; an empty list is green.
 */
export function rollupHealthStatus(deps: readonly { status: string }[] | null | undefined): HealthStatus {
  let out: HealthStatus = "green";
  for (const d of deps ?? []) {
    if (d.status === "red") return "red";
    if (d.status !== "green" && d.status !== DISABLED) out = "amber";
  }
  return out;
}

function isHealthStatus(v: string): v is HealthStatus {
  return (HEALTH_STATUSES as readonly string[]).includes(v);
}

function isProcessState(v: string): v is ProcessState {
  return (PROCESS_STATES as readonly string[]).includes(v);
}

/** The zero instant Go prints for an unset time. */
export const ZERO_TIME = "0001-01-01T00:00:00Z";

const COUNTERS = [
  "pid",
  "worker_count",
  "active_checks",
  "queue_depth",
  "retry_queue_size",
  "wpcom_queue_depth",
  "go_sys_mem_mb",
  "rss_mem_mb",
] as const;
const UINT_MAX = 4294967295;

function checkUint(field: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new Error(`${field} must be an integer 0-${max}, got ${v}`);
  }
}

function optionalUint(field: string, v: number | null | undefined, max: number): number | null {
  if (v === null || v === undefined) return null;
  checkUint(field, v, max);
  return v;
}

function validTime(v: Date | null | undefined, now: number): Date {
  return v instanceof Date && !Number.isNaN(v.getTime()) && v.getTime() > 0
    ? new Date(v.getTime())
    : new Date(now);
}

/**
 * Normalises a snapshot before any SQL, in the order and with the messages of docs/reference/dashboard-fleethealth.md §2.2:
 * host and type required (trimmed), process id derived when empty, state in
 * running/stopping/stopped/idle (empty = running), health in green/amber/red (empty = rollup of
 * the dependencies), missing times become now. Then the unsigned column ranges are checked so
 * MySQL never half-accepts a value.
 */
export function validateSnapshot(input: SnapshotInput, now: number = Date.now()): Snapshot {
  const host = (input.host_id ?? "").trim();
  const type = (input.process_type ?? "").trim();
  if (!host) throw new Error("host id is required");
  if (!type) throw new Error("process type is required");
  const id = (input.process_id ?? "").trim() || processId(host, type);
  if (!id) throw new Error("process id is required");

  const state = (input.state ?? "").trim() || "running";
  if (!isProcessState(state)) throw new Error(`invalid process state ${JSON.stringify(state)}`);
  const deps = input.dependency_health ?? [];
  for (const d of deps) {
    if (!Value.Check(DependencyHealthSchema, d)) {
      throw new Error(
        `dependency_health entry ${JSON.stringify(d)} must be {name, status, checked_at} strings`,
      );
    }
  }
  const health = (input.health_status ?? "").trim() || rollupHealthStatus(deps);
  if (!isHealthStatus(health)) throw new Error(`invalid health status ${JSON.stringify(health)}`);

  const s: Snapshot = {
    process_id: id,
    host_id: host,
    process_type: type,
    pid: input.pid ?? 0,
    version: input.version ?? "",
    build_date: input.build_date ?? "",
    go_version: input.go_version ?? "",
    state,
    health_status: health,
    started_at: validTime(input.started_at, now),
    updated_at: validTime(input.updated_at, now),
    bucket_min: optionalUint("bucket_min", input.bucket_min, 65535),
    bucket_max: optionalUint("bucket_max", input.bucket_max, 65535),
    bucket_ownership: input.bucket_ownership ?? "",
    api_port: optionalUint("api_port", input.api_port, UINT_MAX),
    dashboard_port: optionalUint("dashboard_port", input.dashboard_port, UINT_MAX),
    delivery_workers_enabled: input.delivery_workers_enabled ?? false,
    delivery_owner_host: input.delivery_owner_host ?? "",
    worker_count: input.worker_count ?? 0,
    active_checks: input.active_checks ?? 0,
    queue_depth: input.queue_depth ?? 0,
    retry_queue_size: input.retry_queue_size ?? 0,
    wpcom_circuit_open: input.wpcom_circuit_open ?? false,
    wpcom_queue_depth: input.wpcom_queue_depth ?? 0,
    go_sys_mem_mb: input.go_sys_mem_mb ?? 0,
    rss_mem_mb: input.rss_mem_mb ?? 0,
    dependency_health: deps.map(normaliseDependency),
  };
  for (const f of COUNTERS) checkUint(f, s[f], UINT_MAX);
  return s;
}

/**
 * A dependency entry in its JSON shape and key order (docs/reference/dashboard-fleethealth.md §2.1): latency omitted when 0,
 * last_error omitted when empty.
 */
export function normaliseDependency(d: DependencyHealth): DependencyHealth {
  const out: DependencyHealth = { name: d.name, status: d.status } as DependencyHealth;
  if (d.latency_ms) out.latency_ms = d.latency_ms;
  if (d.last_error) out.last_error = d.last_error;
  out.checked_at = d.checked_at;
  return out;
}

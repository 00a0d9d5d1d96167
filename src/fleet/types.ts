/**
 * The JSON shapes of `GET /api/fleet` (docs/reference/dashboard-fleethealth.md §6.2-§6.8). Field names are the contract; the
 * few additions of this project are marked "added". Times are RFC 3339 strings in UTC.
 */
import type { Config } from "../config/schema.ts";
import type { DeliveryCounts, QueueSummary } from "../delivery/queue-counts.ts";
import type { DependencyHealth, HealthStatus } from "../fleethealth/snapshot.ts";
import type { HostRowSummary } from "../monitor/coverage.ts";

/**
 * The colour the fleet view gives one process: its health, except that a quiet running process
 * is red and a process that wrote `stopped` and then went quiet is `stopped` (no colour).
 */
export type ProcessStatus = HealthStatus | "stopped";

/** One `jetmon_process_health` row as the fleet sees it (docs/reference/dashboard-fleethealth.md §6.3). */
export interface FleetProcess {
  process_id: string;
  host_id: string;
  process_type: string;
  pid: number;
  version: string;
  build_date: string;
  go_version: string;
  state: string;
  health_status: string;
  /** Added: the fleet's verdict for this row, so the page never re-derives it. */
  status: ProcessStatus;
  started_at: string;
  updated_at: string;
  last_heartbeat_age_sec: number;
  stale: boolean;
  bucket_min?: number;
  bucket_max?: number;
  bucket_ownership: string;
  api_port?: number;
  dashboard_port?: number;
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
  dependency_health?: DependencyHealth[];
}

export type OwnershipMode = "pinned" | "dynamic" | "mixed" | "unknown";

/** One `jetmon_hosts` row (docs/reference/dashboard-fleethealth.md §6.4). */
export interface CoverageHost extends HostRowSummary {
  stale: boolean;
}

export interface BucketCoverage {
  status: HealthStatus;
  mode: OwnershipMode;
  bucket_total: number;
  host_count: number;
  /** Added: in pinned mode, how many buckets the fresh pinned monitors report owning. */
  pinned_buckets?: number;
  /** Added: the only problem is a joining host's overlap, inside its settle window (src/fleet/settling.ts). */
  settling?: boolean;
  error?: string;
  hosts?: CoverageHost[];
}

export interface DeliveryPosture {
  status: HealthStatus;
  enabled_process_count: number;
  enabled_hosts?: string[];
  owner_hosts?: string[];
  message: string;
}

/** docs/reference/dashboard-fleethealth.md §6.5: counts summed over both delivery tables, ages the maximum. */
export interface DeliverySummary extends DeliveryCounts {
  status: HealthStatus;
  error?: string;
  /** The start of the recent window (now - 15 min). */
  since: string;
  tables?: QueueSummary[];
  posture: DeliveryPosture;
}

export interface ProjectionDrift {
  status: HealthStatus;
  count: number;
  error?: string;
}

/** One dependency name rolled up over every process that reports it (docs/reference/dashboard-fleethealth.md §6.7). */
export interface DependencyRollup {
  name: string;
  /** Added: `disabled` when every process reporting it has it turned off by config. */
  status: HealthStatus | "disabled";
  red_count: number;
  amber_count: number;
  green_count: number;
  stale_count: number;
  /** Added, when > 0: processes that report it turned off by config (neither amber nor red). */
  disabled_count?: number;
  last_error?: string;
  /** Added: the versions verifiers reported (` (<version>)` is folded out of the name). */
  versions?: string[];
}

export interface FleetSummary {
  status: HealthStatus;
  message: string;
  suggested_next_action: string;
  issues?: string[];
  /** Added: how many of `issues` (the first ones) are red. */
  red_issue_count: number;
  red_processes: number;
  amber_processes: number;
  green_processes: number;
  stale_processes: number;
  /** Added: processes that wrote `stopped` and went quiet; neither red nor amber. */
  stopped_processes: number;
  monitor_processes: number;
  deliverer_processes: number;
  dependency_red_count: number;
  dependency_amber_count: number;
}

export interface FleetSnapshot {
  generated_at: string;
  summary: FleetSummary;
  processes: FleetProcess[];
  process_counts: Record<string, number>;
  /** Added: stopped rows older than FLEET_RETAIN_STOPPED_HOURS, left out of everything above. */
  hidden_stopped_processes: number;
  bucket_coverage: BucketCoverage;
  delivery: DeliverySummary;
  projection_drift: ProjectionDrift;
  dependencies?: DependencyRollup[];
}

/** What the fleet view needs from config; the names say which key each comes from. */
export interface FleetOptions {
  /** BUCKET_TOTAL. */
  bucketTotal: number;
  /** BUCKET_HEARTBEAT_GRACE_SEC; <= 0 means 600. */
  heartbeatGraceSec: number;
  /** FLEET_RETAIN_STOPPED_HOURS; default 24, 0 hides stopped rows at once. */
  retainStoppedHours?: number;
  /** Snapshot cache lifetime; default 5000, 0 means the default, negative disables the cache. */
  cacheTtlMs?: number;
  /** Bound on each query; default 3000. */
  queryTimeoutMs?: number;
}

/** The fleet options a loaded config implies (cache and query bound keep their defaults). */
export function fleetOptionsFromConfig(
  cfg: Pick<Config, "BUCKET_TOTAL" | "BUCKET_HEARTBEAT_GRACE_SEC" | "FLEET_RETAIN_STOPPED_HOURS">,
): FleetOptions {
  return {
    bucketTotal: cfg.BUCKET_TOTAL,
    heartbeatGraceSec: cfg.BUCKET_HEARTBEAT_GRACE_SEC,
    retainStoppedHours: cfg.FLEET_RETAIN_STOPPED_HOURS,
  };
}

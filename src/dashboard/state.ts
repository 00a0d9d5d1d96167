/**
 * What the host dashboard shows: the monitor's current figures (`HostState`, the JSON of
 * `/api/state` and of each SSE event, field names as docs/reference/dashboard-fleethealth.md §1.2 plus `rss_mem_mb` and the
 * bucket coverage of docs/design.md defect 4) and its dependency probes (`HostHealth`).
 */
import { type DependencyHealth, ZERO_TIME } from "../fleethealth/snapshot.ts";

export interface HostState {
  worker_count: number;
  active_checks: number;
  queue_depth: number;
  retry_queue_size: number;
  /** Check results held in memory while MySQL refuses writes (issue 15); 0 when all are written. */
  held_results: number;
  sites_per_sec: number;
  round_duration_ms: number;
  wpcom_circuit_open: boolean;
  wpcom_queue_depth: number;
  /** Bun runtime heap in MB (the column keeps its Go name). */
  go_sys_mem_mb: number;
  /** True process RSS in MB; 0 when unavailable. */
  rss_mem_mb: number;
  bucket_min: number;
  bucket_max: number;
  bucket_ownership: string;
  /** BUCKET_TOTAL as this host sees it. */
  bucket_total: number;
  /** Buckets no live host covers (docs/design.md defect 4); any is red. */
  uncovered_buckets: number;
  /** Those buckets as inclusive ranges, e.g. "500-999" or "0-9,500-999"; "" when none. */
  uncovered_bucket_ranges: string;
  legacy_status_projection_enabled: boolean;
  /** Optional columns the database lacks (`table.column`); any is amber. */
  schema_missing_columns: string[];
  /** CHECK_HISTORY_MODE (all, changes, off); "" before the first update. */
  check_history_mode: string;
  /** What that mode leaves in jetmon_check_history and what it limits (operator text). */
  check_history: string;
  delivery_workers_enabled: boolean;
  delivery_config_eligible: boolean;
  delivery_owner_host: string;
  rollout_preflight_command: string;
  rollout_cutover_command: string;
  rollout_activity_command: string;
  rollout_rollback_command: string;
  rollout_state_report_command: string;
  projection_drift_command: string;
  hostname: string;
  /** RFC3339 UTC; ZERO_TIME until the monitor has published. */
  updated_at: string;
}

/** The dependency probes, in probe order. */
export type HostHealth = DependencyHealth[];

/** The state served before the monitor's first update (docs/reference/dashboard-fleethealth.md §1.1). */
function zeroHostState(): HostState {
  return {
    worker_count: 0,
    active_checks: 0,
    queue_depth: 0,
    retry_queue_size: 0,
    held_results: 0,
    sites_per_sec: 0,
    round_duration_ms: 0,
    wpcom_circuit_open: false,
    wpcom_queue_depth: 0,
    go_sys_mem_mb: 0,
    rss_mem_mb: 0,
    bucket_min: 0,
    bucket_max: 0,
    bucket_ownership: "",
    bucket_total: 0,
    uncovered_buckets: 0,
    uncovered_bucket_ranges: "",
    legacy_status_projection_enabled: false,
    schema_missing_columns: [],
    check_history_mode: "",
    check_history: "",
    delivery_workers_enabled: false,
    delivery_config_eligible: false,
    delivery_owner_host: "",
    rollout_preflight_command: "",
    rollout_cutover_command: "",
    rollout_activity_command: "",
    rollout_rollback_command: "",
    rollout_state_report_command: "",
    projection_drift_command: "",
    hostname: "",
    updated_at: ZERO_TIME,
  };
}

/** Every field present, in the documented order, whatever the caller handed in. */
export function completeHostState(s: Partial<HostState> | null | undefined): HostState {
  const out = zeroHostState();
  if (!s) return out;
  for (const key of Object.keys(out) as (keyof HostState)[]) {
    const v = s[key];
    if (v !== undefined && v !== null) (out as unknown as Record<string, unknown>)[key] = v;
  }
  return out;
}

/** True when the monitor has not published yet (missing, empty or zero `updated_at`). */
export function isUnpublished(s: Pick<HostState, "updated_at"> | null | undefined): boolean {
  if (!s?.updated_at) return true;
  const t = Date.parse(s.updated_at);
  return Number.isNaN(t) || s.updated_at === ZERO_TIME || t <= Date.parse(ZERO_TIME);
}

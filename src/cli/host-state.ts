/**
 * The monitor's figures as the host dashboard's HostState (docs/reference/dashboard-fleethealth.md §4.2);
 * src/dashboard/heartbeat.ts turns that state into the jetmon_process_health row. Every figure is
 * a measurement the orchestrator took.
 */
import type { Config } from "../config/schema.ts";
import type { HostState } from "../dashboard/state.ts";
import { embeddedOwnerStatus } from "../delivery/ownership.ts";
import type { ProcessMemory } from "../metrics/memory.ts";
import { describeHistoryMode, historySettings } from "../monitor/history-mode.ts";
import type { MonitorFigures } from "../monitor/orchestrator.ts";
import { rfc3339Nano } from "../time.ts";

export interface HostStateInput {
  figures: MonitorFigures;
  config: Config;
  hostname: string;
  memory: ProcessMemory;
  /** Whether delivery workers were started in this process (decided once at startup). */
  deliveryWorkersEnabled: boolean;
  now: number;
}

export function buildHostState(i: HostStateInput): HostState {
  const f = i.figures;
  const c = i.config;
  const history = historySettings(c);
  return {
    worker_count: f.workerCount,
    active_checks: f.activeChecks,
    queue_depth: f.queueDepth,
    retry_queue_size: f.retryQueueSize,
    held_results: f.pendingWrites,
    // One decimal: a small host (the demo: 7 sites a minute) checks well under 1 a second.
    sites_per_sec: Math.round(f.sitesPerSec * 10) / 10,
    round_duration_ms: f.lastRound?.durationMs ?? 0,
    wpcom_circuit_open: f.wpcomCircuitOpen,
    wpcom_queue_depth: f.wpcomQueueDepth,
    go_sys_mem_mb: i.memory.heapMb,
    rss_mem_mb: i.memory.rssMb,
    bucket_min: f.bucketMin,
    bucket_max: f.bucketMax,
    bucket_ownership: f.bucketOwnership,
    bucket_total: c.BUCKET_TOTAL,
    uncovered_buckets: f.uncoveredBucketCount ?? 0,
    uncovered_bucket_ranges: f.uncoveredBuckets ?? "",
    legacy_status_projection_enabled: c.LEGACY_STATUS_PROJECTION_ENABLE,
    schema_missing_columns: f.missingColumns,
    check_history_mode: history.mode,
    check_history: describeHistoryMode(history.mode, history.sampleMin),
    delivery_workers_enabled: i.deliveryWorkersEnabled,
    // The startup rule applied to the current config (docs/reference/dashboard-fleethealth.md §4.2).
    delivery_config_eligible: embeddedOwnerStatus(c.API_PORT, c.DELIVERY_OWNER_HOST, i.hostname).enabled,
    delivery_owner_host: c.DELIVERY_OWNER_HOST,
    rollout_preflight_command: "",
    rollout_cutover_command: "",
    rollout_activity_command: "",
    rollout_rollback_command: "",
    rollout_state_report_command: "",
    projection_drift_command: "",
    hostname: i.hostname,
    updated_at: rfc3339Nano(i.now),
  };
}

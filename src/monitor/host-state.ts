/**
 * The monitor's figures as the host dashboard's HostState and as the jetmon_process_health row
 * (reference dashboard-fleethealth §4.2). Every figure is a measurement the orchestrator took.
 */
import type { Config } from "../config/schema.ts";
import type { HostHealth, HostState } from "../dashboard/state.ts";
import { summarizeHost } from "../dashboard/summary.ts";
import { type ProcessState, processId, rfc3339, type SnapshotInput } from "../fleethealth/snapshot.ts";
import type { ProcessMemory } from "../metrics/memory.ts";
import { BUILD_DATE, RUNTIME_VERSION, VERSION } from "../version.ts";
import type { MonitorFigures } from "./orchestrator.ts";

/** Delivery workers may run in monitor mode only with API_PORT > 0 and an owner that is empty or this host. */
export function deliveryEligible(
  c: Pick<Config, "API_PORT" | "DELIVERY_OWNER_HOST">,
  hostname: string,
): boolean {
  if (c.API_PORT <= 0) return false;
  const owner = c.DELIVERY_OWNER_HOST.trim();
  return owner === "" || owner === hostname;
}

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
  return {
    worker_count: f.workerCount,
    active_checks: f.activeChecks,
    queue_depth: f.queueDepth,
    retry_queue_size: f.retryQueueSize,
    sites_per_sec: Math.round(f.sitesPerSec),
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
    delivery_workers_enabled: i.deliveryWorkersEnabled,
    delivery_config_eligible: deliveryEligible(c, i.hostname),
    delivery_owner_host: c.DELIVERY_OWNER_HOST,
    rollout_preflight_command: "",
    rollout_cutover_command: "",
    rollout_activity_command: "",
    rollout_rollback_command: "",
    rollout_state_report_command: "",
    projection_drift_command: "",
    hostname: i.hostname,
    updated_at: rfc3339(new Date(i.now)),
  };
}

export function buildSnapshot(i: {
  state: HostState;
  health: HostHealth | null;
  config: Config;
  hostname: string;
  startedAt: Date;
  processState?: ProcessState;
}): SnapshotInput {
  const s = i.state;
  return {
    process_id: processId(i.hostname, "monitor"),
    host_id: i.hostname,
    process_type: "monitor",
    pid: process.pid,
    version: VERSION,
    build_date: BUILD_DATE,
    go_version: RUNTIME_VERSION,
    state: i.processState ?? "running",
    health_status: summarizeHost(s, i.health).status,
    started_at: i.startedAt,
    bucket_min: s.bucket_min,
    bucket_max: s.bucket_max,
    bucket_ownership: s.bucket_ownership,
    api_port: i.config.API_PORT,
    dashboard_port: i.config.DASHBOARD_PORT,
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
    dependency_health: i.health ?? [],
  };
}

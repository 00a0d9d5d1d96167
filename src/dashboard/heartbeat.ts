/**
 * The monitor's heartbeat row from its dashboard state (docs/reference/dashboard-fleethealth.md §4.2
 * `monitorProcessHealthSnapshot`): what the monitor's LifecyclePublisher `build` returns.
 */
import type { DependencyHealth, ProcessState, SnapshotInput } from "../fleethealth/snapshot.ts";
import type { HostHealth, HostState } from "./state.ts";
import { summarizeHost } from "./summary.ts";

export interface MonitorIdentity {
  pid: number;
  version: string;
  buildDate: string;
  /** `bun <version>`, stored in `go_version`. */
  runtimeVersion: string;
  startedAt: Date;
  apiPort: number;
  dashboardPort: number;
}

/**
 * Health is the host summary's status, forced to amber while stopping or stopped. Bucket range and
 * ports are always written (0 stays 0, not NULL). Sites/sec, round time, eligibility, projection
 * and commands are not persisted.
 */
export function monitorSnapshot(
  id: MonitorIdentity,
  state: HostState,
  health: HostHealth | null,
  lifecycle: ProcessState = "running",
): SnapshotInput {
  const summary = summarizeHost(state, health);
  const leaving = lifecycle === "stopping" || lifecycle === "stopped";
  return {
    host_id: state.hostname,
    process_type: "monitor",
    pid: id.pid,
    version: id.version,
    build_date: id.buildDate,
    go_version: id.runtimeVersion,
    state: lifecycle,
    health_status: leaving ? "amber" : summary.status,
    started_at: id.startedAt,
    bucket_min: state.bucket_min,
    bucket_max: state.bucket_max,
    bucket_ownership: state.bucket_ownership,
    api_port: id.apiPort,
    dashboard_port: id.dashboardPort,
    delivery_workers_enabled: state.delivery_workers_enabled,
    delivery_owner_host: state.delivery_owner_host,
    worker_count: state.worker_count,
    active_checks: state.active_checks,
    queue_depth: state.queue_depth,
    retry_queue_size: state.retry_queue_size,
    wpcom_circuit_open: state.wpcom_circuit_open,
    wpcom_queue_depth: state.wpcom_queue_depth,
    go_sys_mem_mb: state.go_sys_mem_mb,
    rss_mem_mb: state.rss_mem_mb,
    dependency_health: (health ?? []).map((d): DependencyHealth => ({ ...d })),
  };
}

/**
 * The fleet's answer to "is it safe to advance the rollout?" and what to do next
 * (docs/reference/dashboard-fleethealth.md §6.8). Changes from the reference, per the fleet issue: a process that wrote `stopped` and
 * then went quiet counts as stopped (no issue) rather than stale and red, and a fleet whose
 * every monitor is stopped is amber. Pure.
 */
import type { HealthStatus } from "../fleethealth/snapshot.ts";
import type {
  BucketCoverage,
  DeliverySummary,
  DependencyRollup,
  FleetProcess,
  FleetSummary,
  ProjectionDrift,
} from "./types.ts";

export const SUMMARY_MESSAGES = {
  red: "fleet has rollout-blocking issues",
  amber: "fleet needs operator attention",
  green: "fleet checks are green",
} as const;

export const NEXT_ACTIONS = {
  stale: "Investigate stale process heartbeats before advancing rollout or relying on fleet status.",
  coverageRed: "Fix jetmon_hosts bucket coverage before relying on dynamic ownership.",
  driftRed: "Run rollout projection-drift --limit=100 and fix legacy projection drift before continuing.",
  deliveryRed: "Investigate failed or abandoned delivery rows before moving delivery ownership.",
  redProcesses: "Open the affected host dashboard and resolve red process health before rollout.",
  deliveryAmber: "Watch delivery-check and confirm due deliveries drain before moving delivery ownership.",
  postureAmber: "Confirm DELIVERY_OWNER_HOST posture before enabling or moving delivery workers.",
  coverageSettling:
    "Wait for the joining host's bucket claim to settle; the overlap clears at the peers' next claim.",
  coverageAmber:
    "Confirm whether the fleet is still in pinned rollout before expecting dynamic bucket coverage.",
  noMonitors: "Confirm monitor processes are publishing jetmon_process_health snapshots.",
  amberProcesses: "Open amber host dashboards and clear dependency warnings before the next rollout step.",
  healthy: "Fleet checks look healthy; continue normal monitoring and rollout validation.",
} as const;

export interface FleetSections {
  processes: readonly FleetProcess[];
  coverage: BucketCoverage;
  delivery: DeliverySummary;
  drift: ProjectionDrift;
  dependencies: readonly DependencyRollup[];
}

export function summarizeFleet(s: FleetSections): FleetSummary {
  const red: string[] = [];
  const amber: string[] = [];
  const add = (status: HealthStatus | string, text: string) => {
    if (status === "red") red.push(text);
    else if (status === "amber") amber.push(text);
  };
  const counts = {
    red_processes: 0,
    amber_processes: 0,
    green_processes: 0,
    stale_processes: 0,
    stopped_processes: 0,
    monitor_processes: 0,
    deliverer_processes: 0,
  };
  let liveMonitors = 0;

  if (s.processes.length === 0) add("amber", "no process-health snapshots found");
  for (const p of s.processes) {
    if (p.process_type === "monitor") {
      counts.monitor_processes++;
      if (p.status !== "stopped") liveMonitors++;
    } else if (p.process_type === "deliverer") {
      counts.deliverer_processes++;
    }
    if (p.status === "stopped") {
      counts.stopped_processes++;
    } else if (p.stale) {
      counts.stale_processes++;
      counts.red_processes++;
      add("red", `${p.process_id} heartbeat stale age=${p.last_heartbeat_age_sec}s`);
    } else if (p.health_status === "red") {
      counts.red_processes++;
      add("red", `${p.process_id} health_status=red`);
    } else if (p.health_status === "amber") {
      counts.amber_processes++;
      add("amber", `${p.process_id} health_status=amber`);
    } else if (p.health_status === "green") {
      counts.green_processes++;
    } else {
      counts.amber_processes++;
      add("amber", `${p.process_id} health_status=${JSON.stringify(p.health_status)}`);
    }
  }

  let dependencyRed = 0;
  let dependencyAmber = 0;
  for (const d of s.dependencies) {
    if (d.status === "red") dependencyRed += d.red_count;
    if (d.status === "amber") dependencyAmber += d.amber_count;
  }

  if (counts.monitor_processes === 0) add("amber", "no monitor process snapshots found");
  else if (liveMonitors === 0) add("amber", "every monitor process snapshot is stopped");

  const { coverage, drift, delivery } = s;
  add(coverage.status, `bucket coverage: ${coverage.error || coverage.status}`);
  add(drift.status, `projection drift: ${drift.error || `legacy projection drift=${drift.count}`}`);
  add(
    delivery.status,
    `delivery queues: ${
      delivery.error ||
      `pending=${delivery.pending} due=${delivery.due_now} failed_since=${delivery.failed_since} abandoned_since=${delivery.abandoned_since}`
    }`,
  );
  add(delivery.posture.status, `delivery posture: ${delivery.posture.message}`);

  const status: HealthStatus = red.length > 0 ? "red" : amber.length > 0 ? "amber" : "green";
  const issues = [...red, ...amber];
  return {
    status,
    message: SUMMARY_MESSAGES[status],
    suggested_next_action: nextAction(s, counts, liveMonitors),
    ...(issues.length > 0 ? { issues } : {}),
    red_issue_count: red.length,
    ...counts,
    dependency_red_count: dependencyRed,
    dependency_amber_count: dependencyAmber,
  };
}

/** docs/reference/dashboard-fleethealth.md §6.8 "suggested_next_action", first match wins. */
function nextAction(
  s: FleetSections,
  c: { stale_processes: number; red_processes: number; amber_processes: number },
  liveMonitors: number,
): string {
  if (c.stale_processes > 0) return NEXT_ACTIONS.stale;
  if (s.coverage.status === "red") return NEXT_ACTIONS.coverageRed;
  if (s.drift.status === "red") return NEXT_ACTIONS.driftRed;
  if (s.delivery.status === "red") return NEXT_ACTIONS.deliveryRed;
  if (c.red_processes > 0) return NEXT_ACTIONS.redProcesses;
  if (s.delivery.status === "amber") return NEXT_ACTIONS.deliveryAmber;
  if (s.delivery.posture.status === "amber") return NEXT_ACTIONS.postureAmber;
  if (s.coverage.settling) return NEXT_ACTIONS.coverageSettling;
  if (s.coverage.status === "amber") return NEXT_ACTIONS.coverageAmber;
  if (liveMonitors === 0) return NEXT_ACTIONS.noMonitors;
  if (c.amber_processes > 0) return NEXT_ACTIONS.amberProcesses;
  return NEXT_ACTIONS.healthy;
}

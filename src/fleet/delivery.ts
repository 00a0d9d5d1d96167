/**
 * Delivery queue health and delivery ownership posture across the fleet (docs/reference/dashboard-fleethealth.md §6.5-§6.6).
 * Pure: the counts come from src/delivery/queue-counts.ts.
 */
import type { DeliveryKind } from "../delivery/kinds.ts";
import { type DeliveryCounts, type QueueSummary, sumCounts } from "../delivery/queue-counts.ts";
import type { HealthStatus } from "../fleethealth/snapshot.ts";
import { isActive } from "./processes.ts";
import type { DeliveryPosture, DeliverySummary, FleetProcess } from "./types.ts";

/** Failed and abandoned rows count when they happened within this window. */
export const DELIVERY_RECENT_WINDOW_MS = 15 * 60 * 1000;

export function deliveryStatus(c: DeliveryCounts): HealthStatus {
  if (c.abandoned_since > 0 || c.failed_since > 0) return "red";
  if (c.due_now > 0) return "amber";
  return "green";
}

const POSTURE_MESSAGES = {
  queuedWithoutWorkers:
    "delivery rows are queued but no fresh process snapshot reports delivery workers enabled",
  idle: "no fresh process snapshot reports delivery workers enabled; delivery queues are empty",
  mixedOwnership: "delivery-capable processes mix explicit DELIVERY_OWNER_HOST and unset ownership",
  noOwner: "delivery workers are enabled without DELIVERY_OWNER_HOST",
  manyOwners: "multiple DELIVERY_OWNER_HOST values are visible across process snapshots",
  fallback: "delivery workers are enabled without an explicit owner",
} as const;

const sortedUnique = (xs: string[]) => [...new Set(xs)].sort();

/** docs/reference/dashboard-fleethealth.md §6.6, first match wins; only active processes with delivery workers enabled count. */
export function summarizePosture(processes: readonly FleetProcess[], pending: number): DeliveryPosture {
  const enabled = processes.filter((p) => isActive(p) && p.delivery_workers_enabled);
  const hosts = sortedUnique(enabled.map((p) => p.host_id));
  const owners = sortedUnique(enabled.map((p) => p.delivery_owner_host.trim()).filter((o) => o !== ""));
  const withoutOwner = enabled.filter((p) => p.delivery_owner_host.trim() === "").length;
  const base = {
    enabled_process_count: enabled.length,
    ...(hosts.length > 0 ? { enabled_hosts: hosts } : {}),
    ...(owners.length > 0 ? { owner_hosts: owners } : {}),
  };
  const verdict = (status: HealthStatus, message: string): DeliveryPosture => ({ status, ...base, message });

  if (enabled.length === 0) {
    return pending > 0
      ? verdict("amber", POSTURE_MESSAGES.queuedWithoutWorkers)
      : verdict("green", POSTURE_MESSAGES.idle);
  }
  if (withoutOwner > 0) {
    return verdict("amber", owners.length > 0 ? POSTURE_MESSAGES.mixedOwnership : POSTURE_MESSAGES.noOwner);
  }
  if (owners.length > 1) return verdict("amber", POSTURE_MESSAGES.manyOwners);
  if (owners.length === 1) return verdict("green", `delivery owner is constrained to ${owners[0]}`);
  return verdict("green", POSTURE_MESSAGES.fallback);
}

/** One table's counts, or the error its query raised. */
export type TableResult =
  | { kind: DeliveryKind; counts: DeliveryCounts }
  | { kind: DeliveryKind; error: Error };

/**
 * Sums counts over the tables (ages take the maximum). The first table in order that failed
 * makes the section red with its error; the tables that answered are still shown.
 */
export function summarizeDelivery(
  results: readonly TableResult[],
  sinceIso: string,
  processes: readonly FleetProcess[],
): DeliverySummary {
  const tables: QueueSummary[] = [];
  let error: string | undefined;
  for (const r of results) {
    if ("error" in r) error ??= r.error.message;
    else tables.push({ kind: r.kind, ...r.counts });
  }
  const total = sumCounts(tables);
  return {
    status: error ? "red" : deliveryStatus(total),
    ...(error ? { error } : {}),
    since: sinceIso,
    ...total,
    ...(tables.length > 0 ? { tables } : {}),
    posture: summarizePosture(processes, total.pending),
  };
}

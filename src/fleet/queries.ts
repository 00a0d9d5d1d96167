/**
 * Where the fleet view's figures come from: `jetmon_process_health`, `jetmon_hosts`, the two
 * delivery tables and the legacy projection drift count, each read on its own pinned connection
 * so a query past its bound can be killed (bounded.ts).
 */
import { asc } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { hosts } from "../db/schema.ts";
import { killableTransaction } from "../db/sql.ts";
import type { DeliveryKind } from "../delivery/kinds.ts";
import { type DeliveryCounts, queueCounts } from "../delivery/queue-counts.ts";
import { countProjectionDrift } from "../events/drift.ts";
import type { Snapshot } from "../fleethealth/snapshot.ts";
import { listSnapshots } from "../fleethealth/store.ts";
import type { HostRow } from "../monitor/coverage.ts";

/** The reads behind one fleet snapshot; each stops waiting when `signal` aborts. */
export interface FleetSource {
  listProcesses(signal: AbortSignal): Promise<Snapshot[]>;
  /** Ordered by bucket_min, host_id. */
  listHosts(signal: AbortSignal): Promise<HostRow[]>;
  /** Queue counts at `nowMs`; failed/abandoned/delivered counted since `cutoffMs`. */
  deliveryCounts(
    kind: DeliveryKind,
    nowMs: number,
    cutoffMs: number,
    signal: AbortSignal,
  ): Promise<DeliveryCounts>;
  /** Active sites in buckets 0..bucketTotal-1 whose site_status disagrees with their open http event. */
  countProjectionDrift(bucketTotal: number, signal: AbortSignal): Promise<number>;
}

export function createFleetSource(db: Db): FleetSource {
  return {
    listProcesses: (signal) => killableTransaction(db, signal, (tx) => listSnapshots(tx)),

    listHosts: (signal) =>
      killableTransaction(db, signal, async (tx) => {
        const rows = await tx
          .select({
            hostId: hosts.hostId,
            bucketMin: hosts.bucketMin,
            bucketMax: hosts.bucketMax,
            lastHeartbeat: hosts.lastHeartbeat,
            status: hosts.status,
          })
          .from(hosts)
          .orderBy(asc(hosts.bucketMin), asc(hosts.hostId));
        return rows.map((r) => ({ ...r, lastHeartbeat: r.lastHeartbeat.getTime() }));
      }),

    deliveryCounts: (kind, nowMs, cutoffMs, signal) =>
      killableTransaction(db, signal, (tx) => queueCounts(tx, kind, nowMs, cutoffMs)),

    countProjectionDrift: (bucketTotal, signal) =>
      killableTransaction(db, signal, (tx) => countProjectionDrift(tx, 0, bucketTotal - 1)),
  };
}

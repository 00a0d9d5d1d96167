/**
 * Where the fleet view's figures come from: `jetmon_process_health`, `jetmon_hosts`, the two
 * delivery tables and the legacy projection drift count, each read on its own pinned connection
 * so a query past its bound can be killed (bounded.ts).
 */
import { asc, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { alertDeliveries, hosts, webhookDeliveries } from "../db/schema.ts";
import type { Snapshot } from "../fleethealth/snapshot.ts";
import { listSnapshots } from "../fleethealth/store.ts";
import type { HostRow } from "../rollout/coverage.ts";
import { createRolloutStore } from "../rollout/store.ts";
import { readOnce } from "./bounded.ts";
import { emptyCounts } from "./delivery.ts";
import type { DeliveryCounts, DeliveryKind } from "./types.ts";

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

const DELIVERY_TABLES = { webhook: webhookDeliveries, alert: alertDeliveries } as const;

type MetricRow = { metric: string; n: number | string; age: number | string | null };

/** One UNION ALL over a delivery table (reference §6.5): (metric, count, age in seconds) rows. */
export function deliveryCountsQuery(kind: DeliveryKind, now: Date, cutoff: Date) {
  const t = DELIVERY_TABLES[kind];
  if (!t) throw new Error(`unsupported delivery table ${JSON.stringify(kind)}`);
  const recent = sql`(${t.lastAttemptAt} >= ${cutoff} OR (${t.lastAttemptAt} IS NULL AND ${t.createdAt} >= ${cutoff}))`;
  return sql`SELECT 'pending' AS metric, COUNT(*) AS n, TIMESTAMPDIFF(SECOND, MIN(${t.createdAt}), ${now}) AS age
      FROM ${t} WHERE ${t.status} = 'pending'
    UNION ALL SELECT 'due', COUNT(*), TIMESTAMPDIFF(SECOND, MIN(COALESCE(${t.nextAttemptAt}, ${t.createdAt})), ${now})
      FROM ${t} WHERE ${t.status} = 'pending' AND (${t.nextAttemptAt} IS NULL OR ${t.nextAttemptAt} <= ${now})
    UNION ALL SELECT 'future', COUNT(*), 0
      FROM ${t} WHERE ${t.status} = 'pending' AND ${t.nextAttemptAt} > ${now}
    UNION ALL SELECT 'delivered', COUNT(*), 0
      FROM ${t} WHERE ${t.status} = 'delivered' AND ${t.deliveredAt} >= ${cutoff}
    UNION ALL SELECT 'abandoned', COUNT(*), 0
      FROM ${t} WHERE ${t.status} = 'abandoned' AND ${recent}
    UNION ALL SELECT 'failed', COUNT(*), 0
      FROM ${t} WHERE ${t.status} = 'failed' AND ${recent}`;
}

const whole = (v: number | string | null) => Math.max(0, Math.trunc(Number(v ?? 0)) || 0);

/** Maps the metric rows onto counts; an unknown metric is an error (the query and this disagree). */
export function countsFromRows(rows: readonly MetricRow[]): DeliveryCounts {
  const c = emptyCounts();
  for (const r of rows) {
    const n = whole(r.n);
    switch (r.metric) {
      case "pending":
        c.pending = n;
        c.oldest_pending_age_sec = n > 0 ? whole(r.age) : 0;
        break;
      case "due":
        c.due_now = n;
        c.oldest_due_age_sec = n > 0 ? whole(r.age) : 0;
        break;
      case "future":
        c.future_retry = n;
        break;
      case "delivered":
        c.delivered_since = n;
        break;
      case "abandoned":
        c.abandoned_since = n;
        break;
      case "failed":
        c.failed_since = n;
        break;
      default:
        throw new Error(`unknown delivery summary metric ${JSON.stringify(r.metric)}`);
    }
  }
  return c;
}

export function createFleetSource(db: Db): FleetSource {
  return {
    listProcesses: (signal) => readOnce(db, signal, (tx) => listSnapshots(tx)),

    listHosts: (signal) =>
      readOnce(db, signal, async (tx) => {
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
      readOnce(db, signal, async (tx) => {
        const [rows] = (await tx.execute(
          deliveryCountsQuery(kind, new Date(nowMs), new Date(cutoffMs)),
        )) as unknown as [MetricRow[]];
        return countsFromRows(rows);
      }),

    countProjectionDrift: (bucketTotal, signal) =>
      // The rollout store owns the drift query; it only builds selects, which a transaction
      // offers exactly as the Db does.
      readOnce(db, signal, (tx) =>
        createRolloutStore(tx as unknown as Db).countProjectionDrift(0, bucketTotal - 1),
      ),
  };
}

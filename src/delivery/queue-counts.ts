/**
 * How full a delivery queue is: pending, due, future-retry, recently delivered, abandoned and
 * failed rows plus the oldest ages. One UNION ALL per table (docs/reference/dashboard-fleethealth.md §6.5) serves
 * both `jetmon2 delivery-check` (docs/reference/deliverer.md §1.8) and the fleet view; the two define every count
 * alike, with abandoned and failed rows dated by their last attempt, or by creation if never tried.
 */
import { sql } from "drizzle-orm";
import { alertDeliveries, webhookDeliveries } from "../db/schema.ts";
import { dbTime, type Executor, selectRows } from "../db/sql.ts";
import { errorText } from "../error-text.ts";
import type { DeliveryKind } from "./kinds.ts";

export interface DeliveryCounts {
  pending: number;
  due_now: number;
  future_retry: number;
  delivered_since: number;
  abandoned_since: number;
  failed_since: number;
  oldest_pending_age_sec: number;
  oldest_due_age_sec: number;
}

/** One table's counts as both reports print them; `total` is the sum row of delivery-check. */
export interface QueueSummary extends DeliveryCounts {
  kind: DeliveryKind | "total";
}

export const DELIVERY_KINDS: readonly DeliveryKind[] = ["webhook", "alert"];

export function emptyCounts(): DeliveryCounts {
  return {
    pending: 0,
    due_now: 0,
    future_retry: 0,
    delivered_since: 0,
    abandoned_since: 0,
    failed_since: 0,
    oldest_pending_age_sec: 0,
    oldest_due_age_sec: 0,
  };
}

/** Sums the counts and keeps the largest ages. */
export function sumCounts(rows: readonly DeliveryCounts[]): DeliveryCounts {
  const t = emptyCounts();
  for (const r of rows) {
    t.pending += r.pending;
    t.due_now += r.due_now;
    t.future_retry += r.future_retry;
    t.delivered_since += r.delivered_since;
    t.abandoned_since += r.abandoned_since;
    t.failed_since += r.failed_since;
    t.oldest_pending_age_sec = Math.max(t.oldest_pending_age_sec, r.oldest_pending_age_sec);
    t.oldest_due_age_sec = Math.max(t.oldest_due_age_sec, r.oldest_due_age_sec);
  }
  return t;
}

const DELIVERY_TABLES = { webhook: webhookDeliveries, alert: alertDeliveries } as const;

export type MetricRow = { metric: string; n: number | string; age: number | string | null };

/** One UNION ALL over a delivery table: (metric, count, age in seconds) rows. */
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

/**
 * The counts of one table at `nowMs`; delivered, abandoned and failed rows since `cutoffMs`.
 * Query errors read `<kind> delivery summary: <cause>`.
 */
export async function queueCounts(
  ex: Executor,
  kind: DeliveryKind,
  nowMs: number,
  cutoffMs: number,
): Promise<DeliveryCounts> {
  const q = deliveryCountsQuery(kind, dbTime(nowMs), dbTime(cutoffMs));
  try {
    return countsFromRows(await selectRows<MetricRow>(ex, q));
  } catch (err) {
    throw new Error(`${kind} delivery summary: ${errorText(err)}`);
  }
}

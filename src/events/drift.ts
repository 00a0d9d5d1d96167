/**
 * Legacy projection drift: active sites whose `site_status` disagrees with what their open http
 * event implies. The orchestrator counts it for its buckets, the fleet view for all, and the
 * rollout gates list and repair it. Bucket ranges are inclusive.
 */
import { and, asc, between, eq, inArray, isNull, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { auditLog, events, sites } from "../db/schema.ts";
import type { Executor } from "../db/sql.ts";

/** One site whose legacy `site_status` disagrees with its open http event. */
export interface DriftRow {
  siteId: number;
  blogId: number;
  bucketNo: number;
  siteStatus: number;
  expectedStatus: number;
  eventId: number | null;
  eventState: string | null;
}

/**
 * Why a row drifted: which open event (if any) implies the expected status.
 * `no_open_event` expects 1, `open_down_event` 2, `open_seems_down_event` 0, `open_other_event` 1.
 */
export const DRIFT_CAUSES = [
  "open_down_event",
  "open_seems_down_event",
  "open_other_event",
  "no_open_event",
] as const;
export type DriftCause = (typeof DRIFT_CAUSES)[number];

const expectedStatus = sql<number>`CASE WHEN ${events.state} = 'Down' THEN 2 WHEN ${events.state} = 'Seems Down' THEN 0 ELSE 1 END`;

const driftCause = sql<DriftCause>`CASE WHEN ${events.id} IS NULL THEN 'no_open_event' WHEN ${events.state} = 'Down' THEN 'open_down_event' WHEN ${events.state} = 'Seems Down' THEN 'open_seems_down_event' ELSE 'open_other_event' END`;

const openHttpEvent = and(
  eq(events.blogId, sites.blogId),
  eq(events.checkType, "http"),
  isNull(events.endedAt),
);

const activeInRange = (min: number, max: number): SQL =>
  sql`(${eq(sites.monitorActive, 1)} and ${between(sites.bucketNo, min, max)})`;

const drifted = (min: number, max: number): SQL =>
  sql`(${activeInRange(min, max)} and ${sites.siteStatus} <> ${expectedStatus})`;

const count = sql<number>`COUNT(*)`.mapWith(Number);

const driftColumns = {
  siteId: sites.jetpackMonitorSiteId,
  blogId: sites.blogId,
  bucketNo: sites.bucketNo,
  siteStatus: sites.siteStatus,
  expectedStatus: expectedStatus.mapWith(Number),
  eventId: events.id,
  eventState: events.state,
};

export interface RepairResult {
  /** Sites whose site_status was rewritten. */
  repaired: number;
  /** Sites skipped because two open http events imply different statuses. */
  conflicts: number[];
}

const REPAIR_BATCH = 1000;

/** How many active sites in buckets `min..max` drifted. */
export async function countProjectionDrift(db: Executor, min: number, max: number): Promise<number> {
  const [row] = await db
    .select({ n: count })
    .from(sites)
    .leftJoin(events, openHttpEvent)
    .where(drifted(min, max));
  return row?.n ?? 0;
}

/** The drifted sites in buckets `min..max`, counted by cause. */
export async function countProjectionDriftByCause(
  db: Executor,
  min: number,
  max: number,
): Promise<Map<DriftCause, number>> {
  const rows = await db
    .select({ cause: driftCause, n: count })
    .from(sites)
    .leftJoin(events, openHttpEvent)
    .where(drifted(min, max))
    .groupBy(driftCause);
  return new Map(rows.map((r) => [r.cause, r.n]));
}

/** Up to `limit` (default 50) drifted sites, by bucket and blog id. */
export async function listProjectionDrift(
  db: Executor,
  min: number,
  max: number,
  limit: number,
): Promise<DriftRow[]> {
  return db
    .select(driftColumns)
    .from(sites)
    .leftJoin(events, openHttpEvent)
    .where(drifted(min, max))
    .orderBy(asc(sites.bucketNo), asc(sites.blogId))
    .limit(limit > 0 ? limit : 50);
}

/** Rewrites site_status (and last_status_change) of every drifted site in range, in one transaction. */
export async function repairProjectionDrift(
  db: Db,
  min: number,
  max: number,
  { nowMs, source }: { nowMs: number; source: string },
): Promise<RepairResult> {
  return db.transaction(async (tx) => {
    // Lock the drifted sites and their open events so the projection cannot move under us.
    const rows = await tx
      .select(driftColumns)
      .from(sites)
      .leftJoin(events, openHttpEvent)
      .where(drifted(min, max))
      .for("update");
    const bySite = new Map<number, DriftRow[]>();
    for (const r of rows) bySite.set(r.siteId, [...(bySite.get(r.siteId) ?? []), r]);
    const conflicts: number[] = [];
    const toWrite = new Map<number, DriftRow[]>();
    for (const list of bySite.values()) {
      const row = list[0];
      if (row === undefined) continue;
      const wanted = new Set(list.map((r) => r.expectedStatus));
      if (wanted.size > 1) {
        conflicts.push(row.blogId);
        continue;
      }
      toWrite.set(row.expectedStatus, [...(toWrite.get(row.expectedStatus) ?? []), row]);
    }
    const changedAt = new Date(nowMs);
    let repaired = 0;
    for (const [status, list] of toWrite) {
      for (let i = 0; i < list.length; i += REPAIR_BATCH) {
        const batch = list.slice(i, i + REPAIR_BATCH);
        await tx
          .update(sites)
          .set({ siteStatus: status, lastStatusChange: changedAt })
          .where(
            inArray(
              sites.jetpackMonitorSiteId,
              batch.map((r) => r.siteId),
            ),
          );
        await tx.insert(auditLog).values(
          batch.map((r) => ({
            blogId: r.blogId,
            eventId: r.eventId,
            eventType: "projection_repaired",
            source,
            detail: `site_status ${r.siteStatus} -> ${status} (open http event ${r.eventId ?? "none"} state ${r.eventState ?? "none"})`,
          })),
        );
        repaired += batch.length;
      }
    }
    return { repaired, conflicts: conflicts.sort((a, b) => a - b) };
  });
}

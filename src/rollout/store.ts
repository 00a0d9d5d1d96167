/**
 * The rows the rollout gates read (docs/reference/cli-rollout-api.md §2.3), and the one write they may make: the
 * projection repair. All bucket ranges are inclusive.
 */
import { and, asc, between, eq, gte, lte, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { hosts, sites } from "../db/schema.ts";
import {
  countProjectionDrift,
  countProjectionDriftByCause,
  type DriftCause,
  type DriftRow,
  listProjectionDrift,
  type RepairResult,
  repairProjectionDrift,
} from "../events/drift.ts";
import type { HostRow } from "../monitor/coverage.ts";

const activeInRange = (min: number, max: number): SQL =>
  sql`(${eq(sites.monitorActive, 1)} and ${between(sites.bucketNo, min, max)})`;

const count = sql<number>`COUNT(*)`.mapWith(Number);

export interface RolloutStore {
  hostRowExists(hostId: string): Promise<boolean>;
  hostRowsOverlapping(min: number, max: number): Promise<HostRow[]>;
  allHosts(): Promise<HostRow[]>;
  countActiveSites(min: number, max: number): Promise<number>;
  /** Blogs with more than one active site row in range, each with its site ids ascending. */
  duplicateActiveBlogs(min: number, max: number): Promise<{ blog_id: number; site_ids: number[] }[]>;
  countRecentlyChecked(min: number, max: number, cutoffMs: number): Promise<number>;
  countProjectionDrift(min: number, max: number): Promise<number>;
  countProjectionDriftByCause(min: number, max: number): Promise<Map<DriftCause, number>>;
  listProjectionDrift(min: number, max: number, limit: number): Promise<DriftRow[]>;
  /** Rewrites site_status (and last_status_change) of every drifted site in range, in one transaction. */
  repairProjectionDrift(
    min: number,
    max: number,
    opts: { nowMs: number; source: string },
  ): Promise<RepairResult>;
}

const hostColumns = {
  hostId: hosts.hostId,
  bucketMin: hosts.bucketMin,
  bucketMax: hosts.bucketMax,
  lastHeartbeat: hosts.lastHeartbeat,
  status: hosts.status,
};

const toHostRow = (r: {
  hostId: string;
  bucketMin: number;
  bucketMax: number;
  lastHeartbeat: Date;
  status: string;
}) => ({
  ...r,
  lastHeartbeat: r.lastHeartbeat.getTime(),
});

export function createRolloutStore(db: Db): RolloutStore {
  return {
    async hostRowExists(hostId) {
      const rows = await db.select({ one: sql`1` }).from(hosts).where(eq(hosts.hostId, hostId)).limit(1);
      return rows.length > 0;
    },

    async hostRowsOverlapping(min, max) {
      const rows = await db
        .select(hostColumns)
        .from(hosts)
        .where(and(lte(hosts.bucketMin, max), gte(hosts.bucketMax, min)))
        .orderBy(asc(hosts.bucketMin), asc(hosts.hostId));
      return rows.map(toHostRow);
    },

    async allHosts() {
      const rows = await db.select(hostColumns).from(hosts).orderBy(asc(hosts.bucketMin), asc(hosts.hostId));
      return rows.map(toHostRow);
    },

    async countActiveSites(min, max) {
      const [row] = await db.select({ n: count }).from(sites).where(activeInRange(min, max));
      return row?.n ?? 0;
    },

    async duplicateActiveBlogs(min, max) {
      const [rows] = (await db.execute(
        sql`SELECT blog_id, GROUP_CONCAT(jetpack_monitor_site_id ORDER BY jetpack_monitor_site_id) AS ids
            FROM jetpack_monitor_sites
            WHERE monitor_active = 1 AND bucket_no BETWEEN ${min} AND ${max}
            GROUP BY blog_id HAVING COUNT(*) > 1 ORDER BY blog_id LIMIT 1000`,
      )) as unknown as [{ blog_id: number; ids: string }[]];
      return rows.map((r) => ({
        blog_id: Number(r.blog_id),
        site_ids: String(r.ids).split(",").map(Number),
      }));
    },

    async countRecentlyChecked(min, max, cutoffMs) {
      const [row] = await db
        .select({ n: count })
        .from(sites)
        .where(and(activeInRange(min, max), gte(sites.lastCheckedAt, new Date(cutoffMs))));
      return row?.n ?? 0;
    },

    countProjectionDrift: (min, max) => countProjectionDrift(db, min, max),

    countProjectionDriftByCause: (min, max) => countProjectionDriftByCause(db, min, max),
    listProjectionDrift: (min, max, limit) => listProjectionDrift(db, min, max, limit),
    repairProjectionDrift: (min, max, opts) => repairProjectionDrift(db, min, max, opts),
  };
}

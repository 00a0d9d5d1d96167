/**
 * The host's active site rows, kept between refreshes so a refresh re-reads only what changed.
 *
 * The range is cut into at most MAX_SLICES slices of whole buckets (slice k is the buckets
 * k*width .. k*width+width-1). Each refresh first reads one digest row per slice: COUNT(*),
 * MAX(jetpack_monitor_site_id) and BIT_XOR(CRC32(...)) over the columns a check reads (not the
 * ones the monitor writes itself: last_checked_at, ssl_expiry_date, last_alert_sent_at,
 * site_status). Only the slices whose digest differs from the last refresh are read again, as
 * whole rows; a new, changed or deactivated site changes its slice's digest, so it is seen by
 * the first refresh that starts after the change commits.
 *
 * A change of range, slice width or optional columns reads everything again.
 */
import { type SQL, sql } from "drizzle-orm";
import type { BucketRange } from "../config/validate.ts";
import type { Db } from "../db/client.ts";
import type { OptionalColumns } from "../db/schema-state.ts";
import { selectRows } from "../db/sql.ts";
import { loadSites, type Site } from "./sites.ts";

/** Most digest rows one refresh reads. */
export const MAX_SLICES = 1024;

/** Buckets per slice for `range`: at most MAX_SLICES slices. */
export function sliceWidth(range: BucketRange): number {
  return Math.max(1, Math.ceil((range.max - range.min + 1) / MAX_SLICES));
}

/** The columns whose change must reach the schedule, NULL told apart from any value. */
function digestColumns(columns: OptionalColumns): SQL {
  const nullable = [
    "check_keyword",
    "maintenance_start",
    "maintenance_end",
    "custom_headers",
    "timeout_seconds",
    "redirect_policy",
    "alert_cooldown_minutes",
    ...(columns.forbiddenKeyword ? ["forbidden_keyword"] : []),
    ...(columns.forbiddenKeywords ? ["forbidden_keywords"] : []),
  ].map((c) => `IFNULL(CONCAT('=', ${c}), '!')`);
  return sql.raw(
    ["jetpack_monitor_site_id", "blog_id", "bucket_no", "monitor_url", "check_interval", ...nullable].join(
      ", ",
    ),
  );
}

/** One digest per slice that holds an active site, keyed by slice number. */
export async function sliceDigests(
  db: Db,
  range: BucketRange,
  width: number,
  columns: OptionalColumns,
): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  if (range.max < range.min) return out;
  const w = sql.raw(String(Math.max(1, Math.trunc(width))));
  const rows = await selectRows<{ slice: number; n: number; max_id: number; x: number | string }>(
    db,
    sql`SELECT FLOOR(bucket_no / ${w}) AS slice, COUNT(*) AS n, MAX(jetpack_monitor_site_id) AS max_id,
               BIT_XOR(CRC32(CONCAT_WS('|', ${digestColumns(columns)}))) AS x
        FROM jetpack_monitor_sites
        WHERE monitor_active = 1 AND bucket_no BETWEEN ${range.min} AND ${range.max}
        GROUP BY slice`,
  );
  for (const r of rows) out.set(Number(r.slice), `${r.n}:${r.max_id}:${r.x}`);
  return out;
}

/** What one refresh did. */
export interface SiteSetRefresh {
  /** Every active site row in range (duplicates included), or null when no slice changed. */
  sites: Site[] | null;
  /** Slices whose rows were read again. */
  slicesRead: number;
  /** Site rows read (0 when nothing changed). */
  rowsRead: number;
  /** Slices with active sites, as the digest query saw them. */
  slices: number;
}

export class SiteSet {
  private slices = new Map<number, { digest: string; sites: Site[] }>();
  private key = "";

  /** Site rows held (every active row of the range at the last refresh). */
  get size(): number {
    let n = 0;
    for (const s of this.slices.values()) n += s.sites.length;
    return n;
  }

  async refresh(db: Db, range: BucketRange, columns: OptionalColumns): Promise<SiteSetRefresh> {
    const width = sliceWidth(range);
    const key = `${range.min}-${range.max}/${width}/${columns.forbiddenKeyword}/${columns.forbiddenKeywords}`;
    const first = key !== this.key;
    const digests = await sliceDigests(db, range, width, columns);
    const changed: number[] = [];
    for (const [slice, digest] of digests) {
      if (first || this.slices.get(slice)?.digest !== digest) changed.push(slice);
    }
    const gone = first
      ? [...this.slices.keys()]
      : [...this.slices.keys()].filter((slice) => !digests.has(slice));
    if (!first && changed.length === 0 && gone.length === 0) {
      return { sites: null, slicesRead: 0, rowsRead: 0, slices: digests.size };
    }
    const read = await readSlices(db, range, width, changed, columns);
    const next = first ? new Map<number, { digest: string; sites: Site[] }>() : this.slices;
    for (const slice of gone) next.delete(slice);
    let rowsRead = 0;
    for (const slice of changed) {
      const sites = read.get(slice) ?? [];
      rowsRead += sites.length;
      next.set(slice, { digest: digests.get(slice) ?? "", sites });
    }
    this.slices = next;
    this.key = key;
    const all: Site[] = [];
    for (const s of next.values()) for (const site of s.sites) all.push(site);
    return { sites: all, slicesRead: changed.length, rowsRead, slices: digests.size };
  }

  /** Forgets everything: the next refresh reads every row. */
  reset(): void {
    this.slices.clear();
    this.key = "";
  }
}

/** The rows of `slices`, read as runs of consecutive slices (one query per run). */
async function readSlices(
  db: Db,
  range: BucketRange,
  width: number,
  slices: number[],
  columns: OptionalColumns,
): Promise<Map<number, Site[]>> {
  const out = new Map<number, Site[]>();
  const sorted = [...slices].sort((a, b) => a - b);
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i] as number;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) {
      i++;
      end++;
    }
    i++;
    const min = Math.max(range.min, start * width);
    const max = Math.min(range.max, end * width + width - 1);
    for (const site of await loadSites(db, { min, max }, columns)) {
      const slice = Math.floor(site.bucketNo / width);
      const list = out.get(slice);
      if (list) list.push(site);
      else out.set(slice, [site]);
    }
  }
  return out;
}

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
 * One site per blog (sites.ts onePerBlog) is decided again only for the blogs of the rows read
 * and the rows they replace, with those blogs' rows in other slices: a refresh that changed
 * nothing allocates nothing, and one that changed a slice touches only its blogs.
 *
 * A change of range, slice width or optional columns reads everything again.
 */
import { type SQL, sql } from "drizzle-orm";
import type { BucketRange } from "../config/validate.ts";
import type { Db } from "../db/client.ts";
import type { OptionalColumns } from "../db/schema-state.ts";
import { selectRows } from "../db/sql.ts";
import { type DuplicateBlog, loadSites, onePerBlog, type Site } from "./sites.ts";

/** Most digest rows one refresh reads. */
export const MAX_SLICES = 1024;

/** Buckets per slice for `range`: at most MAX_SLICES slices. */
export function sliceWidth(range: BucketRange): number {
  return Math.max(1, Math.ceil((range.max - range.min + 1) / MAX_SLICES));
}

/**
 * The columns whose change must reach the schedule. CONCAT_WS skips NULLs, so one ISNULL flag
 * per nullable column tells NULL apart from any value (and from a NULL in another column).
 */
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
  ];
  const all = [
    "jetpack_monitor_site_id",
    "blog_id",
    "bucket_no",
    "monitor_url",
    "check_interval",
    ...nullable,
    ...nullable.map((c) => `ISNULL(${c})`),
  ];
  return sql.raw(all.join(", "));
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

/**
 * What the schedule must take from one refresh: `sites` (one per blog) replace the part of
 * the schedule `inScope` accepts; the rest stays. A full read has every site and a scope of
 * everything.
 */
export interface SiteDelta {
  sites: Site[];
  inScope: (site: Site) => boolean;
  duplicates: DuplicateBlog[];
}

/** What one refresh did. */
export interface SiteSetRefresh {
  /** null when no slice changed: the schedule already holds the rows. */
  delta: SiteDelta | null;
  /** Slices whose rows were read again. */
  slicesRead: number;
  /** Site rows read (0 when nothing changed). */
  rowsRead: number;
  /** Slices with active sites, as the digest query saw them. */
  slices: number;
}

interface Slice {
  digest: string;
  sites: Site[];
}

export class SiteSet {
  private slices = new Map<number, Slice>();
  private key = "";

  /** Site rows held (every active row of the range at the last refresh). */
  get size(): number {
    let n = 0;
    for (const s of this.slices.values()) n += s.sites.length;
    return n;
  }

  /** Every active row held, duplicates included. */
  all(): Site[] {
    const out: Site[] = [];
    for (const s of this.slices.values()) for (const site of s.sites) out.push(site);
    return out;
  }

  async refresh(db: Db, range: BucketRange, columns: OptionalColumns): Promise<SiteSetRefresh> {
    const width = sliceWidth(range);
    const key = `${range.min}-${range.max}/${width}/${columns.forbiddenKeyword}/${columns.forbiddenKeywords}`;
    const full = key !== this.key;
    const digests = await sliceDigests(db, range, width, columns);
    const changed: number[] = [];
    for (const [slice, digest] of digests) {
      if (full || this.slices.get(slice)?.digest !== digest) changed.push(slice);
    }
    const gone = full ? [] : [...this.slices.keys()].filter((slice) => !digests.has(slice));
    if (!full && changed.length === 0 && gone.length === 0) {
      return { delta: null, slicesRead: 0, rowsRead: 0, slices: digests.size };
    }
    const read = await readSlices(db, range, width, changed, columns);
    let rowsRead = 0;
    for (const list of read.values()) rowsRead += list.length;
    const stats = { slicesRead: changed.length, rowsRead, slices: digests.size };
    if (full) {
      this.slices = new Map(
        changed.map((slice) => [slice, { digest: digests.get(slice) ?? "", sites: read.get(slice) ?? [] }]),
      );
      this.key = key;
      const picked = onePerBlog(this.all());
      return { delta: { ...picked, inScope: () => true }, ...stats };
    }
    // The blogs whose rows may have changed: those of every row, old and new, of the slices
    // read again. Their rows elsewhere are the only other rows one-per-blog has to see.
    const touched = new Set<number>([...changed, ...gone]);
    const blogs = new Set<number>();
    for (const slice of touched) {
      for (const site of this.slices.get(slice)?.sites ?? []) blogs.add(site.blogId);
      for (const site of read.get(slice) ?? []) blogs.add(site.blogId);
    }
    for (const slice of gone) this.slices.delete(slice);
    for (const slice of changed) {
      this.slices.set(slice, { digest: digests.get(slice) ?? "", sites: read.get(slice) ?? [] });
    }
    const group: Site[] = [];
    for (const [slice, s] of this.slices) {
      if (touched.has(slice)) for (const site of s.sites) group.push(site);
      else for (const site of s.sites) if (blogs.has(site.blogId)) group.push(site);
    }
    const picked = onePerBlog(group);
    const inScope = (site: Site) => touched.has(Math.floor(site.bucketNo / width)) || blogs.has(site.blogId);
    return { delta: { ...picked, inScope }, ...stats };
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

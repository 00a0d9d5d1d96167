/**
 * The host's active site rows, kept between refreshes so a refresh re-reads only what changed.
 *
 * The range is cut into at most MAX_SLICES slices of whole buckets (slice k is the buckets
 * k*width .. k*width+width-1). Each refresh first reads one digest row per slice and re-reads,
 * as whole rows, only the slices whose digest differs from what it holds. Two digests:
 * - membership, every refresh: COUNT(*), MAX(jetpack_monitor_site_id) and BIT_XOR of the ids,
 *   answered from an index alone. A site inserted, activated, deactivated or moved to another
 *   bucket changes it, so it is seen by the first refresh that starts after the change commits.
 * - content, every `contentEvery`-th refresh (and the first): BIT_XOR(CRC32(...)) over the
 *   columns a check reads (URL, interval, keyword, forbidden rules, maintenance, headers,
 *   timeout, redirect policy, cooldown), which needs every row. A setting changed in place is
 *   seen within `contentEvery` refreshes. The columns the monitor writes itself
 *   (last_checked_at, ssl_expiry_date, last_alert_sent_at, site_status) are in neither.
 *
 * One site per blog (sites.ts onePerBlog) is decided again only for the blogs of the rows read
 * and of the rows they replace, with those blogs' rows in other slices; a refresh that changed
 * nothing allocates nothing. A change of range, slice width or optional columns reads
 * everything again.
 */
import { type SQL, sql } from "drizzle-orm";
import type { BucketRange } from "../config/validate.ts";
import type { Db } from "../db/client.ts";
import type { OptionalColumns } from "../db/schema-state.ts";
import { selectRows } from "../db/sql.ts";
import { type DuplicateBlog, loadSites, onePerBlog, type Site } from "./sites.ts";

/** Refreshes per content digest (the others compare membership only). */
export const DEFAULT_CONTENT_EVERY = 4;

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

/** Membership and (when asked) content digest per slice that holds an active site. */
export async function sliceDigests(
  db: Db,
  range: BucketRange,
  width: number,
  columns: OptionalColumns,
  content: boolean,
): Promise<Map<number, { ids: string; content: string | null }>> {
  const out = new Map<number, { ids: string; content: string | null }>();
  if (range.max < range.min) return out;
  const w = sql.raw(String(Math.max(1, Math.trunc(width))));
  const crc = content ? sql`, BIT_XOR(CRC32(CONCAT_WS('|', ${digestColumns(columns)}))) AS x` : sql``;
  const rows = await selectRows<{
    slice: number;
    n: number;
    max_id: number;
    ids: number | string;
    x?: number | string;
  }>(
    db,
    sql`SELECT FLOOR(bucket_no / ${w}) AS slice, COUNT(*) AS n, MAX(jetpack_monitor_site_id) AS max_id,
               BIT_XOR(jetpack_monitor_site_id) AS ids${crc}
        FROM jetpack_monitor_sites
        WHERE monitor_active = 1 AND bucket_no BETWEEN ${range.min} AND ${range.max}
        GROUP BY slice`,
  );
  for (const r of rows) {
    out.set(Number(r.slice), { ids: `${r.n}:${r.max_id}:${r.ids}`, content: content ? String(r.x) : null });
  }
  return out;
}

/**
 * What the schedule must take from one refresh: `sites` (one per blog) and the sites that may
 * have to leave (`scope`: every row the refresh replaced or reconsidered; "all" after a full
 * read). Schedule.sync removes the scoped sites that are not in `sites`.
 */
export interface SiteDelta {
  sites: Site[];
  scope: readonly Site[] | "all";
  duplicates: DuplicateBlog[];
}

/** What one refresh did. */
export interface SiteSetRefresh {
  /** null when no slice changed: the schedule already holds the rows. */
  delta: SiteDelta | null;
  /** Whether this refresh compared content digests too. */
  content: boolean;
  /** Slices whose rows were read again. */
  slicesRead: number;
  /** Site rows read (0 when nothing changed). */
  rowsRead: number;
  /** Slices with active sites, as the digest query saw them. */
  slices: number;
}

interface Slice {
  ids: string;
  /** null: re-read since the last content digest, so not known. */
  content: string | null;
  sites: Site[];
}

export class SiteSet {
  private slices = new Map<number, Slice>();
  private key = "";
  private refreshes = 0;

  constructor(private readonly contentEvery = DEFAULT_CONTENT_EVERY) {}

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
    if (full) this.refreshes = 0;
    const content = full || this.refreshes % Math.max(1, this.contentEvery) === 0;
    const digests = await sliceDigests(db, range, width, columns, content);
    const changed: number[] = [];
    for (const [slice, d] of digests) {
      const held = this.slices.get(slice);
      if (full || !held || held.ids !== d.ids || (content && held.content !== d.content)) changed.push(slice);
    }
    const gone = full ? [] : [...this.slices.keys()].filter((slice) => !digests.has(slice));
    this.refreshes++;
    if (!full && changed.length === 0 && gone.length === 0) {
      if (content) for (const [slice, d] of digests) this.setContent(slice, d.content);
      return { delta: null, content, slicesRead: 0, rowsRead: 0, slices: digests.size };
    }
    const read = await readSlices(db, range, width, changed, columns);
    let rowsRead = 0;
    for (const list of read.values()) rowsRead += list.length;
    const stats = { content, slicesRead: changed.length, rowsRead, slices: digests.size };
    // A slice read now may differ from the digest read before it: its content digest is kept
    // only when this refresh computed one, and then the next content refresh checks again.
    const slice = (n: number): Slice => {
      const d = digests.get(n);
      return { ids: d?.ids ?? "", content: d?.content ?? null, sites: read.get(n) ?? [] };
    };
    if (full) {
      this.slices = new Map(changed.map((n) => [n, slice(n)]));
      this.key = key;
      return { delta: { ...onePerBlog(this.all()), scope: "all" }, ...stats };
    }
    if (content) for (const [n, d] of digests) this.setContent(n, d.content);
    // The blogs whose rows may have changed: those of every row, old and new, of the slices
    // read again. Their rows elsewhere are the only other rows one-per-blog has to see.
    const touched = new Set<number>([...changed, ...gone]);
    const blogs = new Set<number>();
    const scope: Site[] = [];
    for (const n of touched) {
      for (const site of this.slices.get(n)?.sites ?? []) {
        blogs.add(site.blogId);
        scope.push(site);
      }
      for (const site of read.get(n) ?? []) blogs.add(site.blogId);
    }
    for (const n of gone) this.slices.delete(n);
    for (const n of changed) this.slices.set(n, slice(n));
    const group: Site[] = [];
    for (const [n, s] of this.slices) {
      if (touched.has(n)) for (const site of s.sites) group.push(site);
      else
        for (const site of s.sites) {
          if (!blogs.has(site.blogId)) continue;
          group.push(site);
          scope.push(site);
        }
    }
    return { delta: { ...onePerBlog(group), scope }, ...stats };
  }

  private setContent(slice: number, content: string | null): void {
    const held = this.slices.get(slice);
    if (held) held.content = content;
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

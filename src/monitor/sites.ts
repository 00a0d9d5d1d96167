import { sql } from "drizzle-orm";
import { parseCustomHeaders } from "../check/custom-headers.ts";
import type { CheckRequest, RedirectPolicy } from "../check/types.ts";
import type { BucketRange } from "../config/validate.ts";
import type { Db } from "../db/client.ts";
import { ALL_OPTIONAL_COLUMNS, type OptionalColumns } from "../db/schema-state.ts";
import { dbTime, type Executor, run, selectRows } from "../db/sql.ts";
import { timeoutForSite } from "./rules.ts";

/**
 * A site's check and alert settings. Most sites set none of them, and those all share
 * DEFAULT_SETTINGS (frozen), so a scheduled site costs its core fields, its URL and one
 * pointer. Times are epoch ms.
 */
export interface SiteSettings {
  readonly keyword: string | null;
  /** forbidden_keyword then forbidden_keywords, non-empty strings only; empty when none. */
  readonly forbidden: readonly string[];
  readonly maintenanceStart: number | null;
  readonly maintenanceEnd: number | null;
  readonly customHeaders: Readonly<Record<string, string>> | undefined;
  readonly timeoutSeconds: number | null;
  readonly redirectPolicy: RedirectPolicy;
  readonly alertCooldownMinutes: number | null;
}

/** One shared empty rule list: most sites have none, and a million empty arrays cost ~16 MB. */
const NO_RULES: readonly string[] = Object.freeze([]);

/** The settings of a site that sets none: shared by every such site. */
export const DEFAULT_SETTINGS: SiteSettings = Object.freeze({
  keyword: null,
  forbidden: NO_RULES,
  maintenanceStart: null,
  maintenanceEnd: null,
  customHeaders: undefined,
  timeoutSeconds: null,
  redirectPolicy: "follow",
  alertCooldownMinutes: null,
});

/** `s` as a SiteSettings: DEFAULT_SETTINGS itself when every field is its default. */
export function siteSettings(s: Partial<SiteSettings>): SiteSettings {
  const full: SiteSettings = {
    keyword: s.keyword === undefined || s.keyword === "" ? null : s.keyword,
    forbidden: s.forbidden && s.forbidden.length > 0 ? s.forbidden : NO_RULES,
    maintenanceStart: s.maintenanceStart ?? null,
    maintenanceEnd: s.maintenanceEnd ?? null,
    customHeaders: s.customHeaders,
    timeoutSeconds: s.timeoutSeconds ?? null,
    redirectPolicy: s.redirectPolicy ?? "follow",
    alertCooldownMinutes: s.alertCooldownMinutes ?? null,
  };
  const isDefault =
    full.keyword === null &&
    full.forbidden === NO_RULES &&
    full.maintenanceStart === null &&
    full.maintenanceEnd === null &&
    full.customHeaders === undefined &&
    full.timeoutSeconds === null &&
    full.redirectPolicy === "follow" &&
    full.alertCooldownMinutes === null;
  return isDefault ? DEFAULT_SETTINGS : Object.freeze(full);
}

/**
 * One active site as the monitor needs it (a row of jetpack_monitor_sites), kept compact: one
 * of these per site stays in memory (bench/site-memory.ts). Times are epoch ms, not Dates.
 */
export interface Site {
  siteId: number;
  blogId: number;
  bucketNo: number;
  url: string;
  siteStatus: number;
  checkIntervalMin: number;
  lastCheckedAt: number | null;
  /** YYYY-MM-DD or null. */
  sslExpiryDate: string | null;
  /** When WPCOM last accepted an alert for the blog; the process updates it as it alerts. */
  lastAlertSentAt: number | null;
  settings: SiteSettings;
}

/** What to check for `site`: its own timeout when set, else NET_COMMS_TIMEOUT. */
export function checkRequestFor(site: Site, netCommsTimeout: number): CheckRequest {
  return {
    blogId: site.blogId,
    url: site.url,
    timeoutSeconds: timeoutForSite(site.settings.timeoutSeconds, netCommsTimeout),
    keyword: site.settings.keyword,
    ...(site.settings.forbidden.length > 0 ? { forbidden: site.settings.forbidden } : {}),
    customHeaders: site.settings.customHeaders,
    redirectPolicy: site.settings.redirectPolicy,
  };
}

interface SiteRow {
  jetpack_monitor_site_id: number;
  blog_id: number;
  bucket_no: number;
  monitor_url: string;
  site_status: number;
  check_interval: number;
  last_checked_at: Date | string | null;
  ssl_expiry_date: Date | string | null;
  check_keyword: string | null;
  forbidden_keyword?: string | null;
  forbidden_keywords?: unknown;
  maintenance_start: Date | string | null;
  maintenance_end: Date | string | null;
  custom_headers: unknown;
  timeout_seconds: number | null;
  redirect_policy: string | null;
  alert_cooldown_minutes: number | null;
  last_alert_sent_at: Date | string | null;
}

/**
 * Every active site in the range, in one query (the scheduler's working set). `columns` says
 * which optional columns exist: a Go-migrated database may lack the forbidden_* ones, and the
 * sites are then read without them.
 */
export async function loadSites(
  db: Db,
  range: BucketRange,
  columns: OptionalColumns = ALL_OPTIONAL_COLUMNS,
): Promise<Site[]> {
  if (range.max < range.min) return [];
  const optional = [
    columns.forbiddenKeyword ? ", forbidden_keyword" : "",
    columns.forbiddenKeywords ? ", forbidden_keywords" : "",
  ].join("");
  const rows = await selectRows<SiteRow>(
    db,
    sql`SELECT jetpack_monitor_site_id, blog_id, bucket_no, monitor_url, site_status, check_interval,
               last_checked_at, ssl_expiry_date, check_keyword, maintenance_start, maintenance_end,
               custom_headers, timeout_seconds, redirect_policy, alert_cooldown_minutes, last_alert_sent_at${sql.raw(optional)}
        FROM jetpack_monitor_sites
        WHERE monitor_active = 1 AND bucket_no BETWEEN ${range.min} AND ${range.max}`,
  );
  return rows.map(toSite);
}

/** A blog with more than one active site row: the row checked and the rows left out. */
export interface DuplicateBlog {
  blogId: number;
  keptSiteId: number;
  ignoredSiteIds: number[];
}

/**
 * One site per blog_id (issue 15): two active jetpack_monitor_sites rows for one blog would
 * check it twice and make its incident flap between their results. The row with the lowest
 * jetpack_monitor_site_id wins; the others are reported.
 */
export function onePerBlog(sites: Site[]): { sites: Site[]; duplicates: DuplicateBlog[] } {
  const byBlog = new Map<number, Site[]>();
  for (const s of sites) {
    const list = byBlog.get(s.blogId);
    if (list) list.push(s);
    else byBlog.set(s.blogId, [s]);
  }
  const kept: Site[] = [];
  const duplicates: DuplicateBlog[] = [];
  for (const [blogId, list] of byBlog) {
    list.sort((a, b) => a.siteId - b.siteId);
    const first = list[0] as Site;
    kept.push(first);
    if (list.length > 1) {
      duplicates.push({
        blogId,
        keptSiteId: first.siteId,
        ignoredSiteIds: list.slice(1).map((s) => s.siteId),
      });
    }
  }
  return { sites: kept, duplicates };
}

/** Records when WPCOM accepted an alert for the blog (the cooldown reads it), in whole seconds. */
export async function recordAlertSent(db: Executor, blogId: number, at: number): Promise<void> {
  await run(
    db,
    sql`UPDATE jetpack_monitor_sites SET last_alert_sent_at = ${dbTime(at)} WHERE blog_id = ${blogId}`,
  );
}

/** Largest forbidden list a site may carry; the rest is ignored (each rule costs a scan). */
export const MAX_FORBIDDEN_RULES = 50;

/**
 * The forbidden rules of a site: forbidden_keyword, then each string of the forbidden_keywords
 * JSON list (a string on MariaDB, already parsed when a driver decodes it). Empty strings,
 * non-strings, duplicates and invalid JSON are dropped: outside input never fails the load.
 */
export function forbiddenRules(single: string | null | undefined, list: unknown): string[] {
  const out: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === "string" && v !== "" && !out.includes(v) && out.length < MAX_FORBIDDEN_RULES)
      out.push(v);
  };
  add(single);
  let parsed = list;
  if (typeof parsed === "string") {
    try {
      parsed = JSON.parse(parsed);
    } catch {
      parsed = null;
    }
  }
  if (Array.isArray(parsed)) for (const v of parsed) add(v);
  return out;
}

function toSite(r: SiteRow): Site {
  return {
    siteId: Number(r.jetpack_monitor_site_id),
    blogId: Number(r.blog_id),
    bucketNo: Number(r.bucket_no),
    url: r.monitor_url,
    siteStatus: Number(r.site_status),
    checkIntervalMin: Number(r.check_interval),
    lastCheckedAt: utcMs(r.last_checked_at),
    sslExpiryDate: dateOnly(r.ssl_expiry_date),
    lastAlertSentAt: utcMs(r.last_alert_sent_at),
    settings: siteSettings({
      keyword: r.check_keyword,
      forbidden: forbiddenRules(r.forbidden_keyword, r.forbidden_keywords),
      maintenanceStart: utcMs(r.maintenance_start),
      maintenanceEnd: utcMs(r.maintenance_end),
      customHeaders: parseCustomHeaders(r.custom_headers),
      timeoutSeconds: r.timeout_seconds === null ? null : Number(r.timeout_seconds),
      redirectPolicy: redirectPolicy(r.redirect_policy),
      alertCooldownMinutes: r.alert_cooldown_minutes === null ? null : Number(r.alert_cooldown_minutes),
    }),
  };
}

function redirectPolicy(v: string | null): RedirectPolicy {
  return v === "alert" || v === "fail" ? v : "follow";
}

/**
 * DATETIME/TIMESTAMP as epoch ms. Raw queries through drizzle hand these back as text
 * ("YYYY-MM-DD HH:MM:SS[.fff]"), which the UTC session makes UTC; a zero date, NULL or an
 * unparsable value is null. Parsed without keeping a Date: a million sites are read at once.
 */
export function utcMs(v: Date | string | null): number | null {
  if (v === null) return null;
  const ms =
    v instanceof Date
      ? v.getTime()
      : v.startsWith("0000-00-00")
        ? Number.NaN
        : Date.parse(`${v.trim().replace(" ", "T")}Z`);
  return Number.isNaN(ms) ? null : ms;
}

/** DATE as YYYY-MM-DD whatever the driver hands back. */
export function dateOnly(v: Date | string | null): string | null {
  if (v === null) return null;
  if (typeof v === "string") return v.slice(0, 10);
  return Number.isNaN(v.getTime()) ? null : v.toISOString().slice(0, 10);
}

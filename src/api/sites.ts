/**
 * Site routes (docs/reference/cli-rollout-api.md §3.2, docs/reference/cli-rollout-api.md §3.6): list (filters, cursor on blog_id), get,
 * create, patch, soft delete, pause, resume, trigger-now. A site is addressed by blog_id.
 * Writes land in jetpack_monitor_sites, so the owning monitor picks them up at its next site
 * refresh (docs/api.md).
 */

import { type Static, Type } from "@sinclair/typebox";
import { sql } from "drizzle-orm";
import { checkSite } from "../check/check.ts";
import { parseCustomHeaders } from "../check/custom-headers.ts";
import type { CheckResult, RedirectPolicy } from "../check/types.ts";
import type { Db } from "../db/client.ts";
import { type OptionalColumns, probeOptionalColumns } from "../db/schema-state.ts";
import { type Executor, inTransaction, run, selectRows } from "../db/sql.ts";
import { closeEvent, EventClosedError, ResolutionReason, Severity, State } from "../events/index.ts";
import { dateOnly, forbiddenRules, MAX_FORBIDDEN_RULES } from "../monitor/sites.ts";
import { parseRfc3339, rfc3339 } from "../time.ts";
import { jsonColumn, timeColumn } from "./columns.ts";
import { ApiError, apiJson, listBody, noContent } from "./errors.ts";
import { pageOf, parseBool, parseCursor, parseId, parseInFilter, parseLimit } from "./params.ts";
import { type RouteDef, route } from "./router.ts";

export interface SiteRoutesOptions {
  db: Db;
  /** LEGACY_STATUS_PROJECTION_ENABLE: site_status is the state fallback and closes project it. */
  projection?: () => boolean;
  /** NET_COMMS_TIMEOUT for trigger-now (default 10 s). */
  checkTimeoutSeconds?: () => number;
  /** The check trigger-now runs (tests may add a CA). */
  check?: typeof checkSite;
}

const BASE_COLUMNS = `blog_id, monitor_url, monitor_active, bucket_no, check_interval, site_status,
  last_checked_at, last_status_change, ssl_expiry_date, check_keyword, redirect_policy, maintenance_start,
  maintenance_end, alert_cooldown_minutes, custom_headers, timeout_seconds`;

/** The site columns to read: a Go-migrated database may lack the forbidden_* ones. */
function siteColumns(c: OptionalColumns) {
  return sql.raw(
    BASE_COLUMNS +
      (c.forbiddenKeyword ? ", forbidden_keyword" : "") +
      (c.forbiddenKeywords ? ", forbidden_keywords" : ""),
  );
}

/** Longest forbidden_keyword and forbidden_keywords entry: the forbidden_keyword column is VARCHAR(500). */
export const MAX_FORBIDDEN_LENGTH = 500;

interface SiteRow {
  blog_id: number;
  monitor_url: string;
  monitor_active: number;
  bucket_no: number;
  check_interval: number;
  site_status: number;
  last_checked_at: unknown;
  last_status_change: unknown;
  ssl_expiry_date: string | Date | null;
  check_keyword: string | null;
  redirect_policy: string | null;
  maintenance_start: unknown;
  maintenance_end: unknown;
  alert_cooldown_minutes: number | null;
  custom_headers: unknown;
  timeout_seconds: number | null;
  forbidden_keyword?: string | null;
  forbidden_keywords?: unknown;
}

/** The stored forbidden_keywords JSON as a list of strings (anything else in it is dropped). */
function forbiddenList(v: unknown): string[] {
  const parsed = jsonColumn(v);
  return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === "string") : [];
}

interface ActiveEvent {
  id: number;
  blog_id: number;
  check_type: string;
  severity: number;
  state: State;
  started_at: unknown;
  metadata: unknown;
}

const time = (v: unknown) => timeColumn(v);

/** The state when no event is open: site_status when projecting, else Up (docs/reference/cli-rollout-api.md §3.6). */
function fallbackState(siteStatus: number, projection: boolean): { state: State; severity: Severity } {
  if (!projection) return { state: State.Up, severity: Severity.Up };
  if (siteStatus === 0) return { state: State.SeemsDown, severity: Severity.SeemsDown };
  if (siteStatus === 1) return { state: State.Up, severity: Severity.Up };
  if (siteStatus === 2) return { state: State.Down, severity: Severity.Down };
  return { state: State.Unknown, severity: Severity.Up };
}

function eventJson(e: ActiveEvent) {
  return {
    id: Number(e.id),
    blog_id: Number(e.blog_id),
    check_type: e.check_type,
    severity: Number(e.severity),
    state: e.state,
    started_at: time(e.started_at),
    metadata: jsonColumn(e.metadata),
  };
}

function siteJson(r: SiteRow, active: ActiveEvent[], projection: boolean, cliMetadata = false) {
  const worst = active[0];
  const fb = fallbackState(Number(r.site_status), projection);
  const out: Record<string, unknown> = {
    id: Number(r.blog_id),
    blog_id: Number(r.blog_id),
    monitor_url: r.monitor_url,
    monitor_active: Number(r.monitor_active) === 1,
    bucket_no: Number(r.bucket_no),
    check_interval: Number(r.check_interval),
    current_state: worst ? worst.state : fb.state,
    current_severity: worst ? Number(worst.severity) : fb.severity,
    active_event_id: worst ? Number(worst.id) : null,
    last_checked_at: time(r.last_checked_at),
    last_status_change_at: time(r.last_status_change),
    ssl_expiry_date: dateOnly(r.ssl_expiry_date as string | null),
    check_keyword: r.check_keyword,
    redirect_policy: r.redirect_policy ?? "follow",
    maintenance_start: time(r.maintenance_start),
    maintenance_end: time(r.maintenance_end),
    alert_cooldown_minutes: r.alert_cooldown_minutes === null ? null : Number(r.alert_cooldown_minutes),
    custom_headers: parseCustomHeaders(r.custom_headers) ?? null,
    timeout_seconds: r.timeout_seconds === null ? null : Number(r.timeout_seconds),
    forbidden_keyword: r.forbidden_keyword ? r.forbidden_keyword : null,
    forbidden_keywords: forbiddenList(r.forbidden_keywords),
  };
  if (cliMetadata) out.cli_batch = parseCustomHeaders(r.custom_headers)?.["X-Jetmon-CLI-Batch"] ?? null;
  return out;
}

async function activeEvents(db: Executor, blogIds: number[]): Promise<Map<number, ActiveEvent[]>> {
  const out = new Map<number, ActiveEvent[]>();
  if (blogIds.length === 0) return out;
  const rows = await selectRows<ActiveEvent>(
    db,
    sql`SELECT id, blog_id, check_type, severity, state, started_at, metadata FROM jetmon_events
        WHERE blog_id IN (${sql.join(
          blogIds.map((b) => sql`${b}`),
          sql`, `,
        )}) AND ended_at IS NULL
        ORDER BY severity DESC, started_at ASC, id ASC`,
  );
  for (const r of rows) {
    const b = Number(r.blog_id);
    const list = out.get(b);
    if (list) list.push(r);
    else out.set(b, [r]);
  }
  return out;
}

async function siteRow(
  db: Executor,
  cols: OptionalColumns,
  blogId: number,
  lock = false,
): Promise<SiteRow | null> {
  const rows = await selectRows<SiteRow>(
    db,
    sql`SELECT ${siteColumns(cols)} FROM jetpack_monitor_sites WHERE blog_id = ${blogId}
        ORDER BY jetpack_monitor_site_id LIMIT 1 ${lock ? sql`FOR UPDATE` : sql``}`,
  );
  return rows[0] ?? null;
}

async function requireSite(
  db: Executor,
  cols: OptionalColumns,
  blogId: number,
  lock = false,
): Promise<SiteRow> {
  const row = await siteRow(db, cols, blogId, lock);
  if (!row) throw new ApiError("site_not_found", `Site ${blogId} does not exist`);
  return row;
}

// ---- bodies (TypeBox: the boundary schema and the OpenAPI document) ----

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const siteFields = {
  monitor_url: Type.String({ minLength: 1, maxLength: 2083 }),
  monitor_active: Type.Boolean(),
  bucket_no: Type.Integer({ minimum: 0, maximum: 65535 }),
  check_interval: Type.Integer({ minimum: 1, maximum: 65535 }),
  check_keyword: Nullable(Type.String({ maxLength: 500 })),
  redirect_policy: Nullable(Type.String()),
  maintenance_start: Nullable(Type.String()),
  maintenance_end: Nullable(Type.String()),
  alert_cooldown_minutes: Nullable(Type.Integer({ minimum: 0, maximum: 65535 })),
  custom_headers: Nullable(Type.Unknown()),
  timeout_seconds: Nullable(Type.Integer({ minimum: 0, maximum: 255 })),
  forbidden_keyword: Nullable(Type.String({ minLength: 1, maxLength: MAX_FORBIDDEN_LENGTH })),
  forbidden_keywords: Nullable(
    Type.Array(Type.String({ minLength: 1, maxLength: MAX_FORBIDDEN_LENGTH }), {
      maxItems: MAX_FORBIDDEN_RULES,
      uniqueItems: true,
    }),
  ),
};

/** 422 `invalid_field` for the forbidden-content fields (docs/api.md). */
const SITE_FIELD_ERRORS = {
  forbidden_keyword: {
    code: "invalid_field",
    message: `must be null or a string of 1-${MAX_FORBIDDEN_LENGTH} characters`,
  },
  forbidden_keywords: {
    code: "invalid_field",
    message: `must be null or a list of at most ${MAX_FORBIDDEN_RULES} distinct strings of 1-${MAX_FORBIDDEN_LENGTH} characters`,
  },
} as const;

export const CreateSiteBody = Type.Object(
  {
    ...Type.Partial(Type.Object(siteFields)).properties,
    blog_id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    monitor_url: siteFields.monitor_url,
  },
  { additionalProperties: false },
);
export const PatchSiteBody = Type.Partial(Type.Object(siteFields), { additionalProperties: false });
type PatchSite = Static<typeof PatchSiteBody>;

const HTTP_URL = /^https?:\/\/[^\s/?#]+[^\s]*$/i;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The column assignments for a create or patch body, each field checked with its named code. */
function columnsFor(b: PatchSite, present: OptionalColumns): Record<string, unknown> {
  for (const [field, has] of [
    ["forbidden_keyword", present.forbiddenKeyword],
    ["forbidden_keywords", present.forbiddenKeywords],
  ] as const) {
    if (b[field] !== undefined && !has) {
      throw new ApiError(
        "invalid_field",
        `${field} needs the jetpack_monitor_sites.${field} column: run \`jetmon2 migrate\``,
      );
    }
  }
  const cols: Record<string, unknown> = {};
  if (b.monitor_url !== undefined) {
    if (!HTTP_URL.test(b.monitor_url) || !URL.canParse(b.monitor_url)) {
      throw new ApiError(
        "invalid_url",
        `monitor_url must be an http or https URL, got ${JSON.stringify(b.monitor_url)}`,
      );
    }
    cols.monitor_url = b.monitor_url;
  }
  if (b.monitor_active !== undefined) cols.monitor_active = b.monitor_active ? 1 : 0;
  if (b.bucket_no !== undefined) cols.bucket_no = b.bucket_no;
  if (b.check_interval !== undefined) cols.check_interval = b.check_interval;
  if (b.check_keyword !== undefined) cols.check_keyword = b.check_keyword === "" ? null : b.check_keyword;
  if (b.redirect_policy !== undefined) {
    const p = b.redirect_policy ?? "follow";
    if (p !== "follow" && p !== "alert" && p !== "fail") {
      throw new ApiError(
        "invalid_redirect_policy",
        `redirect_policy must be follow, alert or fail, got ${JSON.stringify(p)}`,
      );
    }
    cols.redirect_policy = p satisfies RedirectPolicy;
  }
  for (const f of ["maintenance_start", "maintenance_end"] as const) {
    const v = b[f];
    if (v === undefined) continue;
    if (v === null) {
      cols[f] = null;
      continue;
    }
    const ms = parseRfc3339(v);
    if (ms === undefined) {
      throw new ApiError("invalid_field", `${f} must be an RFC 3339 time, got ${JSON.stringify(v)}`);
    }
    cols[f] = new Date(Math.floor(ms / 1000) * 1000);
  }
  if (b.alert_cooldown_minutes !== undefined) cols.alert_cooldown_minutes = b.alert_cooldown_minutes;
  if (b.timeout_seconds !== undefined) cols.timeout_seconds = b.timeout_seconds;
  if (b.forbidden_keyword !== undefined) cols.forbidden_keyword = b.forbidden_keyword;
  if (b.forbidden_keywords !== undefined) {
    const list = b.forbidden_keywords;
    cols.forbidden_keywords = list && list.length > 0 ? JSON.stringify(list) : null;
  }
  if (b.custom_headers !== undefined) {
    const h = b.custom_headers;
    if (h === null) cols.custom_headers = null;
    else {
      if (typeof h !== "object" || Array.isArray(h)) {
        throw new ApiError(
          "invalid_custom_headers",
          "custom_headers must be an object of header name to string value",
        );
      }
      for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
        if (!HEADER_NAME.test(k) || typeof v !== "string" || /[\r\n\0]/.test(v)) {
          throw new ApiError("invalid_custom_headers", `custom_headers: invalid header ${JSON.stringify(k)}`);
        }
      }
      cols.custom_headers = JSON.stringify(h);
    }
  }
  const start = cols.maintenance_start as Date | null | undefined;
  const end = cols.maintenance_end as Date | null | undefined;
  if (start && end && end <= start) {
    throw new ApiError("invalid_field", "maintenance_end must be after maintenance_start");
  }
  return cols;
}

const assignments = (cols: Record<string, unknown>) =>
  sql.join(
    Object.entries(cols).map(([k, v]) => sql`${sql.identifier(k)} = ${v}`),
    sql`, `,
  );

const VALID_STATES = new Set<string>(Object.values(State));

/** 422 when forbidden_keyword and forbidden_keywords together carry more rules than the monitor checks. */
function checkRuleCount(single: unknown, list: unknown): void {
  const rules = new Set([single, ...forbiddenList(list)].filter((r) => typeof r === "string" && r !== ""));
  if (rules.size > MAX_FORBIDDEN_RULES) {
    throw new ApiError(
      "invalid_field",
      `forbidden_keyword and forbidden_keywords carry ${rules.size} distinct rules; at most ${MAX_FORBIDDEN_RULES}`,
    );
  }
}

export function siteRoutes(opts: SiteRoutesOptions): RouteDef[] {
  const db = opts.db;
  const projection = () => opts.projection?.() ?? true;
  // Which optional columns the database has, read once (a failed probe is retried next time).
  let probed: Promise<OptionalColumns> | null = null;
  const present = (): Promise<OptionalColumns> => {
    probed ??= probeOptionalColumns(db).catch((err) => {
      probed = null;
      throw err;
    });
    return probed;
  };
  const project = () => ({ project: { enabled: projection(), changedAt: new Date() } });

  const render = async (ex: Executor, row: SiteRow, cli = false) => {
    const active = (await activeEvents(ex, [Number(row.blog_id)])).get(Number(row.blog_id)) ?? [];
    const site = siteJson(row, active, projection(), cli);
    return { ...site, current_state: site.current_state as string, active_events: active.map(eventJson) };
  };

  /** Closes every open event of the site with `reason`; returns the closed ids. */
  const closeOpen = async (blogId: number, reason: ResolutionReason, filter = sql``): Promise<number[]> => {
    const open = await selectRows<{ id: number }>(
      db,
      sql`SELECT id FROM jetmon_events WHERE blog_id = ${blogId} AND ended_at IS NULL ${filter} ORDER BY id`,
    );
    const closed: number[] = [];
    for (const { id } of open) {
      try {
        await closeEvent(db, Number(id), { reason: reason as never, source: "api" }, project());
        closed.push(Number(id));
      } catch (err) {
        if (!(err instanceof EventClosedError)) throw err;
      }
    }
    return closed;
  };

  const siteId = (p: Record<string, string>) => parseId(p.id, "invalid_site_id", "site id");

  return [
    route({
      method: "GET",
      path: "/api/v1/sites",
      scope: "read",
      summary: "List sites, ordered by blog_id",
      queryParams: [
        "limit",
        "cursor",
        "monitor_active",
        "q",
        "state",
        "state__in",
        "severity__gte",
        "include_cli_metadata",
      ],
      handler: async ({ query }) => {
        const limit = parseLimit(query);
        const cursor = parseCursor(query);
        const active = parseBool(query, "monitor_active", "invalid_monitor_active");
        const cli = parseBool(query, "include_cli_metadata", "invalid_include_cli_metadata") ?? false;
        const states = parseInFilter(query, "state", "invalid_state_filter", (s) => VALID_STATES.has(s));
        const sevRaw = query.get("severity__gte");
        let minSeverity: number | undefined;
        if (sevRaw !== null && sevRaw !== "") {
          if (!/^\d+$/.test(sevRaw) || Number(sevRaw) > 255) {
            throw new ApiError(
              "invalid_severity",
              `severity__gte must be an integer 0-255, got ${JSON.stringify(sevRaw)}`,
            );
          }
          minSeverity = Number(sevRaw);
        }
        const q = query.get("q");
        const where = [sql`1 = 1`];
        if (cursor !== null) where.push(sql`blog_id > ${cursor}`);
        if (active !== undefined) where.push(sql`monitor_active = ${active ? 1 : 0}`);
        if (q) where.push(sql`monitor_url LIKE ${`%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`);
        const rows = await selectRows<SiteRow>(
          db,
          sql`SELECT ${siteColumns(await present())} FROM jetpack_monitor_sites WHERE ${sql.join(where, sql` AND `)}
              ORDER BY blog_id ASC LIMIT ${limit + 1}`,
        );
        const { page, next } = pageOf(rows, limit, (r) => Number(r.blog_id));
        const events = await activeEvents(
          db,
          page.map((r) => Number(r.blog_id)),
        );
        const data = page
          .map((r) => siteJson(r, events.get(Number(r.blog_id)) ?? [], projection(), cli))
          .filter((s) => !states || states.includes(s.current_state as string))
          .filter((s) => minSeverity === undefined || (s.current_severity as number) >= minSeverity);
        return apiJson(200, listBody(data, next, limit));
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/sites/:id",
      scope: "read",
      summary: "One site with its active events",
      handler: async ({ params }) =>
        apiJson(200, await render(db, await requireSite(db, await present(), siteId(params)))),
    }),
    route({
      method: "POST",
      path: "/api/v1/sites",
      scope: "write",
      idempotent: true,
      summary: "Create a site",
      body: CreateSiteBody,
      fieldErrors: SITE_FIELD_ERRORS,
      handler: async ({ body }) => {
        const parsed = body as Static<typeof CreateSiteBody>;
        const { blog_id, ...rest } = parsed;
        const has = await present();
        const cols: Record<string, unknown> = {
          monitor_active: 1,
          bucket_no: 0,
          check_interval: 5,
          redirect_policy: "follow",
          ...columnsFor(rest, has),
        };
        checkRuleCount(cols.forbidden_keyword, cols.forbidden_keywords);
        const created = await inTransaction(db, async (tx) => {
          if (await siteRow(tx, has, blog_id, true)) return null;
          await run(
            tx,
            sql`INSERT INTO jetpack_monitor_sites SET blog_id = ${blog_id}, site_status = 1, ${assignments(cols)}`,
          );
          return siteRow(tx, has, blog_id);
        });
        if (!created) throw new ApiError("site_exists", `Site ${blog_id} already exists`);
        return apiJson(201, await render(db, created));
      },
    }),
    route({
      method: "PATCH",
      path: "/api/v1/sites/:id",
      scope: "write",
      summary: "Update a site (partial; an empty patch returns the current row)",
      body: PatchSiteBody,
      bodyRequired: false,
      fieldErrors: SITE_FIELD_ERRORS,
      handler: async ({ params, body }) => {
        const id = siteId(params);
        const has = await present();
        const cols = columnsFor((body ?? {}) as PatchSite, has);
        const current = await requireSite(db, has, id);
        checkRuleCount(
          "forbidden_keyword" in cols ? cols.forbidden_keyword : current.forbidden_keyword,
          "forbidden_keywords" in cols ? cols.forbidden_keywords : current.forbidden_keywords,
        );
        if (Object.keys(cols).length > 0) {
          await run(db, sql`UPDATE jetpack_monitor_sites SET ${assignments(cols)} WHERE blog_id = ${id}`);
        }
        return apiJson(200, await render(db, await requireSite(db, has, id)));
      },
    }),
    route({
      method: "DELETE",
      path: "/api/v1/sites/:id",
      scope: "write",
      summary: "Soft delete: close open events (manual_override), monitor_active=0",
      handler: async ({ params }) => {
        const id = siteId(params);
        await requireSite(db, await present(), id);
        await run(db, sql`UPDATE jetpack_monitor_sites SET monitor_active = 0 WHERE blog_id = ${id}`);
        await closeOpen(id, ResolutionReason.ManualOverride);
        return noContent();
      },
    }),
    route({
      method: "POST",
      path: "/api/v1/sites/:id/pause",
      scope: "write",
      idempotent: true,
      summary: "Pause: close open events (manual_override), monitor_active=0",
      handler: async ({ params }) => {
        const id = siteId(params);
        await requireSite(db, await present(), id);
        await run(db, sql`UPDATE jetpack_monitor_sites SET monitor_active = 0 WHERE blog_id = ${id}`);
        await closeOpen(id, ResolutionReason.ManualOverride);
        return apiJson(200, await render(db, await requireSite(db, await present(), id)));
      },
    }),
    route({
      method: "POST",
      path: "/api/v1/sites/:id/resume",
      scope: "write",
      idempotent: true,
      summary: "Resume: monitor_active=1",
      handler: async ({ params }) => {
        const id = siteId(params);
        await requireSite(db, await present(), id);
        await run(db, sql`UPDATE jetpack_monitor_sites SET monitor_active = 1 WHERE blog_id = ${id}`);
        return apiJson(200, await render(db, await requireSite(db, await present(), id)));
      },
    }),
    route({
      method: "POST",
      path: "/api/v1/sites/:id/trigger-now",
      scope: "write",
      idempotent: true,
      summary: "Run one HTTP check now; a success closes open http events (probe_cleared)",
      handler: async ({ params }) => {
        const id = siteId(params);
        const row = await requireSite(db, await present(), id);
        const forbidden = forbiddenRules(row.forbidden_keyword, row.forbidden_keywords);
        const timeout = row.timeout_seconds
          ? Number(row.timeout_seconds)
          : (opts.checkTimeoutSeconds?.() ?? 10);
        const result = await (opts.check ?? checkSite)({
          blogId: id,
          url: row.monitor_url,
          timeoutSeconds: timeout,
          keyword: row.check_keyword === "" ? null : row.check_keyword,
          ...(forbidden.length > 0 ? { forbidden } : {}),
          customHeaders: parseCustomHeaders(row.custom_headers),
          redirectPolicy: (row.redirect_policy ?? "follow") as RedirectPolicy,
        });
        const closed = result.success
          ? await closeOpen(id, ResolutionReason.ProbeCleared, sql`AND check_type = 'http'`)
          : [];
        const after = await render(db, await requireSite(db, await present(), id));
        return apiJson(200, {
          result: resultJson(result),
          current_state: after.current_state,
          active_events_closed: closed,
        });
      },
    }),
  ];
}

function resultJson(r: CheckResult) {
  return {
    success: r.success,
    http_code: r.httpCode,
    error_code: r.errorCode,
    error_detail: r.errorDetail ?? null,
    forbidden_keyword: r.forbiddenMatch ?? null,
    rtt_ms: r.rttMs,
    dns_ms: r.dnsMs,
    tcp_ms: r.tcpMs,
    tls_ms: r.tlsMs,
    ttfb_ms: r.ttfbMs,
    checked_at: rfc3339(r.checkedAt.getTime()),
  };
}

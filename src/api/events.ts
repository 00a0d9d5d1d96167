/**
 * Event routes (docs/reference/cli-rollout-api.md §3.2): a site's events (id desc, cursor backward on
 * id < cursor) with state/check_type/started_at/active filters, one event with its
 * transitions, the transitions alone (id asc, cursor forward), and close.
 */

import { Type } from "@sinclair/typebox";
import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { selectRows } from "../db/sql.ts";
import {
  closeEvent,
  EventClosedError,
  isResolutionReason,
  type Reason,
  ResolutionReason,
  type State,
  stored,
} from "../events/index.ts";
import { jsonColumn, timeColumn } from "./columns.ts";
import { ApiError, apiJson, listBody } from "./errors.ts";
import {
  pageOf,
  parseBool,
  parseCursor,
  parseId,
  parseInFilter,
  parseLimit,
  parseTimeParam,
} from "./params.ts";
import { type RouteDef, route } from "./router.ts";

export interface EventRoutesOptions {
  db: Db;
  projection?: () => boolean;
}

interface EventRowSql {
  id: number;
  blog_id: number;
  endpoint_id: number | null;
  check_type: string;
  discriminator: string | null;
  severity: number;
  state: State;
  started_at: unknown;
  ended_at: unknown;
  resolution_reason: ResolutionReason | null;
  cause_event_id: number | null;
  metadata: unknown;
}

interface TransitionSql {
  id: number;
  event_id: number;
  blog_id: number;
  severity_before: number | null;
  severity_after: number | null;
  state_before: State | null;
  state_after: State | null;
  reason: Reason;
  source: string;
  metadata: unknown;
  changed_at: unknown;
}

const time = (v: unknown) => timeColumn(v, true);
const json = jsonColumn;
const num = (v: number | null) => (v === null ? null : Number(v));
const severity = (v: number | null) => (v === null ? null : stored.severity(Number(v)));

export function eventJson(e: EventRowSql) {
  return {
    id: Number(e.id),
    blog_id: Number(e.blog_id),
    endpoint_id: num(e.endpoint_id),
    check_type: e.check_type,
    discriminator: e.discriminator,
    severity: stored.severity(Number(e.severity)),
    state: e.state,
    started_at: time(e.started_at),
    ended_at: time(e.ended_at),
    resolution_reason: e.resolution_reason,
    cause_event_id: num(e.cause_event_id),
    metadata: json(e.metadata),
  };
}

function transitionJson(t: TransitionSql) {
  return {
    id: Number(t.id),
    event_id: Number(t.event_id),
    blog_id: Number(t.blog_id),
    severity_before: severity(t.severity_before),
    severity_after: severity(t.severity_after),
    state_before: t.state_before,
    state_after: t.state_after,
    reason: t.reason,
    source: t.source,
    metadata: json(t.metadata),
    changed_at: time(t.changed_at),
  };
}

const EVENT_COLUMNS = sql`id, blog_id, endpoint_id, check_type, discriminator, severity, state, started_at, ended_at,
  resolution_reason, cause_event_id, metadata`;

const CHECK_TYPE = /^[a-z0-9_.:-]{1,64}$/i;

export const CloseEventBody = Type.Object(
  { reason: Type.Optional(Type.String()), note: Type.Optional(Type.String({ maxLength: 1024 })) },
  { additionalProperties: false },
);

export function eventRoutes(opts: EventRoutesOptions): RouteDef[] {
  const db = opts.db;
  const siteId = (p: Record<string, string>) => parseId(p.id, "invalid_site_id", "site id");
  const eventId = (p: Record<string, string>) => parseId(p.event_id, "invalid_event_id", "event id");

  const requireSite = async (blogId: number) => {
    const rows = await selectRows<{ n: number }>(
      db,
      sql`SELECT 1 AS n FROM jetpack_monitor_sites WHERE blog_id = ${blogId} LIMIT 1`,
    );
    if (rows.length === 0) throw new ApiError("site_not_found", `Site ${blogId} does not exist`);
  };
  const loadEvent = async (id: number, blogId?: number) => {
    const rows = await selectRows<EventRowSql>(
      db,
      sql`SELECT ${EVENT_COLUMNS} FROM jetmon_events WHERE id = ${id}`,
    );
    const row = rows[0];
    if (!row || (blogId !== undefined && Number(row.blog_id) !== blogId)) {
      throw new ApiError(
        "event_not_found",
        `Event ${id} does not exist${blogId !== undefined ? ` for site ${blogId}` : ""}`,
      );
    }
    return row;
  };
  const transitions = async (id: number, after: number | null, limit: number) =>
    selectRows<TransitionSql>(
      db,
      sql`SELECT id, event_id, blog_id, severity_before, severity_after, state_before, state_after, reason, source,
                 metadata, changed_at
          FROM jetmon_event_transitions WHERE event_id = ${id} ${after !== null ? sql`AND id > ${after}` : sql``}
          ORDER BY id ASC LIMIT ${limit}`,
    );
  const withTransitions = async (row: EventRowSql) => ({
    ...eventJson(row),
    transitions: (await transitions(Number(row.id), null, 1000)).map(transitionJson),
  });

  return [
    route({
      method: "GET",
      path: "/api/v1/sites/:id/events",
      scope: "read",
      summary: "A site's events, newest first",
      queryParams: [
        "limit",
        "cursor",
        "state",
        "state__in",
        "check_type",
        "check_type__in",
        "started_at__gte",
        "started_at__lt",
        "active",
      ],
      handler: async ({ params, query }) => {
        const blogId = siteId(params);
        const limit = parseLimit(query);
        const cursor = parseCursor(query);
        const states = parseInFilter(query, "state", "invalid_state_filter", (s) => s.length <= 32);
        const types = parseInFilter(query, "check_type", "invalid_check_type_filter", (s) =>
          CHECK_TYPE.test(s),
        );
        const gte = parseTimeParam(query, "started_at__gte", "invalid_started_at__gte");
        const lt = parseTimeParam(query, "started_at__lt", "invalid_started_at__lt");
        const active = parseBool(query, "active", "invalid_active");
        await requireSite(blogId);
        const where: SQL[] = [sql`blog_id = ${blogId}`];
        const list = (vs: string[]) =>
          sql.join(
            vs.map((v) => sql`${v}`),
            sql`, `,
          );
        if (cursor !== null) where.push(sql`id < ${cursor}`);
        if (states) where.push(sql`state IN (${list(states)})`);
        if (types) where.push(sql`check_type IN (${list(types)})`);
        if (gte) where.push(sql`started_at >= ${gte}`);
        if (lt) where.push(sql`started_at < ${lt}`);
        if (active !== undefined) where.push(active ? sql`ended_at IS NULL` : sql`ended_at IS NOT NULL`);
        const rows = await selectRows<EventRowSql>(
          db,
          sql`SELECT ${EVENT_COLUMNS} FROM jetmon_events WHERE ${sql.join(where, sql` AND `)}
              ORDER BY id DESC LIMIT ${limit + 1}`,
        );
        const { page, next } = pageOf(rows, limit, (r) => Number(r.id));
        return apiJson(200, listBody(page.map(eventJson), next, limit));
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/sites/:id/events/:event_id",
      scope: "read",
      summary: "One event of the site, with its transitions",
      handler: async ({ params }) => {
        const blogId = siteId(params);
        const id = eventId(params);
        return apiJson(200, await withTransitions(await loadEvent(id, blogId)));
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/sites/:id/events/:event_id/transitions",
      scope: "read",
      summary: "An event's transitions, oldest first",
      queryParams: ["limit", "cursor"],
      handler: async ({ params, query }) => {
        const blogId = siteId(params);
        const id = eventId(params);
        const limit = parseLimit(query, 100);
        const cursor = parseCursor(query);
        await loadEvent(id, blogId);
        const rows = await transitions(id, cursor, limit + 1);
        const { page, next } = pageOf(rows, limit, (r) => Number(r.id));
        return apiJson(200, listBody(page.map(transitionJson), next, limit));
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/events/:event_id",
      scope: "read",
      summary: "One event by id, with its transitions",
      handler: async ({ params }) => apiJson(200, await withTransitions(await loadEvent(eventId(params)))),
    }),
    route({
      method: "POST",
      path: "/api/v1/sites/:id/events/:event_id/close",
      scope: "write",
      idempotent: true,
      summary: "Close an open event (reason default manual_override); a closed one is returned unchanged",
      body: CloseEventBody,
      bodyRequired: false,
      handler: async ({ params, body, key }) => {
        const blogId = siteId(params);
        const id = eventId(params);
        const reason = body?.reason ?? ResolutionReason.ManualOverride;
        if (!isResolutionReason(reason)) {
          throw new ApiError(
            "invalid_field",
            `reason must be one of ${Object.values(ResolutionReason).join(", ")}, got ${JSON.stringify(reason)}`,
          );
        }
        const row = await loadEvent(id, blogId);
        if (row.ended_at === null) {
          try {
            await closeEvent(
              db,
              id,
              {
                reason,
                source: `api:${key.consumerName}`,
                metadata: body?.note ? { note: body.note } : undefined,
              },
              { project: { enabled: opts.projection?.() ?? true, changedAt: new Date() } },
            );
          } catch (err) {
            if (!(err instanceof EventClosedError)) throw err;
          }
        }
        return apiJson(200, await withTransitions(await loadEvent(id, blogId)));
      },
    }),
  ];
}

/**
 * Webhooks and alert contacts (docs/reference/cli-rollout-api.md §3.2;
 * docs/reference/deliverer.md §3.1 and §4.2): CRUD,
 * webhook secret rotation, and both kinds' delivery lists and manual retry. Unpaginated lists
 * (`page.next` null, `page.limit` = count), as Go's.
 */

import { randomBytes } from "node:crypto";
import { Type } from "@sinclair/typebox";
import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { run, selectRows } from "../db/sql.ts";
import { WEBHOOK_EVENT_TYPES } from "../delivery/event-types.ts";
import {
  type AlertDispatchers,
  isTransport,
  type SendResult,
  testNotification,
} from "../delivery/notification.ts";
import { errorText } from "../error-text.ts";
import { jsonColumn, timeColumn } from "./columns.ts";
import { ApiError, apiJson, type ErrorCode, listBody, noContent } from "./errors.ts";
import { base32 } from "./keys.ts";
import { pageOf, parseCursor, parseId, parseLimit } from "./params.ts";
import { type RouteDef, route } from "./router.ts";

const time = (v: unknown) => timeColumn(v);
const json = jsonColumn;
/** The last 4 bytes, or the whole value when shorter (docs/reference/deliverer.md §3.1). */
export const preview = (s: string) => Buffer.from(s).subarray(-4).toString();
const HTTP_URL = (s: string) => /^https?:\/\/[^\s/?#]+\S*$/i.test(s) && URL.canParse(s);

const SiteFilter = Type.Object(
  { site_ids: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }))) },
  { additionalProperties: false },
);
const StateFilter = Type.Object(
  { states: Type.Optional(Type.Array(Type.String({ maxLength: 32 }))) },
  { additionalProperties: false },
);

const webhookFields = {
  url: Type.String({ minLength: 1, maxLength: 2083 }),
  active: Type.Boolean(),
  events: Type.Union([Type.Array(Type.String()), Type.Null()]),
  site_filter: SiteFilter,
  state_filter: StateFilter,
};
export const CreateWebhookBody = Type.Object(
  { ...Type.Partial(Type.Object(webhookFields)).properties, url: webhookFields.url },
  { additionalProperties: false },
);
export const PatchWebhookBody = Type.Partial(Type.Object(webhookFields), { additionalProperties: false });

export const SEVERITY_NAMES = ["Up", "Warning", "Degraded", "SeemsDown", "Down"] as const;
const contactFields = {
  label: Type.String({ minLength: 1, maxLength: 128 }),
  active: Type.Boolean(),
  transport: Type.String(),
  destination: Type.Record(Type.String(), Type.String()),
  site_filter: SiteFilter,
  min_severity: Type.String(),
  max_per_hour: Type.Integer({ minimum: 0, maximum: 4294967295 }),
};
export const CreateContactBody = Type.Object(
  {
    ...Type.Partial(Type.Object(contactFields)).properties,
    label: contactFields.label,
    transport: contactFields.transport,
    destination: contactFields.destination,
  },
  { additionalProperties: false },
);
export const PatchContactBody = Type.Partial(
  Type.Object({
    label: contactFields.label,
    active: contactFields.active,
    destination: contactFields.destination,
    site_filter: contactFields.site_filter,
    min_severity: contactFields.min_severity,
    max_per_hour: contactFields.max_per_hour,
  }),
  { additionalProperties: false },
);

const DESTINATION_FIELD: Record<string, string> = {
  email: "address",
  pagerduty: "integration_key",
  slack: "webhook_url",
  teams: "webhook_url",
};

interface WebhookRow {
  id: number;
  url: string;
  active: number;
  owner_tenant_id: string | null;
  events: unknown;
  site_filter: unknown;
  state_filter: unknown;
  secret_preview: string;
  created_by: string;
  created_at: unknown;
  updated_at: unknown;
}

interface ContactRow {
  id: number;
  label: string;
  active: number;
  owner_tenant_id: string | null;
  transport: string;
  destination_preview: string;
  site_filter: unknown;
  min_severity: number;
  max_per_hour: number;
  created_by: string;
  created_at: unknown;
  updated_at: unknown;
}

function webhookJson(r: WebhookRow) {
  return {
    id: Number(r.id),
    url: r.url,
    active: Number(r.active) === 1,
    owner_tenant_id: r.owner_tenant_id,
    events: json(r.events),
    site_filter: json(r.site_filter) ?? {},
    state_filter: json(r.state_filter) ?? {},
    secret_preview: r.secret_preview,
    created_by: r.created_by,
    created_at: time(r.created_at),
    updated_at: time(r.updated_at),
  };
}

function contactJson(r: ContactRow) {
  return {
    id: Number(r.id),
    label: r.label,
    active: Number(r.active) === 1,
    owner_tenant_id: r.owner_tenant_id,
    transport: r.transport,
    destination_preview: r.destination_preview,
    site_filter: json(r.site_filter) ?? {},
    min_severity: SEVERITY_NAMES[Number(r.min_severity)] ?? "",
    max_per_hour: Number(r.max_per_hour),
    created_by: r.created_by,
    created_at: time(r.created_at),
    updated_at: time(r.updated_at),
  };
}

const newSecret = () => `whsec_${base32(randomBytes(32))}`;

function webhookColumns(b: {
  url?: string;
  active?: boolean;
  events?: string[] | null;
  site_filter?: { site_ids?: number[] };
  state_filter?: { states?: string[] };
}): Record<string, unknown> {
  const cols: Record<string, unknown> = {};
  if (b.url !== undefined) {
    if (!HTTP_URL(b.url))
      throw new ApiError("invalid_url", `url must be an http or https URL, got ${JSON.stringify(b.url)}`);
    cols.url = b.url;
  }
  if (b.active !== undefined) cols.active = b.active ? 1 : 0;
  if (b.events !== undefined) {
    for (const e of b.events ?? []) {
      if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e)) {
        throw new ApiError(
          "invalid_event_type",
          `unknown event type: ${JSON.stringify(e)} (allowed: ${WEBHOOK_EVENT_TYPES.join(", ")})`,
        );
      }
    }
    cols.events = b.events && b.events.length > 0 ? JSON.stringify(b.events) : null;
  }
  if (b.site_filter !== undefined)
    cols.site_filter = JSON.stringify(b.site_filter.site_ids?.length ? b.site_filter : {});
  if (b.state_filter !== undefined)
    cols.state_filter = JSON.stringify(b.state_filter.states?.length ? b.state_filter : {});
  return cols;
}

function severityNumber(name: string): number {
  const i = (SEVERITY_NAMES as readonly string[]).indexOf(name === "Seems Down" ? "SeemsDown" : name);
  if (i < 0)
    throw new ApiError(
      "invalid_severity",
      `unknown severity ${JSON.stringify(name)} (want one of: ${SEVERITY_NAMES.join(", ")})`,
    );
  return i;
}

function destinationColumns(transport: string, d: Record<string, string>): Record<string, unknown> {
  const field = DESTINATION_FIELD[transport];
  if (!field) throw new ApiError("invalid_alert_contact", `unknown transport ${JSON.stringify(transport)}`);
  const value = d[field];
  if (!value) {
    throw new ApiError(
      "invalid_alert_contact",
      `${transport} destination requires ${field === "address" ? "an" : "a"} ${field}`,
    );
  }
  return { destination: JSON.stringify(d), destination_preview: preview(value) };
}

const assignments = (cols: Record<string, unknown>) =>
  sql.join(
    Object.entries(cols).map(([k, v]) => sql`${sql.identifier(k)} = ${v}`),
    sql`, `,
  );

const WEBHOOK_COLUMNS = sql`id, url, active, owner_tenant_id, events, site_filter, state_filter, secret_preview, created_by, created_at, updated_at`;
const CONTACT_COLUMNS = sql`id, label, active, owner_tenant_id, transport, destination_preview, site_filter, min_severity, max_per_hour, created_by, created_at, updated_at`;

const STATUSES = ["pending", "delivered", "failed", "abandoned"];

interface Kind {
  table: string;
  deliveries: string;
  owner: string;
  idCode: ErrorCode;
  notFound: ErrorCode;
  noun: string;
}

const WEBHOOK: Kind = {
  table: "jetmon_webhooks",
  deliveries: "jetmon_webhook_deliveries",
  owner: "webhook_id",
  idCode: "invalid_webhook_id",
  notFound: "webhook_not_found",
  noun: "Webhook",
};
const CONTACT: Kind = {
  table: "jetmon_alert_contacts",
  deliveries: "jetmon_alert_deliveries",
  owner: "alert_contact_id",
  idCode: "invalid_alert_contact_id",
  notFound: "alert_contact_not_found",
  noun: "Alert contact",
};

interface DeliveryRow {
  id: number;
  owner_id: number;
  transition_id: number;
  event_id: number;
  event_type: string;
  status: string;
  attempt: number;
  next_attempt_at: unknown;
  last_status_code: number | null;
  last_response: string | null;
  last_attempt_at: unknown;
  delivered_at: unknown;
  created_at: unknown;
}

function deliveryJson(k: Kind, r: DeliveryRow) {
  return {
    id: Number(r.id),
    [k.owner]: Number(r.owner_id),
    transition_id: Number(r.transition_id),
    event_id: Number(r.event_id),
    event_type: r.event_type,
    status: r.status,
    attempt: Number(r.attempt),
    next_attempt_at: time(r.next_attempt_at),
    last_status_code: r.last_status_code === null ? null : Number(r.last_status_code),
    last_response: r.last_response,
    last_attempt_at: time(r.last_attempt_at),
    delivered_at: time(r.delivered_at),
    created_at: time(r.created_at),
  };
}

export interface RegistryRoutesOptions {
  db: Db;
  /** The alert transports a test send goes through (null or absent: 503 transport_not_configured). */
  dispatchers?: () => AlertDispatchers | null;
  /** Bound on one test send (default 15 s, as Go's). */
  testTimeoutMs?: number;
  now?: () => number;
}

export function registryRoutes(opts: RegistryRoutesOptions): RouteDef[] {
  const db = opts.db;
  const t = (k: Kind) => sql.identifier(k.table);

  const requireOwner = async (k: Kind, id: number) => {
    const rows = await selectRows<{ n: number }>(db, sql`SELECT 1 AS n FROM ${t(k)} WHERE id = ${id}`);
    if (rows.length === 0) throw new ApiError(k.notFound, `${k.noun} ${id} does not exist`);
  };
  const loadWebhook = async (id: number) => {
    const [row] = await selectRows<WebhookRow>(
      db,
      sql`SELECT ${WEBHOOK_COLUMNS} FROM jetmon_webhooks WHERE id = ${id}`,
    );
    if (!row) throw new ApiError("webhook_not_found", `Webhook ${id} does not exist`);
    return row;
  };
  const loadContact = async (id: number) => {
    const [row] = await selectRows<ContactRow>(
      db,
      sql`SELECT ${CONTACT_COLUMNS} FROM jetmon_alert_contacts WHERE id = ${id}`,
    );
    if (!row) throw new ApiError("alert_contact_not_found", `Alert contact ${id} does not exist`);
    return row;
  };

  const deliveryRoutes = (k: Kind, base: string): RouteDef[] => [
    route({
      method: "GET",
      path: `${base}/:id/deliveries`,
      scope: "read",
      summary: `A ${k.noun.toLowerCase()}'s deliveries, newest first`,
      queryParams: ["limit", "cursor", "status"],
      handler: async ({ params, query }) => {
        const id = parseId(params.id, k.idCode, `${k.noun.toLowerCase()} id`);
        const limit = parseLimit(query);
        const cursor = parseCursor(query);
        const status = query.get("status");
        if (status !== null && !STATUSES.includes(status)) {
          throw new ApiError(
            "invalid_status",
            `status must be one of ${STATUSES.join(", ")}, got ${JSON.stringify(status)}`,
          );
        }
        await requireOwner(k, id);
        const where: SQL[] = [sql`${sql.identifier(k.owner)} = ${id}`];
        if (status !== null) where.push(sql`status = ${status}`);
        if (cursor !== null) where.push(sql`id < ${cursor}`);
        const rows = await selectRows<DeliveryRow>(
          db,
          sql`SELECT id, ${sql.identifier(k.owner)} AS owner_id, transition_id, event_id, event_type, status, attempt,
                     next_attempt_at, last_status_code, last_response, last_attempt_at, delivered_at, created_at
              FROM ${sql.identifier(k.deliveries)} WHERE ${sql.join(where, sql` AND `)} ORDER BY id DESC LIMIT ${limit + 1}`,
        );
        const { page, next } = pageOf(rows, limit, (r) => Number(r.id));
        return apiJson(
          200,
          listBody(
            page.map((r) => deliveryJson(k, r)),
            next,
            limit,
          ),
        );
      },
    }),
    route({
      method: "POST",
      path: `${base}/:id/deliveries/:delivery_id/retry`,
      scope: "write",
      idempotent: true,
      summary: "Re-queue an abandoned delivery",
      handler: async ({ params }) => {
        const id = parseId(params.id, k.idCode, `${k.noun.toLowerCase()} id`);
        const deliveryId = parseId(params.delivery_id, "invalid_delivery_id", "delivery id");
        await requireOwner(k, id);
        const { affectedRows } = await run(
          db,
          sql`UPDATE ${sql.identifier(k.deliveries)} SET status = 'pending', attempt = 0, next_attempt_at = CURRENT_TIMESTAMP,
                     last_status_code = NULL, last_response = NULL, last_attempt_at = NULL
              WHERE id = ${deliveryId} AND ${sql.identifier(k.owner)} = ${id} AND status = 'abandoned'`,
        );
        const [row] = await selectRows<DeliveryRow>(
          db,
          sql`SELECT id, ${sql.identifier(k.owner)} AS owner_id, transition_id, event_id, event_type, status, attempt,
                     next_attempt_at, last_status_code, last_response, last_attempt_at, delivered_at, created_at
              FROM ${sql.identifier(k.deliveries)} WHERE id = ${deliveryId} AND ${sql.identifier(k.owner)} = ${id}`,
        );
        if (!row) throw new ApiError("delivery_not_found", `Delivery ${deliveryId} does not exist`);
        if (affectedRows === 0) {
          throw new ApiError(
            "delivery_not_retryable",
            `delivery ${deliveryId} is ${row.status}, only abandoned deliveries can be retried`,
          );
        }
        return apiJson(200, deliveryJson(k, row));
      },
    }),
  ];

  const webhookId = (p: Record<string, string>) => parseId(p.id, "invalid_webhook_id", "webhook id");
  const contactId = (p: Record<string, string>) =>
    parseId(p.id, "invalid_alert_contact_id", "alert contact id");

  return [
    route({
      method: "GET",
      path: "/api/v1/webhooks",
      scope: "read",
      summary: "All webhooks (unpaginated)",
      handler: async () => {
        const rows = await selectRows<WebhookRow>(
          db,
          sql`SELECT ${WEBHOOK_COLUMNS} FROM jetmon_webhooks ORDER BY id ASC`,
        );
        return apiJson(200, listBody(rows.map(webhookJson), null, rows.length));
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/webhooks/:id",
      scope: "read",
      summary: "One webhook",
      handler: async ({ params }) => apiJson(200, webhookJson(await loadWebhook(webhookId(params)))),
    }),
    route({
      method: "POST",
      path: "/api/v1/webhooks",
      scope: "write",
      idempotent: true,
      summary: "Create a webhook; the answer carries its secret, once",
      body: CreateWebhookBody,
      handler: async ({ body, key }) => {
        const cols = { active: 1, site_filter: "{}", state_filter: "{}", ...webhookColumns(body) };
        const secret = newSecret();
        const { insertId } = await run(
          db,
          sql`INSERT INTO jetmon_webhooks SET ${assignments({ ...cols, secret, secret_preview: preview(secret), created_by: key.consumerName })}`,
        );
        return apiJson(201, { ...webhookJson(await loadWebhook(insertId)), secret });
      },
    }),
    route({
      method: "PATCH",
      path: "/api/v1/webhooks/:id",
      scope: "write",
      summary: "Update a webhook (sparse)",
      body: PatchWebhookBody,
      bodyRequired: false,
      handler: async ({ params, body }) => {
        const id = webhookId(params);
        const cols = webhookColumns(body ?? {});
        await loadWebhook(id);
        if (Object.keys(cols).length > 0)
          await run(db, sql`UPDATE jetmon_webhooks SET ${assignments(cols)} WHERE id = ${id}`);
        return apiJson(200, webhookJson(await loadWebhook(id)));
      },
    }),
    route({
      method: "DELETE",
      path: "/api/v1/webhooks/:id",
      scope: "write",
      summary: "Delete a webhook (its deliveries stay)",
      handler: async ({ params }) => {
        const id = webhookId(params);
        const { affectedRows } = await run(db, sql`DELETE FROM jetmon_webhooks WHERE id = ${id}`);
        if (affectedRows === 0) throw new ApiError("webhook_not_found", `Webhook ${id} does not exist`);
        return noContent();
      },
    }),
    route({
      method: "POST",
      path: "/api/v1/webhooks/:id/rotate-secret",
      scope: "write",
      idempotent: true,
      summary: "New signing secret; the old one stops working at once",
      handler: async ({ params }) => {
        const id = webhookId(params);
        await loadWebhook(id);
        const secret = newSecret();
        await run(
          db,
          sql`UPDATE jetmon_webhooks SET secret = ${secret}, secret_preview = ${preview(secret)} WHERE id = ${id}`,
        );
        return apiJson(200, { ...webhookJson(await loadWebhook(id)), secret });
      },
    }),
    ...deliveryRoutes(WEBHOOK, "/api/v1/webhooks"),
    route({
      method: "GET",
      path: "/api/v1/alert-contacts",
      scope: "read",
      summary: "All alert contacts (unpaginated)",
      handler: async () => {
        const rows = await selectRows<ContactRow>(
          db,
          sql`SELECT ${CONTACT_COLUMNS} FROM jetmon_alert_contacts ORDER BY id ASC`,
        );
        return apiJson(200, listBody(rows.map(contactJson), null, rows.length));
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/alert-contacts/:id",
      scope: "read",
      summary: "One alert contact (the destination itself is never returned)",
      handler: async ({ params }) => apiJson(200, contactJson(await loadContact(contactId(params)))),
    }),
    route({
      method: "POST",
      path: "/api/v1/alert-contacts",
      scope: "write",
      idempotent: true,
      summary: "Create an alert contact",
      body: CreateContactBody,
      handler: async ({ body, key }) => {
        if (!(body.transport in DESTINATION_FIELD)) {
          throw new ApiError(
            "invalid_transport",
            `unknown transport ${JSON.stringify(body.transport)} (want one of: email, pagerduty, slack, teams)`,
          );
        }
        const cols: Record<string, unknown> = {
          label: body.label,
          active: body.active === false ? 0 : 1,
          transport: body.transport,
          ...destinationColumns(body.transport, body.destination),
          site_filter: JSON.stringify(body.site_filter?.site_ids?.length ? body.site_filter : {}),
          min_severity: body.min_severity === undefined ? 4 : severityNumber(body.min_severity),
          max_per_hour: body.max_per_hour ?? 60,
          created_by: key.consumerName,
        };
        const { insertId } = await run(db, sql`INSERT INTO jetmon_alert_contacts SET ${assignments(cols)}`);
        return apiJson(201, contactJson(await loadContact(insertId)));
      },
    }),
    route({
      method: "PATCH",
      path: "/api/v1/alert-contacts/:id",
      scope: "write",
      summary: "Update an alert contact (sparse; the transport cannot change)",
      body: PatchContactBody,
      bodyRequired: false,
      handler: async ({ params, body }) => {
        const id = contactId(params);
        const b = body ?? {};
        const cols: Record<string, unknown> = {};
        if (b.label !== undefined) cols.label = b.label;
        if (b.active !== undefined) cols.active = b.active ? 1 : 0;
        if (b.min_severity !== undefined) cols.min_severity = severityNumber(b.min_severity);
        const current = await loadContact(id);
        if (b.destination !== undefined)
          Object.assign(cols, destinationColumns(current.transport, b.destination));
        if (b.site_filter !== undefined)
          cols.site_filter = JSON.stringify(b.site_filter.site_ids?.length ? b.site_filter : {});
        if (b.max_per_hour !== undefined) cols.max_per_hour = b.max_per_hour;
        if (Object.keys(cols).length > 0)
          await run(db, sql`UPDATE jetmon_alert_contacts SET ${assignments(cols)} WHERE id = ${id}`);
        return apiJson(200, contactJson(await loadContact(id)));
      },
    }),
    route({
      method: "DELETE",
      path: "/api/v1/alert-contacts/:id",
      scope: "write",
      summary: "Delete an alert contact (its deliveries stay)",
      handler: async ({ params }) => {
        const id = contactId(params);
        const { affectedRows } = await run(db, sql`DELETE FROM jetmon_alert_contacts WHERE id = ${id}`);
        if (affectedRows === 0)
          throw new ApiError("alert_contact_not_found", `Alert contact ${id} does not exist`);
        return noContent();
      },
    }),
    route({
      method: "POST",
      path: "/api/v1/alert-contacts/:id/test",
      scope: "write",
      idempotent: true,
      summary: "Send a test notification through the contact's transport now (502 when the send fails)",
      handler: async ({ params }) => {
        const id = contactId(params);
        const [row] = await selectRows<ContactRow & { destination: string | Buffer }>(
          db,
          sql`SELECT ${CONTACT_COLUMNS}, CAST(destination AS CHAR CHARACTER SET utf8mb4) AS destination
              FROM jetmon_alert_contacts WHERE id = ${id}`,
        );
        if (!row) throw new ApiError("alert_contact_not_found", `Alert contact ${id} does not exist`);
        const dispatcher = isTransport(row.transport) ? opts.dispatchers?.()?.[row.transport] : undefined;
        if (!dispatcher) {
          throw new ApiError(
            "transport_not_configured",
            `transport ${JSON.stringify(row.transport)} is not configured on this instance`,
          );
        }
        const n = testNotification(row.label, Number(row.min_severity), new Date((opts.now ?? Date.now)()));
        const destination =
          typeof row.destination === "string" ? row.destination : row.destination.toString("utf8");
        let r: SendResult;
        try {
          r = await dispatcher.send(n, destination, AbortSignal.timeout(opts.testTimeoutMs ?? 15_000));
        } catch (err) {
          r = { ok: false, statusCode: 0, body: "", error: errorText(err) };
        }
        const out = {
          contact_id: id,
          transport: row.transport,
          status_code: r.statusCode,
          response_body: r.body,
          ...(r.ok ? {} : { error: r.error }),
          delivered: r.ok,
        };
        return apiJson(r.ok ? 200 : 502, out);
      },
    }),
    ...deliveryRoutes(CONTACT, "/api/v1/alert-contacts"),
  ];
}

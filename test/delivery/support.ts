/**
 * Fixtures for the delivery tests: rows inserted the way the API and event store write them,
 * HTTP receivers on 127.0.0.1 that check every webhook signature themselves, and a clock
 * tests move by hand.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Db } from "../../src/db/client.ts";
import { readDbTime, run, selectRows } from "../../src/db/sql.ts";

export class TestClock {
  constructor(public ms: number = Date.UTC(2026, 3, 25, 12, 0, 0)) {}
  readonly now = () => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface TransitionInput {
  eventId?: number;
  blogId?: number;
  severityBefore?: number | null;
  severityAfter?: number | null;
  stateBefore?: string | null;
  stateAfter?: string | null;
  reason?: string;
  changedAt?: Date;
}

/** Inserts a transition row directly (as the event store's transition insert does). */
export async function insertTransition(db: Db, t: TransitionInput = {}): Promise<number> {
  const r = await run(
    db,
    sql`INSERT INTO jetmon_event_transitions
          (event_id, blog_id, severity_before, severity_after, state_before, state_after, reason, source, changed_at)
        VALUES (${t.eventId ?? 1}, ${t.blogId ?? 42}, ${t.severityBefore ?? null}, ${t.severityAfter === undefined ? 4 : t.severityAfter},
                ${t.stateBefore ?? null}, ${t.stateAfter === undefined ? "Down" : t.stateAfter}, ${t.reason ?? "opened"}, 'local',
                ${t.changedAt ?? sql`CURRENT_TIMESTAMP(3)`})`,
  );
  return r.insertId;
}

export interface WebhookInput {
  url: string;
  secret?: string;
  active?: boolean;
  events?: string[] | null;
  siteIds?: number[];
  states?: string[];
  ownerTenantId?: string | null;
}

export async function insertWebhook(db: Db, w: WebhookInput): Promise<{ id: number; secret: string }> {
  const secret = w.secret ?? `whsec_${Math.random().toString(36).slice(2)}TESTSECRET`;
  const r = await run(
    db,
    sql`INSERT INTO jetmon_webhooks (url, active, owner_tenant_id, events, site_filter, state_filter, secret, secret_preview, created_by)
        VALUES (${w.url}, ${w.active === false ? 0 : 1}, ${w.ownerTenantId ?? null},
                ${w.events ? JSON.stringify(w.events) : null},
                ${w.siteIds ? JSON.stringify({ site_ids: w.siteIds }) : "{}"},
                ${w.states ? JSON.stringify({ states: w.states }) : "{}"},
                ${secret}, ${secret.slice(-4)}, 'test')`,
  );
  return { id: r.insertId, secret };
}

export interface ContactInput {
  transport: string;
  destination: unknown;
  label?: string;
  active?: boolean;
  minSeverity?: number;
  maxPerHour?: number;
  siteIds?: number[];
}

export async function insertContact(db: Db, c: ContactInput): Promise<number> {
  const r = await run(
    db,
    sql`INSERT INTO jetmon_alert_contacts (label, active, transport, destination, site_filter, min_severity, max_per_hour, created_by)
        VALUES (${c.label ?? "ops"}, ${c.active === false ? 0 : 1}, ${c.transport},
                ${typeof c.destination === "string" ? c.destination : JSON.stringify(c.destination)},
                ${c.siteIds ? JSON.stringify({ site_ids: c.siteIds }) : null},
                ${c.minSeverity ?? 4}, ${c.maxPerHour ?? 60}, 'test')`,
  );
  return r.insertId;
}

export interface DeliveryRow {
  id: number;
  subscriber_id: number;
  transition_id: number;
  event_type: string;
  payload: string;
  status: string;
  attempt: number;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  delivered_at: Date | null;
  last_status_code: number | null;
  last_response: string | null;
}

export async function deliveries(db: Db, kind: "webhook" | "alert"): Promise<DeliveryRow[]> {
  const table = kind === "webhook" ? "jetmon_webhook_deliveries" : "jetmon_alert_deliveries";
  const col = kind === "webhook" ? "webhook_id" : "alert_contact_id";
  return selectRows<DeliveryRow>(
    db,
    sql`SELECT id, ${sql.raw(col)} AS subscriber_id, transition_id, event_type, CAST(payload AS CHAR) AS payload, status,
               attempt, next_attempt_at, last_attempt_at, delivered_at, last_status_code, last_response
        FROM ${sql.raw(table)} ORDER BY id`,
  ).then((rows) =>
    rows.map((r) => ({
      ...r,
      next_attempt_at: readDbTime(r.next_attempt_at),
      last_attempt_at: readDbTime(r.last_attempt_at),
      delivered_at: readDbTime(r.delivered_at),
    })),
  );
}

/** Empties the delivery tables and progress rows between tests of one file. */
export async function resetDelivery(db: Db): Promise<void> {
  for (const t of [
    "jetmon_webhook_deliveries",
    "jetmon_alert_deliveries",
    "jetmon_webhook_dispatch_progress",
    "jetmon_alert_dispatch_progress",
    "jetmon_webhooks",
    "jetmon_alert_contacts",
    "jetmon_site_tenants",
  ]) {
    await db.execute(sql`DELETE FROM ${sql.raw(t)}`);
  }
}

export interface Received {
  path: string;
  headers: Headers;
  body: string;
  /** The receiver's own verdict on X-Jetmon-Signature. */
  signatureValid: boolean;
  signedAt: number;
}

/** Verifies `t=<unix>,v1=<hex>` the way the docs tell a receiver to. */
export function verifySignature(
  header: string | null,
  secret: string,
  body: string,
): { ok: boolean; t: number } {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? "");
  if (!m) return { ok: false, t: 0 };
  const expected = createHmac("sha256", secret).update(`${m[1]}.${body}`).digest();
  const got = Buffer.from(m[2]!, "hex");
  return { ok: got.length === expected.length && timingSafeEqual(got, expected), t: Number(m[1]) };
}

/**
 * An HTTP receiver on 127.0.0.1. `respond` decides each answer (a Response, or a promise that
 * never settles to hang); every request is recorded, its signature checked against `secret`.
 */
export function startReceiver(
  respond: (r: Received, n: number) => Response | Promise<Response>,
  secret = "",
): { url: string; received: Received[]; stop: () => void } {
  const received: Received[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      const body = await req.text();
      const v = verifySignature(req.headers.get("x-jetmon-signature"), secret, body);
      const r: Received = {
        path: new URL(req.url).pathname,
        headers: req.headers,
        body,
        signatureValid: v.ok,
        signedAt: v.t,
      };
      received.push(r);
      return respond(r, received.length);
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, received, stop: () => server.stop(true) };
}

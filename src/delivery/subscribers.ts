/**
 * Webhooks and alert contacts as dispatch sees them, and the rules that decide whether a
 * transition is for them (docs/reference/deliverer.md §3.3, §4.3). JSON columns are checked at this boundary:
 * a filter that does not parse makes its subscriber match nothing (and says so in the log)
 * rather than silently match everything, which is what an empty filter means.
 */
import { type TSchema, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { sql } from "drizzle-orm";
import { type Executor, selectRows } from "../db/sql.ts";

export interface WebhookSubscriber {
  id: number;
  ownerTenantId: string | null;
  /** Event types; empty = all. */
  events: string[];
  /** Site (blog) ids; empty = all. */
  siteIds: number[];
  /** `state_after` values; empty = all. */
  states: string[];
  /** Set when a JSON column is malformed: the subscriber then matches nothing. */
  invalid?: string;
}

export interface AlertSubscriber {
  id: number;
  ownerTenantId: string | null;
  siteIds: number[];
  minSeverity: number;
  invalid?: string;
}

/** Which tenants own a site (jetmon_site_tenants), for tenant-owned subscribers. */
export type SiteTenants = ReadonlyMap<number, ReadonlySet<string>>;

const EventsSchema = Type.Union([Type.Null(), Type.Array(Type.String())]);
const SiteFilterSchema = Type.Union([
  Type.Null(),
  Type.Object({ site_ids: Type.Optional(Type.Union([Type.Null(), Type.Array(Type.Integer())])) }),
]);
const StateFilterSchema = Type.Union([
  Type.Null(),
  Type.Object({ states: Type.Optional(Type.Union([Type.Null(), Type.Array(Type.String())])) }),
]);

/**
 * Reads a JSON column value (mysql2 hands MariaDB's JSON over as text and MySQL's parsed) and
 * checks it against `schema`. Returns the value, or an error naming the column and the value.
 */
export function parseJsonColumn<T>(
  column: string,
  raw: unknown,
  schema: TSchema,
): { value: T } | { error: string } {
  let v: unknown = raw;
  if (typeof raw === "string") {
    try {
      v = JSON.parse(raw);
    } catch {
      return { error: `${column}: not valid JSON: ${JSON.stringify(raw).slice(0, 200)}` };
    }
  }
  if (v === undefined) v = null;
  if (!Value.Check(schema, v)) {
    return { error: `${column}: unexpected shape ${JSON.stringify(v).slice(0, 200)}` };
  }
  return { value: v as T };
}

interface WebhookRow {
  id: number;
  owner_tenant_id: string | null;
  events: unknown;
  site_filter: unknown;
  state_filter: unknown;
}

export function webhookFromRow(r: WebhookRow): WebhookSubscriber {
  const s: WebhookSubscriber = {
    id: Number(r.id),
    ownerTenantId: r.owner_tenant_id,
    events: [],
    siteIds: [],
    states: [],
  };
  const ev = parseJsonColumn<string[] | null>("events", r.events, EventsSchema);
  const sf = parseJsonColumn<{ site_ids?: number[] | null } | null>(
    "site_filter",
    r.site_filter,
    SiteFilterSchema,
  );
  const st = parseJsonColumn<{ states?: string[] | null } | null>(
    "state_filter",
    r.state_filter,
    StateFilterSchema,
  );
  for (const p of [ev, sf, st]) if ("error" in p) s.invalid = p.error;
  if ("value" in ev) s.events = ev.value ?? [];
  if ("value" in sf) s.siteIds = sf.value?.site_ids ?? [];
  if ("value" in st) s.states = st.value?.states ?? [];
  return s;
}

/** Active webhooks, in id order. */
export async function loadActiveWebhooks(ex: Executor): Promise<WebhookSubscriber[]> {
  const rows = await selectRows<WebhookRow>(
    ex,
    sql`SELECT id, owner_tenant_id, events, site_filter, state_filter FROM jetmon_webhooks WHERE active = 1 ORDER BY id ASC`,
  );
  return rows.map(webhookFromRow);
}

interface ContactRow {
  id: number;
  owner_tenant_id: string | null;
  site_filter: unknown;
  min_severity: number;
}

export function contactFromRow(r: ContactRow): AlertSubscriber {
  const s: AlertSubscriber = {
    id: Number(r.id),
    ownerTenantId: r.owner_tenant_id,
    siteIds: [],
    minSeverity: Number(r.min_severity),
  };
  const sf = parseJsonColumn<{ site_ids?: number[] | null } | null>(
    "site_filter",
    r.site_filter,
    SiteFilterSchema,
  );
  if ("error" in sf) s.invalid = sf.error;
  else s.siteIds = sf.value?.site_ids ?? [];
  return s;
}

/** Active alert contacts, in id order. */
export async function loadActiveContacts(ex: Executor): Promise<AlertSubscriber[]> {
  const rows = await selectRows<ContactRow>(
    ex,
    sql`SELECT id, owner_tenant_id, site_filter, min_severity FROM jetmon_alert_contacts WHERE active = 1 ORDER BY id ASC`,
  );
  return rows.map(contactFromRow);
}

/** Tenant owners of the given sites. */
export async function loadSiteTenants(ex: Executor, blogIds: readonly number[]): Promise<SiteTenants> {
  const out = new Map<number, Set<string>>();
  if (blogIds.length === 0) return out;
  const ids = [...new Set(blogIds)];
  const rows = await selectRows<{ tenant_id: string; blog_id: number }>(
    ex,
    sql`SELECT tenant_id, blog_id FROM jetmon_site_tenants WHERE blog_id IN (${sql.join(
      ids.map((i) => sql`${i}`),
      sql`, `,
    )})`,
  );
  for (const r of rows) {
    const b = Number(r.blog_id);
    const set = out.get(b) ?? new Set<string>();
    set.add(r.tenant_id);
    out.set(b, set);
  }
  return out;
}

/**
 * A subscriber owned by a tenant only hears about that tenant's sites; one with no owner
 * (operator-created) hears about every site.
 */
export function tenantAllows(ownerTenantId: string | null, siteId: number, tenants: SiteTenants): boolean {
  if (ownerTenantId === null || ownerTenantId === "") return true;
  return tenants.get(siteId)?.has(ownerTenantId) ?? false;
}

/** Every non-empty filter must pass (docs/reference/deliverer.md §3.3). */
export function webhookMatches(
  w: WebhookSubscriber,
  eventType: string,
  siteId: number,
  state: string,
  tenants: SiteTenants,
): boolean {
  if (w.invalid) return false;
  if (w.events.length > 0 && !w.events.includes(eventType)) return false;
  if (w.siteIds.length > 0 && !w.siteIds.includes(siteId)) return false;
  if (w.states.length > 0 && !w.states.includes(state)) return false;
  return tenantAllows(w.ownerTenantId, siteId, tenants);
}

/**
 * The severity gate (docs/reference/deliverer.md §4.3): fires when the new severity reaches the contact's
 * minimum, or on recovery to Up from a severity that had reached it. NULL severities count
 * as 0 (Up): `opened` has no "before", a close has no "after".
 */
export function severityGate(minSeverity: number, prev: number | null, next: number | null): boolean {
  const p = prev ?? 0;
  const n = next ?? 0;
  return n >= minSeverity || (p >= minSeverity && n === 0);
}

export function contactMatches(
  c: AlertSubscriber,
  prev: number | null,
  next: number | null,
  siteId: number,
  tenants: SiteTenants,
): boolean {
  if (c.invalid) return false;
  if (c.siteIds.length > 0 && !c.siteIds.includes(siteId)) return false;
  if (!severityGate(c.minSeverity, prev, next)) return false;
  return tenantAllows(c.ownerTenantId, siteId, tenants);
}

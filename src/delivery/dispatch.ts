/**
 * The pull model (docs/reference/deliverer.md §3.6, ADR-0005): read the transitions after this instance's mark,
 * match them to subscribers, and enqueue deliveries. The enqueue and the new mark commit in
 * one transaction, so a failed enqueue never advances the mark (docs/design.md defect 7); the next
 * tick retries the same batch, and the unique (subscriber, transition) key drops repeats.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { dbTime, type Executor, readDbTime, run, selectRows } from "../db/sql.ts";
import { type Reason, type State, stored } from "../events/vocabulary.ts";
import type { Logger } from "../log.ts";
import type { Clock } from "../time.ts";
import { alertEventType, webhookEventType } from "./event-types.ts";
import type { KindTables } from "./kinds.ts";
import { alertPayloadText, type Transition, webhookPayloadText } from "./payload.ts";
import { ensureProgress, readProgress } from "./progress.ts";
import {
  type AlertSubscriber,
  contactMatches,
  loadActiveContacts,
  loadActiveWebhooks,
  loadSiteTenants,
  type SiteTenants,
  type WebhookSubscriber,
  webhookMatches,
} from "./subscribers.ts";

/** One row to insert into a deliveries table. */
export interface PlannedDelivery {
  subscriberId: number;
  transitionId: number;
  eventId: number;
  eventType: string;
  /** Alert rows only: the severity after the transition (NULL counts as 0). */
  severity: number | null;
  payload: string;
}

export function planWebhookDeliveries(
  transitions: readonly Transition[],
  subscribers: readonly WebhookSubscriber[],
  tenants: SiteTenants,
): PlannedDelivery[] {
  const out: PlannedDelivery[] = [];
  for (const t of transitions) {
    const type = webhookEventType(t.reason);
    if (!type) continue;
    const state = t.stateAfter ?? "";
    let payload: string | undefined;
    for (const w of subscribers) {
      if (!webhookMatches(w, type, t.blogId, state, tenants)) continue;
      payload ??= webhookPayloadText(type, t);
      out.push({
        subscriberId: w.id,
        transitionId: t.id,
        eventId: t.eventId,
        eventType: type,
        severity: null,
        payload,
      });
    }
  }
  return out;
}

export function planAlertDeliveries(
  transitions: readonly Transition[],
  subscribers: readonly AlertSubscriber[],
  tenants: SiteTenants,
): PlannedDelivery[] {
  const out: PlannedDelivery[] = [];
  for (const t of transitions) {
    const type = alertEventType(t.reason);
    if (!type) continue;
    let payload: string | undefined;
    for (const c of subscribers) {
      if (!contactMatches(c, t.severityBefore, t.severityAfter, t.blogId, tenants)) continue;
      payload ??= alertPayloadText(type, t);
      out.push({
        subscriberId: c.id,
        transitionId: t.id,
        eventId: t.eventId,
        eventType: type,
        severity: t.severityAfter ?? 0,
        payload,
      });
    }
  }
  return out;
}

/** What one kind contributes to dispatch: its tables, subscribers and matching. */
export interface DispatchSpec {
  tables: KindTables;
  plan(ex: Executor, transitions: Transition[]): Promise<PlannedDelivery[]>;
}

async function tenantsFor(ex: Executor, subs: { ownerTenantId: string | null }[], ts: Transition[]) {
  if (!subs.some((s) => s.ownerTenantId)) return new Map() as SiteTenants;
  return loadSiteTenants(
    ex,
    ts.map((t) => t.blogId),
  );
}

function warnInvalid(log: Logger, prefix: string, subs: { id: number; invalid?: string }[]) {
  for (const s of subs) {
    if (s.invalid)
      log.warn({ subscriber_id: s.id, error: s.invalid }, `${prefix}: subscriber filter invalid, skipped`);
  }
}

export function webhookDispatchSpec(tables: KindTables, log: Logger): DispatchSpec {
  return {
    tables,
    async plan(ex, ts) {
      const subs = await loadActiveWebhooks(ex);
      warnInvalid(log, tables.logPrefix, subs);
      return planWebhookDeliveries(ts, subs, await tenantsFor(ex, subs, ts));
    },
  };
}

export function alertDispatchSpec(tables: KindTables, log: Logger): DispatchSpec {
  return {
    tables,
    async plan(ex, ts) {
      const subs = await loadActiveContacts(ex);
      warnInvalid(log, tables.logPrefix, subs);
      return planAlertDeliveries(ts, subs, await tenantsFor(ex, subs, ts));
    },
  };
}

interface TransitionRow {
  id: number;
  event_id: number;
  blog_id: number;
  severity_before: number | null;
  severity_after: number | null;
  state_after: State | null;
  reason: Reason;
  changed_at: string | Date;
}

function toTransition(r: TransitionRow): Transition {
  const changedAt = readDbTime(r.changed_at);
  if (changedAt === null) throw new Error(`transition ${r.id} has no changed_at`);
  return {
    id: Number(r.id),
    eventId: Number(r.event_id),
    blogId: Number(r.blog_id),
    severityBefore: r.severity_before === null ? null : stored.severity(Number(r.severity_before)),
    severityAfter: r.severity_after === null ? null : stored.severity(Number(r.severity_after)),
    stateAfter: r.state_after,
    reason: r.reason,
    changedAt,
  };
}

export interface DispatchOptions {
  instanceId: string;
  batchSize: number;
  /**
   * Transitions younger than this (by the database clock) wait for the next tick. An id is
   * allocated at insert but becomes visible at commit, so a slow transaction can publish id
   * N after N+1 is already visible; reading only settled rows keeps the mark from jumping
   * over it.
   */
  settleMs: number;
  now: Clock;
  log: Logger;
}

export interface DispatchResult {
  transitions: number;
  enqueued: number;
  lastTransitionId: number;
}

const INSERT_CHUNK = 500;

function insertStatement(t: KindTables, rows: PlannedDelivery[], now: Date): SQL {
  const alert = t.kind === "alert";
  const cols = alert
    ? sql`(alert_contact_id, transition_id, event_id, event_type, severity, payload, status, attempt, next_attempt_at, created_at)`
    : sql`(webhook_id, transition_id, event_id, event_type, payload, status, attempt, next_attempt_at, created_at)`;
  const values = rows.map((r) =>
    alert
      ? sql`(${r.subscriberId}, ${r.transitionId}, ${r.eventId}, ${r.eventType}, ${r.severity ?? 0}, ${r.payload}, 'pending', 0, ${now}, ${now})`
      : sql`(${r.subscriberId}, ${r.transitionId}, ${r.eventId}, ${r.eventType}, ${r.payload}, 'pending', 0, ${now}, ${now})`,
  );
  // Only a duplicate (subscriber, transition) is skipped; any other error fails the batch.
  return sql`INSERT INTO ${sql.raw(t.deliveries)} ${cols} VALUES ${sql.join(values, sql`, `)}
             ON DUPLICATE KEY UPDATE id = id`;
}

/** One dispatch pass. Throws on any database error; nothing is committed then. */
export async function dispatchOnce(db: Db, spec: DispatchSpec, o: DispatchOptions): Promise<DispatchResult> {
  const t = spec.tables;
  return db.transaction(async (tx) => {
    const mark = await readProgress(tx, t, o.instanceId, true);
    if (mark === null) {
      // The row was removed under us (an operator reset): start again as a new instance.
      const seeded = await ensureProgress(tx, t, o.instanceId, null, o.log);
      return { transitions: 0, enqueued: 0, lastTransitionId: seeded };
    }
    const settledAt = sql`NOW(3) - INTERVAL ${Math.max(0, Math.ceil(o.settleMs * 1000))} MICROSECOND`;
    const rows = await selectRows<TransitionRow & { settled: number }>(
      tx,
      sql`SELECT id, event_id, blog_id, severity_before, severity_after, state_after, reason, changed_at,
                 changed_at <= ${settledAt} AS settled
          FROM jetmon_event_transitions WHERE id > ${mark} ORDER BY id ASC LIMIT ${o.batchSize}`,
    );
    // Stop at the first unsettled row: everything after it waits too, so no id is skipped.
    const firstUnsettled = rows.findIndex((r) => Number(r.settled) !== 1);
    if (firstUnsettled >= 0) rows.length = firstUnsettled;
    if (rows.length === 0) return { transitions: 0, enqueued: 0, lastTransitionId: mark };
    const transitions = rows.map(toTransition);
    const planned = await spec.plan(tx, transitions);
    const now = dbTime(o.now());
    let enqueued = 0;
    for (let i = 0; i < planned.length; i += INSERT_CHUNK) {
      const r = await run(tx, insertStatement(t, planned.slice(i, i + INSERT_CHUNK), now));
      enqueued += r.affectedRows;
    }
    const last = transitions.at(-1)?.id ?? mark;
    await run(
      tx,
      sql`UPDATE ${sql.raw(t.progress)} SET last_transition_id = ${last} WHERE instance_id = ${o.instanceId}`,
    );
    return { transitions: transitions.length, enqueued, lastTransitionId: last };
  });
}

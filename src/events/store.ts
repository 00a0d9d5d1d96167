/**
 * The event store (docs/reference/monitor-core.md §3): the only writer of `jetmon_events` and
 * `jetmon_event_transitions`. Every mutation writes exactly one transition row and, when the
 * caller enables the legacy projection, the `jetpack_monitor_sites` status, all in one
 * transaction: an error anywhere rolls every part back.
 */
import { eq, sql } from "drizzle-orm";
import { events, eventTransitions } from "../db/schema.ts";
import { type Executor, inTransaction, type Tx } from "../db/sql.ts";
import { legacyStatusFor, writeLegacyStatus } from "./projection.ts";
import type { EventIdentity, LegacyProjection, ProjectionOptions } from "./types.ts";
import {
  type LegacyStatus,
  Reason,
  type ResolutionReason,
  type Severity,
  State,
  stored,
} from "./vocabulary.ts";

export class EventClosedError extends Error {
  constructor() {
    super("eventstore: event is closed");
    this.name = "EventClosedError";
  }
}

export class EventNotFoundError extends Error {
  constructor() {
    super("eventstore: event not found");
    this.name = "EventNotFoundError";
  }
}

export interface OpenEventInput extends EventIdentity {
  severity: Severity;
  state: State;
  /** Who opened it (the monitor's hostname); "" becomes `local`. */
  source?: string;
  /** Frozen on the event row at open; also on the `opened` transition. */
  metadata?: unknown;
}

export interface OpenEventResult {
  eventId: number;
  /** False when an open event with the same identity already existed (nothing was written). */
  opened: boolean;
  /** The event's current severity and state (the input's when opened, the row's otherwise). */
  severity: Severity;
  state: State;
  transitionId: number | null;
}

export interface EventChange {
  /** New severity; absent keeps the current one. */
  severity?: Severity;
  /** New state; absent keeps the current one. */
  state?: State;
  reason: Reason;
  source?: string;
  metadata?: unknown;
}

export interface ChangeResult {
  /** False when neither severity nor state differed (no row written, no transition). */
  changed: boolean;
  transitionId: number | null;
  blogId: number;
  checkType: string;
  severity: Severity;
  state: State;
}

export interface CloseInput {
  reason: ResolutionReason;
  source?: string;
  metadata?: unknown;
}

export interface CloseResult {
  transitionId: number;
  blogId: number;
  checkType: string;
  /** The severity and state the event had when it closed. */
  severity: Severity;
  state: State;
}

/**
 * Opens an event, or finds the open one with the same identity (the `uk_open_dedup` index).
 * Only a real insert writes the `opened` transition and, if enabled, projects the new state
 * (`Seems Down` -> site_status 0).
 */
export function openEvent(
  db: Executor,
  input: OpenEventInput,
  opts: ProjectionOptions = {},
): Promise<OpenEventResult> {
  if (!input.checkType) return Promise.reject(new Error("eventstore: Open requires CheckType"));
  if (!input.state) return Promise.reject(new Error("eventstore: Open requires State"));
  return inTransaction(db, (tx) => openInTx(tx, input, opts.project));
}

/**
 * Changes severity and/or state with `reason` (`verifier_confirmed`, `severity_escalation`, ...).
 * Writes nothing to the event when neither differs, but the projection (if enabled) is written
 * either way: a re-confirmed Down re-asserts site_status 2 (docs/reference/monitor-core.md §1.10).
 */
export function updateEvent(
  db: Executor,
  eventId: number,
  change: EventChange,
  opts: ProjectionOptions = {},
): Promise<ChangeResult> {
  if (change.severity === undefined && !change.state) {
    return Promise.reject(new Error("eventstore: mutate requires severityAfter or stateAfter"));
  }
  if (!change.reason) return Promise.reject(new Error("eventstore: mutate requires reason"));
  return inTransaction(db, (tx) => updateInTx(tx, eventId, change, opts.project));
}

/**
 * Closes an open event: `ended_at = CURRENT_TIMESTAMP(3)`, `resolution_reason = reason`, and a
 * transition to `Resolved` with severity_after NULL. Projects site_status 1 if enabled.
 * Throws EventNotFoundError / EventClosedError.
 */
export function closeEvent(
  db: Executor,
  eventId: number,
  input: CloseInput,
  opts: ProjectionOptions = {},
): Promise<CloseResult> {
  if (!input.reason) return Promise.reject(new Error("eventstore: Close requires resolutionReason"));
  return inTransaction(db, (tx) => closeInTx(tx, eventId, input, opts.project));
}

/**
 * Sets (`causeId > 0`) or clears (null or <= 0) the event's cause. Returns false when the link
 * was already so. The transition keeps severity and state and carries
 * `{cause_event_id_before, cause_event_id_after}`.
 */
export function linkCause(
  db: Executor,
  eventId: number,
  causeId: number | null,
  source = "",
): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    const cur = await lockEvent(tx, eventId);
    const after = causeId && causeId > 0 ? causeId : null;
    if (cur.causeEventId === after) return false;
    await tx.update(events).set({ causeEventId: after }).where(eq(events.id, eventId));
    await insertTransition(tx, {
      eventId,
      blogId: cur.blogId,
      severityBefore: cur.severity,
      severityAfter: cur.severity,
      stateBefore: cur.state,
      stateAfter: cur.state,
      reason: after === null ? Reason.CauseUnlinked : Reason.CauseLinked,
      source,
      metadata: { cause_event_id_before: cur.causeEventId, cause_event_id_after: after },
    });
    return true;
  });
}

// ---- transaction-level steps, shared with lifecycle.ts ----

export async function openInTx(
  tx: Tx,
  input: OpenEventInput,
  project: LegacyProjection | undefined,
): Promise<OpenEventResult> {
  const [hdr] = await tx
    .insert(events)
    .values({
      blogId: input.blogId,
      endpointId: input.endpointId || null,
      checkType: input.checkType,
      discriminator: input.discriminator || null,
      severity: input.severity,
      state: input.state,
      metadata: jsonOrNull(input.metadata),
    })
    // On a duplicate open identity change nothing, only report the existing id. The pool
    // connects without CLIENT_FOUND_ROWS, so affectedRows is 1 for an insert and 0 here.
    .onDuplicateKeyUpdate({ set: { id: sql`LAST_INSERT_ID(id)` } });
  const eventId = Number(hdr.insertId);
  if (hdr.affectedRows !== 1) {
    const [row] = await tx
      .select({ severity: events.severity, state: events.state })
      .from(events)
      .where(eq(events.id, eventId));
    if (!row) throw new EventNotFoundError();
    return {
      eventId,
      opened: false,
      severity: stored.severity(row.severity),
      state: stored.state(row.state),
      transitionId: null,
    };
  }
  const transitionId = await insertTransition(tx, {
    eventId,
    blogId: input.blogId,
    severityBefore: null,
    severityAfter: input.severity,
    stateBefore: null,
    stateAfter: input.state,
    reason: Reason.Opened,
    source: input.source,
    metadata: input.metadata,
  });
  await projectIfEnabled(tx, project, input.blogId, legacyStatusFor(input.checkType, input.state, false));
  return { eventId, opened: true, severity: input.severity, state: input.state, transitionId };
}

export async function updateInTx(
  tx: Tx,
  eventId: number,
  change: EventChange,
  project: LegacyProjection | undefined,
): Promise<ChangeResult> {
  const cur = await lockEvent(tx, eventId);
  const severity = change.severity ?? cur.severity;
  const state = change.state || cur.state;
  const set: { severity?: Severity; state?: State } = {};
  if (severity !== cur.severity) set.severity = severity;
  if (state !== cur.state) set.state = state;
  const changed = Object.keys(set).length > 0;
  let transitionId: number | null = null;
  if (changed) {
    await tx.update(events).set(set).where(eq(events.id, eventId));
    transitionId = await insertTransition(tx, {
      eventId,
      blogId: cur.blogId,
      severityBefore: cur.severity,
      severityAfter: severity,
      stateBefore: cur.state,
      stateAfter: state,
      reason: change.reason,
      source: change.source,
      metadata: change.metadata,
    });
  }
  await projectIfEnabled(tx, project, cur.blogId, legacyStatusFor(cur.checkType, state, false));
  return { changed, transitionId, blogId: cur.blogId, checkType: cur.checkType, severity, state };
}

export async function closeInTx(
  tx: Tx,
  eventId: number,
  input: CloseInput,
  project: LegacyProjection | undefined,
): Promise<CloseResult> {
  const cur = await lockEvent(tx, eventId);
  await tx
    .update(events)
    .set({ endedAt: sql`CURRENT_TIMESTAMP(3)`, resolutionReason: input.reason })
    .where(eq(events.id, eventId));
  const transitionId = await insertTransition(tx, {
    eventId,
    blogId: cur.blogId,
    severityBefore: cur.severity,
    severityAfter: null,
    stateBefore: cur.state,
    stateAfter: State.Resolved,
    reason: input.reason,
    source: input.source,
    metadata: input.metadata,
  });
  await projectIfEnabled(tx, project, cur.blogId, legacyStatusFor(cur.checkType, null, true));
  return {
    transitionId,
    blogId: cur.blogId,
    checkType: cur.checkType,
    severity: cur.severity,
    state: cur.state,
  };
}

interface LockedEvent {
  blogId: number;
  checkType: string;
  severity: Severity;
  state: State;
  causeEventId: number | null;
}

/** `SELECT ... FOR UPDATE` of an open event; throws if missing or closed. */
async function lockEvent(tx: Tx, eventId: number): Promise<LockedEvent> {
  const [row] = await tx
    .select({
      blogId: events.blogId,
      checkType: events.checkType,
      severity: events.severity,
      state: events.state,
      endedAt: events.endedAt,
      causeEventId: events.causeEventId,
    })
    .from(events)
    .where(eq(events.id, eventId))
    .for("update");
  if (!row) throw new EventNotFoundError();
  if (row.endedAt) throw new EventClosedError();
  return {
    blogId: row.blogId,
    checkType: row.checkType,
    severity: stored.severity(row.severity),
    state: stored.state(row.state),
    causeEventId: row.causeEventId ?? null,
  };
}

export async function projectIfEnabled(
  tx: Tx,
  project: LegacyProjection | undefined,
  blogId: number,
  status: LegacyStatus | null,
): Promise<void> {
  if (project?.enabled && status !== null) await writeLegacyStatus(tx, blogId, status, project.changedAt);
}

interface TransitionInput {
  eventId: number;
  blogId: number;
  severityBefore: Severity | null;
  severityAfter: Severity | null;
  stateBefore: State | null;
  stateAfter: State | null;
  reason: Reason;
  source: string | undefined;
  metadata: unknown;
}

/** Empty states become NULL, an empty source `local`, absent metadata NULL. Returns the id. */
async function insertTransition(tx: Tx, t: TransitionInput): Promise<number> {
  const [hdr] = await tx.insert(eventTransitions).values({
    eventId: t.eventId,
    blogId: t.blogId,
    severityBefore: t.severityBefore,
    severityAfter: t.severityAfter,
    stateBefore: t.stateBefore || null,
    stateAfter: t.stateAfter || null,
    reason: t.reason,
    source: t.source || "local",
    metadata: jsonOrNull(t.metadata),
  });
  return Number(hdr.insertId);
}

/** Absent metadata is SQL NULL, never the JSON text `null`. */
function jsonOrNull(v: unknown): unknown {
  return v ?? null;
}

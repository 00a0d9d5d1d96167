/**
 * Event sequences the monitor runs as one transaction each: closing on recovery and the TLS-expiry
 * event (docs/reference/monitor-core.md §1.12, §1.14). Built from the store's steps.
 */
import { and, asc, eq, isNull } from "drizzle-orm";
import { events } from "../db/schema.ts";
import { type Executor, inTransaction, type Tx } from "../db/sql.ts";
import { rfc3339 } from "../time.ts";
import { closeInTx, openInTx, projectIfEnabled, updateInTx } from "./store.ts";
import type { LegacyProjection } from "./types.ts";
import { CheckType, LegacyStatus, Reason, ResolutionReason, Severity, State, stored } from "./vocabulary.ts";

export interface RecoveryInput {
  blogId: number;
  /** The event the retry queue knew about, if any (0 or absent: look it up). */
  knownEventId?: number;
  source?: string;
  project?: LegacyProjection;
}

export interface RecoveryResult {
  eventId: number;
  reason: ResolutionReason;
  /** The state the event closed from. */
  state: State;
  transitionId: number;
}

/**
 * Closes the blog's open `http` event because a check succeeded: `verifier_cleared` if it was
 * `Down`, else `probe_cleared`. Decided from the event, never from the legacy site_status
 * (docs/design.md defect 3). A `knownEventId` that is closed, missing or another blog's falls back to
 * the blog's oldest open http event. With no open event, returns null and only projects
 * site_status 1 (if enabled).
 */
/** docs/reference/monitor-core.md §1.12: closing a Down event is `verifier_cleared`; anything else `probe_cleared`. */
export function recoveryReason(state: State): ResolutionReason {
  return state === State.Down ? ResolutionReason.VerifierCleared : ResolutionReason.ProbeCleared;
}

export function closeRecoveredEvent(db: Executor, input: RecoveryInput): Promise<RecoveryResult | null> {
  return inTransaction(db, async (tx) => {
    const ev = await lockKnownOrOldestHttpEvent(tx, input.blogId, input.knownEventId ?? 0);
    if (!ev) {
      await projectIfEnabled(tx, input.project, input.blogId, LegacyStatus.Running);
      return null;
    }
    const reason = recoveryReason(ev.state);
    const closed = await closeInTx(tx, ev.id, { reason, source: input.source }, input.project);
    return { eventId: ev.id, reason, state: ev.state, transitionId: closed.transitionId };
  });
}

const openOf = (blogId: number, checkType: string) =>
  and(eq(events.blogId, blogId), eq(events.checkType, checkType), isNull(events.endedAt));

interface LockedOpen {
  id: number;
  state: State;
}

/** The blog's oldest open event of `checkType`, locked FOR UPDATE, or null. */
async function lockOldestOpenEvent(tx: Tx, blogId: number, checkType: string): Promise<LockedOpen | null> {
  const [row] = await tx
    .select({ id: events.id, state: events.state })
    .from(events)
    .where(openOf(blogId, checkType))
    .orderBy(asc(events.startedAt), asc(events.id))
    .limit(1)
    .for("update");
  return row ? { id: row.id, state: stored.state(row.state) } : null;
}

async function lockKnownOrOldestHttpEvent(
  tx: Tx,
  blogId: number,
  knownEventId: number,
): Promise<LockedOpen | null> {
  if (knownEventId > 0) {
    const [row] = await tx
      .select({ id: events.id, state: events.state })
      .from(events)
      .where(and(eq(events.id, knownEventId), openOf(blogId, CheckType.Http)))
      .for("update");
    if (row) return { id: row.id, state: stored.state(row.state) };
  }
  return lockOldestOpenEvent(tx, blogId, CheckType.Http);
}

export const TLS_WARN_DAYS = 30;
export const TLS_DEGRADED_DAYS = 7;

/** Whole days until expiry, truncated toward zero (Go's int(hours/24)). */
export function tlsDaysUntil(expiresAt: Date, now: Date): number {
  // `|| 0` folds -0 (an expiry less than a day ago) into 0.
  return Math.trunc((expiresAt.getTime() - now.getTime()) / 86_400_000) || 0;
}

/** The TLS-expiry event a certificate this many days from expiry warrants, or null (> 30 days). */
export function tlsExpiryTier(days: number): { severity: Severity; state: State } | null {
  if (days > TLS_WARN_DAYS) return null;
  if (days <= TLS_DEGRADED_DAYS) return { severity: Severity.Degraded, state: State.Degraded };
  return { severity: Severity.Warning, state: State.Warning };
}

export type TlsExpiryAction = "none" | "opened" | "unchanged" | "escalated" | "deescalated" | "closed";

export interface TlsExpiryResult {
  days: number;
  action: TlsExpiryAction;
  eventId: number | null;
}

/**
 * Keeps the blog's `tls_expiry` event in line with its certificate (docs/reference/monitor-core.md §1.14): more than
 * 30 days out closes an open one (reason `verifier_cleared`, as upstream); within 30 days opens
 * Warning (severity 1), within 7 Degraded (2), and moves an existing event's severity with
 * `severity_escalation` / `severity_deescalation`. Metadata is Go's `{days_until, expires_at}`,
 * plus `error_code`/`http_code` when `check` is given. Never touches site_status.
 */
export function reconcileTlsExpiryEvent(
  db: Executor,
  input: {
    blogId: number;
    expiresAt: Date;
    now: Date;
    source?: string;
    /** The check that saw the certificate: its codes join the metadata as error_code/http_code. */
    check?: { errorCode: number; httpCode: number };
  },
): Promise<TlsExpiryResult> {
  const days = tlsDaysUntil(input.expiresAt, input.now);
  const tier = tlsExpiryTier(days);
  return inTransaction(db, async (tx): Promise<TlsExpiryResult> => {
    if (!tier) {
      const open = await lockOldestOpenEvent(tx, input.blogId, CheckType.TlsExpiry);
      if (!open) return { days, action: "none", eventId: null };
      await closeInTx(
        tx,
        open.id,
        { reason: ResolutionReason.VerifierCleared, source: input.source },
        undefined,
      );
      return { days, action: "closed", eventId: open.id };
    }
    const metadata = {
      days_until: days,
      expires_at: rfc3339(input.expiresAt.getTime()),
      ...(input.check ? { error_code: input.check.errorCode, http_code: input.check.httpCode } : {}),
    };
    const opened = await openInTx(
      tx,
      { blogId: input.blogId, checkType: CheckType.TlsExpiry, ...tier, source: input.source, metadata },
      undefined,
    );
    if (opened.opened) return { days, action: "opened", eventId: opened.eventId };
    if (opened.severity === tier.severity) return { days, action: "unchanged", eventId: opened.eventId };
    const up = tier.severity > opened.severity;
    await updateInTx(
      tx,
      opened.eventId,
      {
        ...tier,
        reason: up ? Reason.SeverityEscalation : Reason.SeverityDeescalation,
        source: input.source,
        metadata,
      },
      undefined,
    );
    return { days, action: up ? "escalated" : "deescalated", eventId: opened.eventId };
  });
}

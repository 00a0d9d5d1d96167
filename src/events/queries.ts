import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import { events, eventTransitions } from "../db/schema.ts";
import type { Executor } from "../db/sql.ts";
import type { EventRow, OpenEvent, TransitionRow } from "./types.ts";
import { stored } from "./vocabulary.ts";

const openColumns = {
  id: events.id,
  blogId: events.blogId,
  endpointId: events.endpointId,
  checkType: events.checkType,
  discriminator: events.discriminator,
  severity: events.severity,
  state: events.state,
  startedAt: events.startedAt,
};

/** A row's vocabulary columns, typed (vocabulary.ts `stored`). */
function typed<R extends { severity: number; state: string }>(
  row: R,
): Omit<R, "severity" | "state"> & Pick<OpenEvent, "severity" | "state"> {
  return { ...row, severity: stored.severity(row.severity), state: stored.state(row.state) };
}

/** The blog's oldest open event of `checkType`, or null. */
export async function findOpenEvent(
  db: Executor,
  blogId: number,
  checkType: string,
): Promise<OpenEvent | null> {
  const [row] = await db
    .select(openColumns)
    .from(events)
    .where(and(eq(events.blogId, blogId), isNull(events.endedAt), eq(events.checkType, checkType)))
    .orderBy(asc(events.startedAt), asc(events.id))
    .limit(1);
  return row ? typed(row) : null;
}

const BLOG_CHUNK = 1000;

/**
 * Every open event of the given blogs (optionally of one check type), ordered by blog_id, then
 * started_at. For the monitor's cold start: one indexed query per 1,000 blogs
 * (idx_blog_id_active), not one per site.
 */
export async function openEventsForBlogs(
  db: Executor,
  blogIds: readonly number[],
  checkType?: string,
): Promise<OpenEvent[]> {
  const ids = [...new Set(blogIds)];
  const out: OpenEvent[] = [];
  for (let i = 0; i < ids.length; i += BLOG_CHUNK) {
    const chunk = ids.slice(i, i + BLOG_CHUNK);
    const rows = await db
      .select(openColumns)
      .from(events)
      .where(
        and(
          inArray(events.blogId, chunk),
          isNull(events.endedAt),
          checkType === undefined ? undefined : eq(events.checkType, checkType),
        ),
      )
      .orderBy(asc(events.blogId), asc(events.startedAt), asc(events.id));
    out.push(...rows.map(typed));
  }
  return out;
}

/** One event by id, open or closed, or null. */
export async function getEvent(db: Executor, eventId: number): Promise<EventRow | null> {
  const [row] = await db
    .select({
      ...openColumns,
      endedAt: events.endedAt,
      resolutionReason: events.resolutionReason,
      causeEventId: events.causeEventId,
      metadata: events.metadata,
      updatedAt: events.updatedAt,
    })
    .from(events)
    .where(eq(events.id, eventId));
  if (!row) return null;
  const { resolutionReason, ...rest } = row;
  return {
    ...typed(rest),
    resolutionReason: resolutionReason === null ? null : stored.resolutionReason(resolutionReason),
  };
}

/** An event's transitions in the order they were written. */
export async function listTransitions(db: Executor, eventId: number): Promise<TransitionRow[]> {
  const rows = await db
    .select()
    .from(eventTransitions)
    .where(eq(eventTransitions.eventId, eventId))
    .orderBy(asc(eventTransitions.id));
  const severity = (n: number | null) => (n === null ? null : stored.severity(n));
  const state = (s: string | null) => (s === null ? null : stored.state(s));
  return rows.map((t) => ({
    ...t,
    severityBefore: severity(t.severityBefore),
    severityAfter: severity(t.severityAfter),
    stateBefore: state(t.stateBefore),
    stateAfter: state(t.stateAfter),
    reason: stored.reason(t.reason),
  }));
}

/**
 * The delivery payload, frozen at enqueue (docs/reference/deliverer.md §3.7, §4.4): a flat object, stored and
 * later sent as the same JSON text.
 */
import type { Reason, Severity, State } from "../events/vocabulary.ts";
import { rfc3339Nano } from "../time.ts";
import { mysqlJsonText } from "./json-text.ts";

/** The columns of `jetmon_event_transitions` dispatch reads. */
export interface Transition {
  id: number;
  eventId: number;
  blogId: number;
  severityBefore: Severity | null;
  severityAfter: Severity | null;
  stateAfter: State | null;
  reason: Reason;
  changedAt: Date;
}

/** Go RFC3339Nano in UTC with trailing zeros trimmed: `…:00.123Z`, `…:00.1Z`, `…:00Z`. */
export function occurredAt(d: Date): string {
  return rfc3339Nano(d.getTime());
}

function baseFields(type: string, t: Transition) {
  return {
    type,
    occurred_at: occurredAt(t.changedAt),
    transition_id: t.id,
    event_id: t.eventId,
    site_id: t.blogId,
    reason: t.reason,
    state: t.stateAfter ?? "",
  };
}

/** The webhook body: type, occurred_at, transition_id, event_id, site_id, reason, state. */
export function webhookPayloadText(type: string, t: Transition): string {
  return mysqlJsonText(baseFields(type, t));
}

/** The alert payload: the webhook keys plus severity_before and severity_after (NULL counts as 0, Up). */
export function alertPayloadText(type: string, t: Transition): string {
  return mysqlJsonText({
    ...baseFields(type, t),
    severity_before: t.severityBefore ?? 0,
    severity_after: t.severityAfter ?? 0,
  });
}

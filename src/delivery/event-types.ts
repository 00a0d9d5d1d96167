/**
 * Which transitions become deliveries, and under which event type (docs/reference/deliverer.md §3.2, §4.4).
 * Alert contacts skip the cause links: they are bookkeeping, not news for a pager.
 */
import { Reason } from "../events/vocabulary.ts";

export const WEBHOOK_EVENT_TYPES = [
  "event.opened",
  "event.severity_changed",
  "event.state_changed",
  "event.cause_linked",
  "event.cause_unlinked",
  "event.closed",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

const CLOSING: readonly string[] = [
  Reason.VerifierCleared,
  Reason.ProbeCleared,
  Reason.FalseAlarm,
  Reason.ManualOverride,
  Reason.MaintenanceSwallowed,
  Reason.Superseded,
  Reason.AutoTimeout,
];

type Family = "opened" | "severity_changed" | "state_changed" | "cause_linked" | "cause_unlinked" | "closed";

function family(reason: Reason): Family | null {
  switch (reason) {
    case Reason.Opened:
      return "opened";
    case Reason.SeverityEscalation:
    case Reason.SeverityDeescalation:
      return "severity_changed";
    case Reason.StateChange:
    case Reason.VerifierConfirmed:
      return "state_changed";
    case Reason.CauseLinked:
      return "cause_linked";
    case Reason.CauseUnlinked:
      return "cause_unlinked";
    default:
      return CLOSING.includes(reason) ? "closed" : null;
  }
}

/** `event.*` for a transition reason, or null when webhooks skip it. */
export function webhookEventType(reason: Reason): WebhookEventType | null {
  const f = family(reason);
  return f ? (`event.${f}` as WebhookEventType) : null;
}

/** `alert.*` for a transition reason, or null when alert contacts skip it. */
export function alertEventType(reason: Reason): string | null {
  const f = family(reason);
  if (f === null || f === "cause_linked" || f === "cause_unlinked") return null;
  return `alert.${f}`;
}

/**
 * What an alert transport is asked to send (docs/reference/deliverer.md §4.1, §4.5), built from a stored alert
 * payload, and the result every transport returns.
 */
import { type Static, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

export const TRANSPORTS = ["email", "pagerduty", "slack", "teams"] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** The severity names by number, as alert payloads and the API spell them. */
export const SEVERITY_NAMES = ["Up", "Warning", "Degraded", "SeemsDown", "Down"] as const;

/** 0 Up, 1 Warning, 2 Degraded, 3 SeemsDown, 4 Down; "" for anything else. */
export function severityName(n: number): string {
  return SEVERITY_NAMES[n] ?? "";
}

export function isTransport(v: string): v is Transport {
  return (TRANSPORTS as readonly string[]).includes(v);
}

export interface Notification {
  siteId: number;
  siteUrl: string;
  eventId: number;
  /** The `alert.*` type, or `event.test` for a test send. */
  eventType: string;
  severity: number;
  severityName: string;
  state: string;
  reason: string;
  timestamp: Date;
  /** `jetmon-event-<event_id>`: lets PagerDuty resolve what it triggered. */
  dedupKey: string;
  recovery: boolean;
  isTest: boolean;
}

/** A transport's answer. `permanent` failures (a malformed destination) are not retried. */
export type SendResult =
  | { ok: true; statusCode: number; body: string }
  | { ok: false; statusCode: number; body: string; error: string; permanent?: boolean };

export interface AlertDispatcher {
  send(n: Notification, destination: string, signal: AbortSignal): Promise<SendResult>;
}

export type AlertDispatchers = Partial<Record<Transport, AlertDispatcher>>;

export const AlertPayloadSchema = Type.Object({
  type: Type.String(),
  occurred_at: Type.String(),
  transition_id: Type.Integer(),
  event_id: Type.Integer(),
  site_id: Type.Integer(),
  reason: Type.String(),
  state: Type.String(),
  severity_before: Type.Integer({ minimum: 0 }),
  severity_after: Type.Integer({ minimum: 0 }),
});
export type AlertPayload = Static<typeof AlertPayloadSchema>;

/** Parses a stored alert payload; the error names what is wrong. */
export function decodeAlertPayload(text: string): AlertPayload {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new Error(`decode payload: ${(err as Error).message}`);
  }
  const first = Value.Errors(AlertPayloadSchema, v).First();
  if (first) throw new Error(`decode payload: ${first.path || "/"} ${first.message}`);
  const p = v as AlertPayload;
  if (Number.isNaN(Date.parse(p.occurred_at))) {
    throw new Error(`decode payload: /occurred_at is not a timestamp: ${JSON.stringify(p.occurred_at)}`);
  }
  return p;
}

/**
 * The notification for a stored payload. Recovery is decided from the transition alone (back
 * to Up from a worse severity), not from the contact's threshold at send time, so editing a
 * contact cannot turn a queued recovery into an alert or back.
 */
export function buildNotification(p: AlertPayload, siteUrl: string): Notification {
  return {
    siteId: p.site_id,
    siteUrl,
    eventId: p.event_id,
    eventType: p.type,
    severity: p.severity_after,
    severityName: severityName(p.severity_after),
    state: p.state,
    reason: p.reason,
    timestamp: new Date(Date.parse(p.occurred_at)),
    dedupKey: `jetmon-event-${p.event_id}`,
    recovery: p.severity_after === 0 && p.severity_before > 0,
    isTest: false,
  };
}

/** The notification an API "test send" uses (docs/reference/deliverer.md §4.7). */
export function testNotification(label: string, minSeverity: number, now: Date): Notification {
  return {
    siteId: 0,
    siteUrl: `https://test.invalid/${label}`,
    eventId: 0,
    eventType: "event.test",
    severity: minSeverity,
    severityName: severityName(minSeverity),
    state: "Test",
    reason: "test_send",
    timestamp: now,
    dedupKey: "",
    recovery: false,
    isTest: true,
  };
}

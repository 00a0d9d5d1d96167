/** PagerDuty Events API v2 (docs/reference/deliverer.md §4.6). */
import { destinationField, PagerDutyDestination } from "./destination.ts";
import { type FetchFn, postJson } from "./http-post.ts";
import type { AlertDispatcher, Notification } from "./notification.ts";

export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

export function pagerDutySeverity(severity: number): "critical" | "warning" | "info" {
  if (severity >= 3) return "critical";
  if (severity === 2) return "warning";
  return "info";
}

export function pagerDutyBody(n: Notification, routingKey: string) {
  const summary = n.isTest
    ? `[Jetmon test] ${n.siteUrl}`
    : n.recovery
      ? `Recovered: ${n.siteUrl}`
      : `${n.severityName}: ${n.siteUrl}`;
  return {
    routing_key: routingKey,
    event_action: n.recovery && !n.isTest ? "resolve" : "trigger",
    dedup_key: n.isTest ? `jetmon-test-${n.siteId}-${Math.floor(n.timestamp.getTime() / 1000)}` : n.dedupKey,
    payload: {
      summary,
      source: n.siteUrl,
      severity: pagerDutySeverity(n.severity),
      custom_details: {
        site_id: n.siteId,
        event_id: n.eventId,
        event_type: n.eventType,
        state: n.state,
        reason: n.reason,
        is_test: n.isTest,
      },
    },
  };
}

export function pagerDutyDispatcher(o: {
  fetch: FetchFn;
  endpoint?: string;
  timeoutMs: number;
}): AlertDispatcher {
  const endpoint = o.endpoint || PAGERDUTY_EVENTS_URL;
  return {
    async send(n, destination, signal) {
      const d = destinationField(destination, PagerDutyDestination, "integration_key", 0);
      if ("failure" in d) return d.failure;
      return postJson(o.fetch, endpoint, pagerDutyBody(n, d.value), { timeoutMs: o.timeoutMs, signal });
    },
  };
}

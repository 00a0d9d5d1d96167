import { describe, expect, test } from "bun:test";
import { planAlertDeliveries, planWebhookDeliveries } from "../../src/delivery/dispatch.ts";
import type { Transition } from "../../src/delivery/payload.ts";
import {
  type AlertSubscriber,
  contactFromRow,
  contactMatches,
  severityGate,
  type WebhookSubscriber,
  webhookFromRow,
  webhookMatches,
} from "../../src/delivery/subscribers.ts";
import { stored } from "../../src/events/vocabulary.ts";

const none = new Map<number, Set<string>>();
const hook = (p: Partial<WebhookSubscriber> = {}): WebhookSubscriber => ({
  id: 1,
  ownerTenantId: null,
  events: [],
  siteIds: [],
  states: [],
  ...p,
});

describe("webhook filters", () => {
  test("empty filters match everything", () => {
    expect(webhookMatches(hook(), "event.opened", 1, "Down", none)).toBe(true);
    expect(webhookMatches(hook(), "event.closed", 99999, "", none)).toBe(true);
  });
  test("each filter rejects on its own", () => {
    expect(
      webhookMatches(
        hook({ events: ["event.opened", "event.closed"] }),
        "event.severity_changed",
        1,
        "Down",
        none,
      ),
    ).toBe(false);
    expect(webhookMatches(hook({ siteIds: [101, 102] }), "event.opened", 999, "Down", none)).toBe(false);
    expect(webhookMatches(hook({ states: ["Down", "Seems Down"] }), "event.opened", 1, "Warning", none)).toBe(
      false,
    );
  });
  test("all three set: any single mismatch rejects", () => {
    const w = hook({ events: ["event.opened"], siteIds: [5], states: ["Down"] });
    expect(webhookMatches(w, "event.opened", 5, "Down", none)).toBe(true);
    expect(webhookMatches(w, "event.closed", 5, "Down", none)).toBe(false);
    expect(webhookMatches(w, "event.opened", 6, "Down", none)).toBe(false);
    expect(webhookMatches(w, "event.opened", 5, "Up", none)).toBe(false);
  });
  test("a tenant-owned webhook hears only its tenant's sites", () => {
    const tenants = new Map([[5, new Set(["t1"])]]);
    expect(webhookMatches(hook({ ownerTenantId: "t1" }), "event.opened", 5, "Down", tenants)).toBe(true);
    expect(webhookMatches(hook({ ownerTenantId: "t2" }), "event.opened", 5, "Down", tenants)).toBe(false);
    expect(webhookMatches(hook({ ownerTenantId: "t1" }), "event.opened", 6, "Down", tenants)).toBe(false);
    expect(webhookMatches(hook({ ownerTenantId: null }), "event.opened", 6, "Down", tenants)).toBe(true);
  });
  test("rows: JSON text and parsed JSON both read; empty filter objects mean all", () => {
    const w = webhookFromRow({
      id: 3,
      owner_tenant_id: null,
      events: '["event.opened"]',
      site_filter: { site_ids: [1, 2] },
      state_filter: "{}",
    });
    expect(w).toEqual({ id: 3, ownerTenantId: null, events: ["event.opened"], siteIds: [1, 2], states: [] });
    expect(
      webhookFromRow({ id: 4, owner_tenant_id: null, events: null, site_filter: null, state_filter: null })
        .invalid,
    ).toBeUndefined();
  });
  test("a malformed filter makes the webhook match nothing, and says which column", () => {
    const w = webhookFromRow({
      id: 3,
      owner_tenant_id: null,
      events: "{not json",
      site_filter: null,
      state_filter: null,
    });
    expect(w.invalid).toContain("events: not valid JSON");
    expect(webhookMatches(w, "event.opened", 1, "Down", none)).toBe(false);
    const w2 = webhookFromRow({
      id: 3,
      owner_tenant_id: null,
      events: null,
      site_filter: '{"site_ids":["x"]}',
      state_filter: null,
    });
    expect(w2.invalid).toContain("site_filter: unexpected shape");
  });
});

describe("severity gate (min 2)", () => {
  const S = { Up: 0, Warning: 1, Degraded: 2, SeemsDown: 3, Down: 4 };
  test.each([
    [S.Up, S.Degraded, true],
    [S.Warning, S.Degraded, true],
    [S.Degraded, S.SeemsDown, true],
    [S.SeemsDown, S.Down, true],
    [S.Down, S.Up, true],
    [S.Degraded, S.Up, true],
    [S.Up, S.Warning, false],
    [S.Warning, S.Up, false],
    [S.Up, S.Up, false],
  ])("%p -> %p fires=%p", (p, n, want) => {
    expect(severityGate(2, p, n)).toBe(want);
  });
  test("NULL before counts as Up; NULL after (close) from >= min is a recovery", () => {
    expect(severityGate(4, null, 4)).toBe(true);
    expect(severityGate(4, 4, null)).toBe(true);
    expect(severityGate(4, 3, null)).toBe(false);
  });
  test("min 4 with a site filter", () => {
    const c: AlertSubscriber = { id: 1, ownerTenantId: null, siteIds: [42], minSeverity: 4 };
    expect(contactMatches(c, 0, 4, 42, none)).toBe(true);
    expect(contactMatches(c, 0, 4, 7, none)).toBe(false);
    expect(contactMatches(c, 0, 1, 42, none)).toBe(false);
    expect(contactMatches({ ...c, siteIds: [] }, 0, 4, 99999, none)).toBe(true);
  });
  test("contact rows", () => {
    expect(
      contactFromRow({ id: 2, owner_tenant_id: "t", site_filter: '{"site_ids":[42,99]}', min_severity: 3 }),
    ).toEqual({
      id: 2,
      ownerTenantId: "t",
      siteIds: [42, 99],
      minSeverity: 3,
    });
    expect(
      contactFromRow({ id: 2, owner_tenant_id: null, site_filter: "[1]", min_severity: 3 }).invalid,
    ).toContain("site_filter");
  });
});

describe("planning", () => {
  const at = new Date(Date.UTC(2026, 3, 25, 12, 0, 0));
  const tr = (
    id: number,
    reason: string,
    before: number | null,
    after: number | null,
    state: string | null,
    blog = 42,
  ): Transition => ({
    id,
    eventId: 700 + id,
    blogId: blog,
    // The columns' text as a read types it (events/vocabulary.ts `stored`), unknown ones included.
    severityBefore: before === null ? null : stored.severity(before),
    severityAfter: after === null ? null : stored.severity(after),
    stateAfter: state === null ? null : stored.state(state),
    reason: stored.reason(reason),
    changedAt: at,
  });
  const ts = [
    tr(1, "opened", null, 3, "Seems Down"),
    tr(2, "verifier_confirmed", 3, 4, "Down"),
    tr(3, "cause_linked", 4, 4, "Down"),
    tr(4, "bogus", 4, 4, "Down"),
    tr(5, "verifier_cleared", 4, null, "Resolved"),
  ];
  test("webhooks: skipped reasons produce nothing; one row per match", () => {
    const rows = planWebhookDeliveries(
      ts,
      [hook({ id: 1 }), hook({ id: 2, events: ["event.closed"] })],
      none,
    );
    expect(rows.map((r) => [r.subscriberId, r.transitionId, r.eventType])).toEqual([
      [1, 1, "event.opened"],
      [1, 2, "event.state_changed"],
      [1, 3, "event.cause_linked"],
      [1, 5, "event.closed"],
      [2, 5, "event.closed"],
    ]);
    expect(JSON.parse(rows[4]!.payload).state).toBe("Resolved");
    expect(rows[0]!.severity).toBeNull();
  });
  test("alerts: gate, no cause links, severity column is the new severity", () => {
    const c: AlertSubscriber = { id: 9, ownerTenantId: null, siteIds: [], minSeverity: 4 };
    const rows = planAlertDeliveries(ts, [c], none);
    expect(rows.map((r) => [r.transitionId, r.eventType, r.severity])).toEqual([
      [2, "alert.state_changed", 4],
      [5, "alert.closed", 0],
    ]);
    const p = JSON.parse(rows[0]!.payload);
    expect([p.severity_before, p.severity_after]).toEqual([3, 4]);
  });
});

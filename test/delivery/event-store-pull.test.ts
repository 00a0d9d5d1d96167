/**
 * The pull model end to end: transitions written by the monitor's event store (open, confirm,
 * link a cause, close) become signed webhooks and alert-contact notifications.
 */
import { beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { buildAlertDispatchers } from "../../src/delivery/dispatchers.ts";
import type { StubEmailSender } from "../../src/delivery/email-senders.ts";
import { startDeliveryRuntime } from "../../src/delivery/runtime.ts";
import { closeEvent, openEvent, Reason, Severity, State, updateEvent } from "../../src/events/index.ts";
import { linkCause } from "../../src/events/store.ts";
import { silentLogger } from "../../src/log.ts";
import { useTestDatabase } from "../support/db.ts";
import {
  deliveries,
  insertContact,
  insertWebhook,
  resetDelivery,
  startReceiver,
  TestClock,
} from "./support.ts";

const t = useTestDatabase();
beforeEach(() => resetDelivery(t.db));

test("event store transitions are delivered as webhooks and alerts", async () => {
  const rx = startReceiver(() => new Response("ok"), "whsec_EVENTS");
  const clock = new TestClock();
  const built = buildAlertDispatchers({
    emailTransport: "stub",
    emailFrom: "jetmon@noreply.invalid",
    smtp: { host: "", port: 0, username: "", password: "", useTls: false },
    wpcomEmail: { endpoint: "", token: "" },
    log: silentLogger,
  });
  await t.db.execute(
    sql`INSERT INTO jetpack_monitor_sites (blog_id, bucket_no, monitor_url, monitor_active) VALUES (4242, 1, 'https://shop.example', 1)`,
  );
  const runtime = await startDeliveryRuntime({
    db: t.db,
    instanceId: "host-a",
    log: silentLogger,
    now: clock.now,
    settleMs: 0,
    pollIntervalMs: 10,
    dispatchers: built.dispatchers,
  });
  try {
    await insertWebhook(t.db, { url: `${rx.url}/all`, secret: "whsec_EVENTS" });
    await insertWebhook(t.db, { url: `${rx.url}/closed`, secret: "whsec_EVENTS", events: ["event.closed"] });
    await insertContact(t.db, {
      transport: "email",
      destination: { address: "oncall@example.com" },
      minSeverity: Severity.Down,
    });

    const opened = await openEvent(t.db, {
      blogId: 4242,
      checkType: "http",
      severity: Severity.SeemsDown,
      state: State.SeemsDown,
      source: "host-a",
    });
    await updateEvent(t.db, opened.eventId, {
      severity: Severity.Down,
      state: State.Down,
      reason: Reason.VerifierConfirmed,
    });
    const cause = await openEvent(t.db, {
      blogId: 4243,
      checkType: "http",
      severity: Severity.Down,
      state: State.Down,
    });
    await linkCause(t.db, opened.eventId, cause.eventId);
    await closeEvent(t.db, opened.eventId, { reason: Reason.VerifierCleared });

    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const all = [...(await deliveries(t.db, "webhook")), ...(await deliveries(t.db, "alert"))];
      if (all.length === 9 && all.every((d) => d.status === "delivered")) break;
      await Bun.sleep(20);
    }
    const hooks = await deliveries(t.db, "webhook");
    const forEvent = (path: string) =>
      rx.received
        .filter((r) => r.path === path)
        .map((r) => JSON.parse(r.body))
        .filter((b) => b.event_id === opened.eventId)
        .sort((a, b) => a.transition_id - b.transition_id);
    expect(forEvent("/all").map((b) => [b.type, b.state, b.reason])).toEqual([
      ["event.opened", "Seems Down", "opened"],
      ["event.state_changed", "Down", "verifier_confirmed"],
      ["event.cause_linked", "Down", "cause_linked"],
      ["event.closed", "Resolved", "verifier_cleared"],
    ]);
    expect(forEvent("/closed").map((b) => b.type)).toEqual(["event.closed"]);
    expect(rx.received.every((r) => r.signatureValid)).toBe(true);
    // The second event's `opened` went to /all too: 4 + 1 + 1.
    expect(hooks).toHaveLength(6);
    expect(hooks.every((h) => h.status === "delivered")).toBe(true);

    const subjects = (built.email as StubEmailSender).sent.map((m) => m.subject).sort();
    // Confirmed Down, the recovery on close, and the second event opened at Down.
    expect(subjects).toEqual([
      "[Down] https://shop.example",
      "[Down] site:4243",
      "[Recovered] https://shop.example",
    ]);
  } finally {
    await runtime.stop();
    rx.stop();
  }
});

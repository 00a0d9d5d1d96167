import { beforeEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { selectRows } from "../../src/db/sql.ts";
import { alertDispatchSpec, dispatchOnce, webhookDispatchSpec } from "../../src/delivery/dispatch.ts";
import { ALERT_TABLES, WEBHOOK_TABLES } from "../../src/delivery/kinds.ts";
import { ensureProgress, readProgress } from "../../src/delivery/progress.ts";
import { silentLogger } from "../../src/log.ts";
import { useTestDatabase } from "../support/db.ts";
import {
  deliveries,
  insertContact,
  insertTransition,
  insertWebhook,
  resetDelivery,
  TestClock,
} from "./support.ts";

const t = useTestDatabase();
const clock = new TestClock();
const hookSpec = webhookDispatchSpec(WEBHOOK_TABLES, silentLogger);
const opts = (instanceId = "host-a") => ({
  instanceId,
  batchSize: 200,
  settleMs: 0,
  now: clock.now,
  log: silentLogger,
});

function capture() {
  const lines: { msg: string; obj: Record<string, unknown> }[] = [];
  const log = {
    info: (obj: Record<string, unknown>, msg: string) => lines.push({ obj, msg }),
    warn: (obj: Record<string, unknown>, msg: string) => lines.push({ obj, msg }),
    error: (obj: Record<string, unknown>, msg: string) => lines.push({ obj, msg }),
  };
  return { lines, log: log as unknown as typeof silentLogger };
}

beforeEach(async () => {
  await resetDelivery(t.db);
});

describe("progress", () => {
  test("a new instance starts at the newest transition and says so", async () => {
    await insertTransition(t.db);
    const last = await insertTransition(t.db);
    const c = capture();
    expect(await ensureProgress(t.db, WEBHOOK_TABLES, "new-host", null, c.log)).toBe(last);
    expect(c.lines[0]!.msg).toBe("webhooks: dispatch progress initialised");
    expect(c.lines[0]!.obj).toMatchObject({
      instance_id: "new-host",
      last_transition_id: last,
      from: "current_max",
    });
    await insertWebhook(t.db, { url: "http://127.0.0.1:9/" });
    const r = await dispatchOnce(t.db, hookSpec, opts("new-host"));
    expect(r.transitions).toBe(0);
    expect(await deliveries(t.db, "webhook")).toHaveLength(0);
  });

  test("DELIVERY_REPLAY_FROM resumes after the given id; ignored once progress exists", async () => {
    const first = await insertTransition(t.db);
    const second = await insertTransition(t.db);
    await insertWebhook(t.db, { url: "http://127.0.0.1:9/" });
    const c = capture();
    expect(await ensureProgress(t.db, WEBHOOK_TABLES, "replay", first, c.log)).toBe(first);
    expect(c.lines[0]!.obj).toMatchObject({ from: "DELIVERY_REPLAY_FROM", last_transition_id: first });
    const r = await dispatchOnce(t.db, hookSpec, opts("replay"));
    expect(r).toMatchObject({ transitions: 1, enqueued: 1, lastTransitionId: second });
    const c2 = capture();
    expect(await ensureProgress(t.db, WEBHOOK_TABLES, "replay", 0, c2.log)).toBe(second);
    expect(c2.lines[0]!.msg).toBe("webhooks: DELIVERY_REPLAY_FROM ignored, instance already has progress");
  });

  test("instances keep separate marks; webhooks and alerts keep separate tables", async () => {
    await ensureProgress(t.db, WEBHOOK_TABLES, "a", 0, silentLogger);
    await ensureProgress(t.db, ALERT_TABLES, "a", 5, silentLogger);
    expect(await readProgress(t.db, WEBHOOK_TABLES, "a")).toBe(0);
    expect(await readProgress(t.db, ALERT_TABLES, "a")).toBe(5);
    expect(await readProgress(t.db, WEBHOOK_TABLES, "b")).toBeNull();
  });
});

describe("dispatch", () => {
  test("enqueues matching transitions with payload text that reads back byte for byte", async () => {
    await ensureProgress(t.db, WEBHOOK_TABLES, "host-a", null, silentLogger);
    const h1 = await insertWebhook(t.db, { url: "http://127.0.0.1:9/a" });
    const h2 = await insertWebhook(t.db, { url: "http://127.0.0.1:9/b", events: ["event.closed"] });
    await insertWebhook(t.db, { url: "http://127.0.0.1:9/c", active: false });
    const at = new Date(Date.UTC(2026, 3, 27, 12, 0, 0, 120));
    const opened = await insertTransition(t.db, {
      eventId: 7,
      blogId: 42,
      severityAfter: 3,
      stateAfter: "Seems Down",
      reason: "opened",
      changedAt: at,
    });
    await insertTransition(t.db, { reason: "bogus" });
    const closed = await insertTransition(t.db, {
      eventId: 7,
      severityBefore: 3,
      severityAfter: null,
      stateAfter: "Resolved",
      reason: "verifier_cleared",
    });

    const r = await dispatchOnce(t.db, hookSpec, opts());
    expect(r).toEqual({ transitions: 3, enqueued: 3, lastTransitionId: closed });
    const rows = await deliveries(t.db, "webhook");
    expect(rows.map((d) => [d.subscriber_id, d.transition_id, d.event_type, d.status, d.attempt])).toEqual([
      [h1.id, opened, "event.opened", "pending", 0],
      [h1.id, closed, "event.closed", "pending", 0],
      [h2.id, closed, "event.closed", "pending", 0],
    ]);
    expect(rows[0]!.payload).toBe(
      `{"type": "event.opened", "state": "Seems Down", "reason": "opened", "site_id": 42, "event_id": 7, "occurred_at": "2026-04-27T12:00:00.12Z", "transition_id": ${opened}}`,
    );
    expect(rows[0]!.next_attempt_at!.getTime()).toBe(clock.ms);
    expect(await readProgress(t.db, WEBHOOK_TABLES, "host-a")).toBe(closed);
    // Nothing new: the mark stays, nothing is added.
    expect(await dispatchOnce(t.db, hookSpec, opts())).toEqual({
      transitions: 0,
      enqueued: 0,
      lastTransitionId: closed,
    });
  });

  test("a failed enqueue does not advance the mark; the retry enqueues once", async () => {
    await ensureProgress(t.db, WEBHOOK_TABLES, "host-a", null, silentLogger);
    await insertWebhook(t.db, { url: "http://127.0.0.1:9/" });
    const before = (await readProgress(t.db, WEBHOOK_TABLES, "host-a"))!;
    const id = await insertTransition(t.db);
    await t.db.execute(sql`ALTER TABLE jetmon_webhook_deliveries ADD COLUMN must_fill INT NOT NULL`);
    try {
      await expect(dispatchOnce(t.db, hookSpec, opts())).rejects.toThrow();
      expect(await readProgress(t.db, WEBHOOK_TABLES, "host-a")).toBe(before);
      expect(await deliveries(t.db, "webhook")).toHaveLength(0);
    } finally {
      await t.db.execute(sql`ALTER TABLE jetmon_webhook_deliveries DROP COLUMN must_fill`);
    }
    expect(await dispatchOnce(t.db, hookSpec, opts())).toEqual({
      transitions: 1,
      enqueued: 1,
      lastTransitionId: id,
    });
    // Replaying the same transitions (a reset mark) adds no duplicates.
    await t.db.execute(sql`UPDATE jetmon_webhook_dispatch_progress SET last_transition_id = ${before}`);
    expect(await dispatchOnce(t.db, hookSpec, opts())).toEqual({
      transitions: 1,
      enqueued: 0,
      lastTransitionId: id,
    });
    expect(await deliveries(t.db, "webhook")).toHaveLength(1);
  });

  test("unsettled transitions wait, and so does everything after them", async () => {
    await ensureProgress(t.db, WEBHOOK_TABLES, "host-a", null, silentLogger);
    await insertWebhook(t.db, { url: "http://127.0.0.1:9/" });
    const a = await insertTransition(t.db, { changedAt: new Date(Date.now() - 60_000) });
    await insertTransition(t.db, { changedAt: new Date(Date.now() + 3_600_000) });
    await insertTransition(t.db, { changedAt: new Date(Date.now() - 60_000) });
    const r = await dispatchOnce(t.db, hookSpec, { ...opts(), settleMs: 5000 });
    expect(r).toEqual({ transitions: 1, enqueued: 1, lastTransitionId: a });
  });

  test("batches are bounded and resume where they stopped", async () => {
    await ensureProgress(t.db, WEBHOOK_TABLES, "host-a", null, silentLogger);
    await insertWebhook(t.db, { url: "http://127.0.0.1:9/" });
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push(await insertTransition(t.db));
    expect((await dispatchOnce(t.db, hookSpec, { ...opts(), batchSize: 2 })).lastTransitionId).toBe(ids[1]!);
    expect((await dispatchOnce(t.db, hookSpec, { ...opts(), batchSize: 2 })).lastTransitionId).toBe(ids[3]!);
    expect((await dispatchOnce(t.db, hookSpec, { ...opts(), batchSize: 2 })).lastTransitionId).toBe(ids[4]!);
    expect(await deliveries(t.db, "webhook")).toHaveLength(5);
  });

  test("a tenant-owned webhook gets only its tenant's sites", async () => {
    await ensureProgress(t.db, WEBHOOK_TABLES, "host-a", null, silentLogger);
    const mine = await insertWebhook(t.db, { url: "http://127.0.0.1:9/", ownerTenantId: "t1" });
    await t.db.execute(
      sql`INSERT INTO jetmon_site_tenants (tenant_id, blog_id) VALUES ('t1', 42), ('t2', 43)`,
    );
    const ok = await insertTransition(t.db, { blogId: 42 });
    await insertTransition(t.db, { blogId: 43 });
    await insertTransition(t.db, { blogId: 44 });
    await dispatchOnce(t.db, hookSpec, opts());
    const rows = await deliveries(t.db, "webhook");
    expect(rows.map((r) => [r.subscriber_id, r.transition_id])).toEqual([[mine.id, ok]]);
  });

  test("a webhook with a malformed filter is skipped with a warning", async () => {
    await ensureProgress(t.db, WEBHOOK_TABLES, "host-a", null, silentLogger);
    const bad = await insertWebhook(t.db, { url: "http://127.0.0.1:9/" });
    await t.db.execute(sql`UPDATE jetmon_webhooks SET events = '"event.opened"' WHERE id = ${bad.id}`);
    await insertTransition(t.db);
    const c = capture();
    const r = await dispatchOnce(t.db, webhookDispatchSpec(WEBHOOK_TABLES, c.log), { ...opts(), log: c.log });
    expect(r.enqueued).toBe(0);
    expect(c.lines.find((l) => l.msg === "webhooks: subscriber filter invalid, skipped")?.obj).toMatchObject({
      subscriber_id: bad.id,
    });
  });

  test("alerts: gate on severity, store the new severity, skip cause links", async () => {
    await ensureProgress(t.db, ALERT_TABLES, "host-a", null, silentLogger);
    const contact = await insertContact(t.db, {
      transport: "email",
      destination: { address: "ops@example.com" },
      minSeverity: 4,
    });
    await insertTransition(t.db, {
      severityBefore: null,
      severityAfter: 3,
      stateAfter: "Seems Down",
      reason: "opened",
    });
    const down = await insertTransition(t.db, {
      severityBefore: 3,
      severityAfter: 4,
      reason: "verifier_confirmed",
    });
    await insertTransition(t.db, { severityBefore: 4, severityAfter: 4, reason: "cause_linked" });
    const closed = await insertTransition(t.db, {
      severityBefore: 4,
      severityAfter: null,
      stateAfter: "Resolved",
      reason: "verifier_cleared",
    });
    await dispatchOnce(t.db, alertDispatchSpec(ALERT_TABLES, silentLogger), opts());
    const rows = await selectRows<{
      alert_contact_id: number;
      transition_id: number;
      event_type: string;
      severity: number;
    }>(
      t.db,
      sql`SELECT alert_contact_id, transition_id, event_type, severity FROM jetmon_alert_deliveries ORDER BY id`,
    );
    expect(rows).toEqual([
      { alert_contact_id: contact, transition_id: down, event_type: "alert.state_changed", severity: 4 },
      { alert_contact_id: contact, transition_id: closed, event_type: "alert.closed", severity: 0 },
    ]);
  });
});

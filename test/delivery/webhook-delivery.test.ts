import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { WEBHOOK_TABLES } from "../../src/delivery/kinds.ts";
import { claimDue, recordOutcome } from "../../src/delivery/queue.ts";
import { attemptWebhook } from "../../src/delivery/webhook-attempt.ts";
import { createWebhookWorker, type DeliveryWorker } from "../../src/delivery/worker.ts";
import { silentLogger } from "../../src/log.ts";
import { useTestDatabase } from "../support/db.ts";
import {
  deliveries,
  insertTransition,
  insertWebhook,
  resetDelivery,
  startReceiver,
  TestClock,
} from "./support.ts";

const t = useTestDatabase();
let clock: TestClock;
let stops: (() => void)[] = [];

beforeEach(async () => {
  await resetDelivery(t.db);
  clock = new TestClock();
  stops = [];
});
afterEach(() => {
  for (const s of stops) s();
});

function worker(o: Partial<Parameters<typeof createWebhookWorker>[0]> = {}): DeliveryWorker {
  return createWebhookWorker({
    db: t.db,
    instanceId: "host-a",
    log: silentLogger,
    now: clock.now,
    settleMs: 0,
    pollIntervalMs: 3_600_000,
    ...o,
  });
}

/** Dispatches, claims and waits for the attempts to be recorded. */
async function pass(w: DeliveryWorker): Promise<number> {
  await w.dispatchOnce();
  const n = await w.deliverOnce();
  await w.idle();
  return n;
}

describe("webhook attempts against a real receiver", () => {
  test("signed with the stored bytes; 500 climbs the ladder; 200 delivers", async () => {
    const rx = startReceiver(
      (_r, n) => new Response(n === 1 ? "boom" : "thanks", { status: n === 1 ? 500 : 200 }),
      "whsec_TEST_SECRET_VALUE",
    );
    stops.push(rx.stop);
    const w = worker();
    await w.start();
    await w.stop(); // only the progress row; the test drives ticks by hand
    const hook = await insertWebhook(t.db, { url: `${rx.url}/hook`, secret: "whsec_TEST_SECRET_VALUE" });
    await insertTransition(t.db, { eventId: 9, reason: "opened" });
    const w2 = worker();
    expect(await pass(w2)).toBe(1);
    let [row] = await deliveries(t.db, "webhook");
    expect(row).toMatchObject({
      status: "pending",
      attempt: 1,
      last_status_code: 500,
      last_response: "boom",
    });
    expect(row!.next_attempt_at!.getTime()).toBe(clock.ms + 60_000);
    expect(row!.last_attempt_at!.getTime()).toBe(clock.ms);

    // Not due yet: nothing is claimed.
    clock.advance(59_000);
    expect(await pass(w2)).toBe(0);
    clock.advance(1_000);
    expect(await pass(w2)).toBe(1);
    [row] = await deliveries(t.db, "webhook");
    expect(row).toMatchObject({
      status: "delivered",
      attempt: 2,
      last_status_code: 200,
      last_response: "thanks",
      next_attempt_at: null,
    });
    expect(row!.delivered_at!.getTime()).toBe(clock.ms);

    expect(rx.received).toHaveLength(2);
    for (const r of rx.received) {
      expect(r.signatureValid).toBe(true);
      expect(r.body).toBe(row!.payload); // bytes sent = bytes stored = bytes signed
      expect(r.headers.get("content-type")).toBe("application/json");
      expect(r.headers.get("x-jetmon-event")).toBe("event.opened");
      expect(r.headers.get("x-jetmon-delivery")).toBe(String(row!.id));
      expect(r.path).toBe("/hook");
    }
    // Each attempt is signed with its own time.
    expect(rx.received[1]!.signedAt - rx.received[0]!.signedAt).toBe(60);
    expect(hook.id).toBe(row!.subscriber_id);
  });

  test("every failure follows 1m, 5m, 30m, 1h, 6h, then abandoned", async () => {
    const rx = startReceiver(() => new Response("nope", { status: 503 }));
    stops.push(rx.stop);
    const w = worker();
    await w.start();
    await w.stop();
    await insertWebhook(t.db, { url: rx.url });
    await insertTransition(t.db);
    const w2 = worker();
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      expect(await pass(w2)).toBe(1);
      const [row] = await deliveries(t.db, "webhook");
      expect(row!.attempt).toBe(i + 1);
      if (row!.status === "abandoned") break;
      waits.push(row!.next_attempt_at!.getTime() - clock.ms);
      clock.advance(row!.next_attempt_at!.getTime() - clock.ms);
    }
    expect(waits).toEqual([60_000, 300_000, 1_800_000, 3_600_000, 21_600_000]);
    const [row] = await deliveries(t.db, "webhook");
    expect(row).toMatchObject({
      status: "abandoned",
      attempt: 6,
      last_status_code: 503,
      next_attempt_at: null,
    });
    clock.advance(86_400_000);
    expect(await pass(w2)).toBe(0);
    expect(rx.received).toHaveLength(6);
  });

  test("a receiver that hangs times out and is retried", async () => {
    const rx = startReceiver(() => new Promise<Response>(() => {}));
    stops.push(rx.stop);
    const w = worker({ httpTimeoutMs: 300 });
    await w.start();
    await w.stop();
    await insertWebhook(t.db, { url: rx.url });
    await insertTransition(t.db);
    expect(await pass(worker({ httpTimeoutMs: 300 }))).toBe(1);
    const [row] = await deliveries(t.db, "webhook");
    expect(row).toMatchObject({
      status: "pending",
      attempt: 1,
      last_status_code: 0,
      last_response: "transport: timeout after 300ms",
    });
  });

  test("a 307 to another host is a failed attempt with its status; the other host gets nothing", async () => {
    const elsewhere = startReceiver(() => new Response("stolen"));
    const rx = startReceiver(
      () => new Response(null, { status: 307, headers: { location: `${elsewhere.url}/catch` } }),
    );
    stops.push(
      () => elsewhere.stop(),
      () => rx.stop(),
    );
    const w = worker();
    await w.start();
    await w.stop();
    await insertWebhook(t.db, { url: rx.url });
    await insertTransition(t.db);
    await pass(worker());
    const [row] = await deliveries(t.db, "webhook");
    expect(row).toMatchObject({ status: "pending", attempt: 1, last_status_code: 307 });
    expect(row!.last_response).toBe(`redirect not followed (status 307, location ${elsewhere.url}/catch)`);
    expect(rx.received.length).toBe(1);
    expect(elsewhere.received.length).toBe(0);
  });

  test("a refused connection is retried with the error stored", async () => {
    const rx = startReceiver(() => new Response("x"));
    const url = rx.url;
    rx.stop();
    const w = worker();
    await w.start();
    await w.stop();
    await insertWebhook(t.db, { url });
    await insertTransition(t.db);
    await pass(worker());
    const [row] = await deliveries(t.db, "webhook");
    expect(row!.status).toBe("pending");
    expect(row!.last_status_code).toBe(0);
    expect(row!.last_response).toStartWith("transport: ");
  });

  test.each([
    ["not a url", 'invalid url "not a url": not an absolute URL'],
    ["ftp://127.0.0.1/x", 'invalid url "ftp://127.0.0.1/x": scheme ftp is not http or https'],
  ])("a permanently invalid URL %p is abandoned at once with the reason", async (url, reason) => {
    const w = worker();
    await w.start();
    await w.stop();
    await insertWebhook(t.db, { url });
    await insertTransition(t.db);
    await pass(worker());
    const [row] = await deliveries(t.db, "webhook");
    expect(row).toMatchObject({
      status: "abandoned",
      attempt: 1,
      last_status_code: 0,
      last_response: reason,
    });
  });

  test("inactive and deleted webhooks are abandoned", async () => {
    const w = worker();
    await w.start();
    await w.stop();
    const a = await insertWebhook(t.db, { url: "http://127.0.0.1:9/" });
    const b = await insertWebhook(t.db, { url: "http://127.0.0.1:9/" });
    await insertTransition(t.db);
    await worker().dispatchOnce();
    await t.db.execute(sql`UPDATE jetmon_webhooks SET active = 0 WHERE id = ${a.id}`);
    await t.db.execute(sql`DELETE FROM jetmon_webhooks WHERE id = ${b.id}`);
    await pass(worker());
    const rows = await deliveries(t.db, "webhook");
    expect(rows.map((r) => [r.subscriber_id, r.status, r.last_response])).toEqual([
      [a.id, "abandoned", "webhook is inactive"],
      [b.id, "abandoned", "webhook not found"],
    ]);
  });

  test("a transient database error on lookup is retried, not abandoned", async () => {
    const failing = {
      execute: () =>
        Promise.reject(Object.assign(new Error("Connection lost"), { code: "PROTOCOL_CONNECTION_LOST" })),
    };
    const out = await attemptWebhook(
      { db: failing as never, fetch, now: clock.now, timeoutMs: 1000, userAgent: "t" },
      {
        id: 1,
        subscriberId: 1,
        transitionId: 1,
        eventId: 1,
        eventType: "event.opened",
        severity: null,
        payload: "{}",
        attempt: 0,
      },
    );
    expect(out).toEqual({ kind: "failed", statusCode: 0, response: "webhook lookup: Connection lost" });
  });
});

describe("claims", () => {
  test("only due pending rows; lease moves next_attempt_at; a stale outcome is not recorded", async () => {
    const w = worker();
    await w.start();
    await w.stop();
    await insertWebhook(t.db, { url: "http://127.0.0.1:9/" });
    await insertTransition(t.db);
    await insertTransition(t.db);
    await worker().dispatchOnce();
    const opts = { now: clock.ms, limit: 10, leaseMs: 60_000, capacity: () => 10, saturated: [] };
    const claimed = await claimDue(t.db, WEBHOOK_TABLES, opts);
    expect(claimed).toHaveLength(2);
    expect(claimed[0]!.payload).toStartWith('{"type": "event.opened"');
    // Leased: not due again until the lease runs out.
    expect(await claimDue(t.db, WEBHOOK_TABLES, opts)).toHaveLength(0);
    expect((await deliveries(t.db, "webhook"))[0]!.next_attempt_at!.getTime()).toBe(clock.ms + 60_000);
    const again = await claimDue(t.db, WEBHOOK_TABLES, { ...opts, now: clock.ms + 60_000 });
    expect(again).toHaveLength(2);
    // The crash-recovered claim records first; the original sender's late result is refused.
    expect(
      await recordOutcome(
        t.db,
        WEBHOOK_TABLES,
        again[0]!,
        { kind: "delivered", statusCode: 200, response: "" },
        clock.ms,
      ),
    ).toBe("delivered");
    expect(
      await recordOutcome(
        t.db,
        WEBHOOK_TABLES,
        claimed[0]!,
        { kind: "failed", statusCode: 500, response: "" },
        clock.ms,
      ),
    ).toBe("lost");
  });

  test("rows another transaction holds are skipped, not waited for", async () => {
    const w = worker();
    await w.start();
    await w.stop();
    await insertWebhook(t.db, { url: "http://127.0.0.1:9/" });
    await insertTransition(t.db);
    await insertTransition(t.db);
    await worker().dispatchOnce();
    const [first] = await deliveries(t.db, "webhook");
    const other = await t.pool.getConnection();
    try {
      await other.query("SET SESSION innodb_lock_wait_timeout = 50");
      await other.beginTransaction();
      await other.query("SELECT id FROM jetmon_webhook_deliveries WHERE id = ? FOR UPDATE", [first!.id]);
      const started = Date.now();
      const claimed = await claimDue(t.db, WEBHOOK_TABLES, {
        now: clock.ms,
        limit: 10,
        leaseMs: 60_000,
        capacity: () => 10,
        saturated: [],
      });
      expect(claimed.map((c) => c.id)).not.toContain(first!.id);
      expect(claimed).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await other.rollback();
      other.release();
    }
    const rest = await claimDue(t.db, WEBHOOK_TABLES, {
      now: clock.ms,
      limit: 10,
      leaseMs: 60_000,
      capacity: () => 10,
      saturated: [],
    });
    expect(rest.map((c) => c.id)).toEqual([first!.id]);
  });

  test("rows beyond a subscriber's capacity are not leased and stay due", async () => {
    const w = worker();
    await w.start();
    await w.stop();
    const h1 = await insertWebhook(t.db, { url: "http://127.0.0.1:9/" });
    const h2 = await insertWebhook(t.db, { url: "http://127.0.0.1:9/" });
    for (let i = 0; i < 3; i++) await insertTransition(t.db);
    await worker().dispatchOnce();
    const claimed = await claimDue(t.db, WEBHOOK_TABLES, {
      now: clock.ms,
      limit: 10,
      leaseMs: 60_000,
      capacity: (id) => (id === h1.id ? 1 : 0),
      saturated: [h2.id],
    });
    expect(claimed.map((c) => c.subscriberId)).toEqual([h1.id]);
    const rows = await deliveries(t.db, "webhook");
    const leased = rows.filter((r) => r.next_attempt_at!.getTime() > clock.ms);
    expect(leased.map((r) => r.id)).toEqual([claimed[0]!.id]);
  });

  test("the per-webhook cap holds while attempts hang", async () => {
    const release: (() => void)[] = [];
    const rx = startReceiver(() => new Promise<Response>((r) => release.push(() => r(new Response("ok")))));
    stops.push(rx.stop);
    const w = worker({ perSubscriberCap: 2 });
    await w.start();
    await w.stop();
    await insertWebhook(t.db, { url: rx.url });
    for (let i = 0; i < 5; i++) await insertTransition(t.db);
    const w2 = worker({ perSubscriberCap: 2 });
    await w2.dispatchOnce();
    expect(await w2.deliverOnce()).toBe(2);
    expect(await w2.deliverOnce()).toBe(0);
    while (rx.received.length < 2) await Bun.sleep(5);
    for (const r of release.splice(0)) r();
    await w2.idle();
    expect(await w2.deliverOnce()).toBe(2);
    while (rx.received.length < 4) await Bun.sleep(5);
    for (const r of release.splice(0)) r();
    await w2.idle();
    expect(await w2.deliverOnce()).toBe(1);
    while (rx.received.length < 5) await Bun.sleep(5);
    for (const r of release.splice(0)) r();
    await w2.idle();
    expect((await deliveries(t.db, "webhook")).every((r) => r.status === "delivered")).toBe(true);
  });

  test("two deliverers on one queue never send a delivery twice", async () => {
    const seen = new Map<string, number>();
    const by = new Map<string, number>();
    const rx = startReceiver(async (r) => {
      const id = r.headers.get("x-jetmon-delivery")!;
      seen.set(id, (seen.get(id) ?? 0) + 1);
      const ua = r.headers.get("user-agent")!;
      by.set(ua, (by.get(ua) ?? 0) + 1);
      await Bun.sleep(Math.floor(Math.random() * 4));
      return new Response("ok");
    }, "whsec_shared");
    stops.push(rx.stop);
    // Two hosts with no owner set: both dispatch (the unique key keeps one row per pair) and both claim.
    const a = worker({ instanceId: "host-a", pollIntervalMs: 3, maxConcurrent: 5, userAgent: "deliverer-a" });
    const b = worker({ instanceId: "host-b", pollIntervalMs: 3, maxConcurrent: 5, userAgent: "deliverer-b" });
    await a.start();
    await b.start();
    for (let i = 0; i < 4; i++) await insertWebhook(t.db, { url: rx.url, secret: "whsec_shared" });
    for (let i = 0; i < 30; i++) await insertTransition(t.db, { eventId: i + 1 });
    const total = 4 * 30;
    const deadline = Date.now() + 15_000;
    while (seen.size < total && Date.now() < deadline) await Bun.sleep(20);
    await Promise.all([a.stop(), b.stop()]);
    expect(seen.size).toBe(total);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(by.get("deliverer-a")! > 0 && by.get("deliverer-b")! > 0).toBe(true);
    expect(rx.received.every((r) => r.signatureValid)).toBe(true);
    const rows = await deliveries(t.db, "webhook");
    expect(rows).toHaveLength(total);
    expect(rows.every((r) => r.status === "delivered" && r.attempt === 1)).toBe(true);
  });
});

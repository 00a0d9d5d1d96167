import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { attemptAlert } from "../../src/delivery/alert-attempt.ts";
import { buildAlertDispatchers } from "../../src/delivery/dispatchers.ts";
import type { StubEmailSender } from "../../src/delivery/email-senders.ts";
import type { AlertDispatchers } from "../../src/delivery/notification.ts";
import { RateWindow } from "../../src/delivery/rate-window.ts";
import { createAlertWorker, type DeliveryWorker } from "../../src/delivery/worker.ts";
import { silentLogger } from "../../src/log.ts";
import { useTestDatabase } from "../support/db.ts";
import { startSmtpSink } from "../support/smtp-sink.ts";
import {
  deliveries,
  insertContact,
  insertTransition,
  resetDelivery,
  startReceiver,
  TestClock,
} from "./support.ts";

const t = useTestDatabase();
const certs = join(import.meta.dir, "../support/certs");
const key = readFileSync(join(certs, "valid.key"));
const cert = readFileSync(join(certs, "valid.pem"));
const ca = readFileSync(join(certs, "ca.pem"));

let clock: TestClock;
let cleanups: (() => unknown)[] = [];

beforeEach(async () => {
  await resetDelivery(t.db);
  await t.db.execute(sql`DELETE FROM jetpack_monitor_sites`);
  await t.db.execute(
    sql`INSERT INTO jetpack_monitor_sites (blog_id, bucket_no, monitor_url, monitor_active) VALUES (42, 1, 'https://example.com', 1)`,
  );
  clock = new TestClock();
  cleanups = [];
});
afterEach(async () => {
  for (const c of cleanups) await c();
});

interface TransportOverrides {
  emailTransport?: string;
  smtp?: Partial<Parameters<typeof buildAlertDispatchers>[0]["smtp"]>;
  wpcomEmail?: { endpoint: string; token: string };
  pagerdutyEndpoint?: string;
  timeoutMs?: number;
}

function dispatchers(o: TransportOverrides = {}) {
  const built = buildAlertDispatchers({
    emailTransport: o.emailTransport ?? "stub",
    emailFrom: "jetmon@noreply.invalid",
    smtp: { host: "127.0.0.1", port: 0, username: "", password: "", useTls: false, ...o.smtp },
    wpcomEmail: o.wpcomEmail ?? { endpoint: "", token: "" },
    pagerdutyEndpoint: o.pagerdutyEndpoint,
    timeoutMs: o.timeoutMs ?? 2000,
    now: clock.now,
    log: silentLogger,
  });
  cleanups.push(() => built.close());
  return built;
}

function worker(d: AlertDispatchers): DeliveryWorker {
  return createAlertWorker({
    db: t.db,
    instanceId: "host-a",
    log: silentLogger,
    now: clock.now,
    settleMs: 0,
    pollIntervalMs: 3_600_000,
    dispatchers: d,
    dispatchTimeoutMs: 3000,
  });
}

/** Seeds progress, adds the contact and a Down transition (plus `more`), runs one full pass. */
async function deliverDown(d: AlertDispatchers, contact: Parameters<typeof insertContact>[1], more = 0) {
  const w = worker(d);
  await w.start();
  await w.stop();
  const id = await insertContact(t.db, contact);
  for (let i = 0; i <= more; i++) {
    await insertTransition(t.db, {
      eventId: 777 + i,
      blogId: 42,
      severityBefore: 3,
      severityAfter: 4,
      stateAfter: "Down",
      reason: "verifier_confirmed",
    });
  }
  const w2 = worker(d);
  await w2.dispatchOnce();
  await w2.deliverOnce();
  await w2.idle();
  return { id, w: w2, rows: await deliveries(t.db, "alert") };
}

describe("email", () => {
  test("SMTP with STARTTLS required: the sink receives the message over TLS, with AUTH", async () => {
    const sink = await startSmtpSink({ tls: { key, cert } });
    cleanups.push(() => sink.stop());
    const d = dispatchers({
      emailTransport: "smtp",
      smtp: {
        host: "127.0.0.1",
        port: sink.port,
        username: "jetmon",
        password: "s3cret",
        useTls: true,
        tls: { ca },
      },
    });
    const { rows } = await deliverDown(d.dispatchers, {
      transport: "email",
      destination: { address: "ops@example.com" },
    });
    expect(rows[0]).toMatchObject({
      status: "delivered",
      attempt: 1,
      last_status_code: 250,
      last_response: "delivered",
    });
    expect(sink.messages).toHaveLength(1);
    const m = sink.messages[0]!;
    expect(m).toMatchObject({
      from: "jetmon@noreply.invalid",
      to: ["ops@example.com"],
      tls: true,
      auth: "jetmon:s3cret",
    });
    expect(m.data).toContain("Subject: [Down] https://example.com\r\n");
    expect(m.data).toContain("Site: https://example.com (id 42)\r\n");
    expect(m.data).toContain("Event: #777 (alert.state_changed)\r\n");
    expect(m.data).toContain("Date: Sat, 25 Apr 2026 12:00:00 +0000\r\n");
    expect(sink.commands).toContain("STARTTLS");
  });

  test("STARTTLS verifies the server certificate: an untrusted one is a retried failure", async () => {
    const sink = await startSmtpSink({ tls: { key, cert } });
    cleanups.push(() => sink.stop());
    const d = dispatchers({
      emailTransport: "smtp",
      smtp: { host: "127.0.0.1", port: sink.port, useTls: true },
    });
    const { rows } = await deliverDown(d.dispatchers, {
      transport: "email",
      destination: { address: "ops@example.com" },
    });
    expect(rows[0]).toMatchObject({ status: "pending", last_status_code: 554 });
    expect(rows[0]!.last_response).toMatch(/certificate|self.signed|issuer/i);
    expect(sink.messages).toHaveLength(0);
  });

  test("SMTP_USE_TLS refuses a server that does not offer STARTTLS; the delivery is retried", async () => {
    const sink = await startSmtpSink();
    cleanups.push(() => sink.stop());
    const d = dispatchers({
      emailTransport: "smtp",
      smtp: { host: "127.0.0.1", port: sink.port, useTls: true },
    });
    const { rows } = await deliverDown(d.dispatchers, {
      transport: "email",
      destination: { address: "ops@example.com" },
    });
    expect(rows[0]!.status).toBe("pending");
    expect(rows[0]!.last_status_code).toBe(554);
    expect(rows[0]!.last_response).toStartWith(
      `transport error: alerting/email/smtp: send to 127.0.0.1:${sink.port}: `,
    );
    expect(sink.messages).toHaveLength(0);
  });

  test("without SMTP_USE_TLS plain SMTP works; a refused recipient is a retried failure", async () => {
    const sink = await startSmtpSink();
    cleanups.push(() => sink.stop());
    const d = dispatchers({ emailTransport: "smtp", smtp: { host: "127.0.0.1", port: sink.port } });
    const { rows } = await deliverDown(d.dispatchers, {
      transport: "email",
      destination: { address: "ops@example.com" },
    });
    expect(rows[0]!.status).toBe("delivered");
    expect(sink.messages[0]!.tls).toBe(false);

    await resetDelivery(t.db);
    const refusing = await startSmtpSink({ rejectRcpt: "550 5.1.1 no such user" });
    cleanups.push(() => refusing.stop());
    const d2 = dispatchers({ emailTransport: "smtp", smtp: { host: "127.0.0.1", port: refusing.port } });
    const r2 = await deliverDown(d2.dispatchers, {
      transport: "email",
      destination: { address: "nobody@example.com" },
    });
    expect(r2.rows[0]).toMatchObject({ status: "pending", attempt: 1, last_status_code: 554 });
    expect(r2.rows[0]!.last_response).toContain("no such user");
  });

  test("stub: recorded and delivered with 250", async () => {
    const d = dispatchers();
    const { rows } = await deliverDown(d.dispatchers, {
      transport: "email",
      destination: { address: "ops@example.com" },
    });
    expect(rows[0]).toMatchObject({ status: "delivered", last_status_code: 250 });
    const stub = d.email as StubEmailSender;
    expect(stub.sent.map((m) => m.subject)).toEqual(["[Down] https://example.com"]);
    stub.reset();
    expect(stub.sent).toHaveLength(0);
  });

  test("wpcom: Bearer token and JSON body; a 500 is retried with the status", async () => {
    const rx = startReceiver(
      (_r, n) => new Response(n === 1 ? "ok" : "down", { status: n === 1 ? 200 : 500 }),
    );
    cleanups.push(rx.stop);
    const d = dispatchers({
      emailTransport: "wpcom",
      wpcomEmail: { endpoint: `${rx.url}/mail`, token: "TEST_TOKEN" },
    });
    const { rows } = await deliverDown(
      d.dispatchers,
      { transport: "email", destination: { address: "ops@example.com" } },
      1,
    );
    expect(rx.received[0]!.headers.get("authorization")).toBe("Bearer TEST_TOKEN");
    const body = JSON.parse(rx.received[0]!.body);
    expect(Object.keys(body)).toEqual(["from", "to", "subject", "plain", "html"]);
    expect(body).toMatchObject({
      from: "jetmon@noreply.invalid",
      to: "ops@example.com",
      subject: "[Down] https://example.com",
    });
    const statuses = rows.map((r) => [r.status, r.last_status_code]).sort();
    expect(statuses).toEqual([
      ["delivered", 250],
      ["pending", 554],
    ]);
    expect(rows.find((r) => r.status === "pending")!.last_response).toContain(
      "alerting/email/wpcom: status 500: down",
    );
  });

  test("a destination without an address is abandoned with 550", async () => {
    const d = dispatchers();
    const { rows } = await deliverDown(d.dispatchers, { transport: "email", destination: { wrong: "x" } });
    expect(rows[0]).toMatchObject({
      status: "abandoned",
      last_status_code: 550,
      last_response: "transport error: destination missing address",
    });
    expect((d.email as StubEmailSender).sent).toHaveLength(0);
  });
});

describe("http transports on loopback", () => {
  test("PagerDuty: trigger, then resolve with the same dedup key", async () => {
    const rx = startReceiver(() => Response.json({ status: "success" }, { status: 202 }));
    cleanups.push(rx.stop);
    const d = dispatchers({ pagerdutyEndpoint: `${rx.url}/v2/enqueue` });
    const { w } = await deliverDown(d.dispatchers, {
      transport: "pagerduty",
      destination: { integration_key: "PDKEY" },
    });
    await insertTransition(t.db, {
      eventId: 777,
      blogId: 42,
      severityBefore: 4,
      severityAfter: null,
      stateAfter: "Resolved",
      reason: "verifier_cleared",
    });
    await w.dispatchOnce();
    await w.deliverOnce();
    await w.idle();
    const bodies = rx.received.map((r) => JSON.parse(r.body));
    expect(
      bodies.map((b) => [b.routing_key, b.event_action, b.dedup_key, b.payload.severity, b.payload.summary]),
    ).toEqual([
      ["PDKEY", "trigger", "jetmon-event-777", "critical", "Down: https://example.com"],
      ["PDKEY", "resolve", "jetmon-event-777", "info", "Recovered: https://example.com"],
    ]);
    const rows = await deliveries(t.db, "alert");
    expect(rows.map((r) => [r.status, r.last_status_code, r.last_response])).toEqual([
      ["delivered", 202, '{"status":"success"}'],
      ["delivered", 202, '{"status":"success"}'],
    ]);
  });

  test("PagerDuty: a 400 is retried with the body echoed; an empty key is abandoned", async () => {
    const rx = startReceiver(() => Response.json({ error: "missing routing_key" }, { status: 400 }));
    cleanups.push(rx.stop);
    const d = dispatchers({ pagerdutyEndpoint: rx.url });
    const { rows } = await deliverDown(d.dispatchers, {
      transport: "pagerduty",
      destination: { integration_key: "K" },
    });
    expect(rows[0]).toMatchObject({
      status: "pending",
      last_status_code: 400,
      last_response: 'transport error: status 400: {"error":"missing routing_key"}',
    });
    await resetDelivery(t.db);
    const r2 = await deliverDown(d.dispatchers, {
      transport: "pagerduty",
      destination: { integration_key: "" },
    });
    expect(r2.rows[0]).toMatchObject({
      status: "abandoned",
      last_response: "transport error: destination missing integration_key",
    });
  });

  test("Slack and Teams post to the contact's webhook_url", async () => {
    const rx = startReceiver(() => new Response("ok"));
    cleanups.push(rx.stop);
    const d = dispatchers();
    const w = worker(d.dispatchers);
    await w.start();
    await w.stop();
    await insertContact(t.db, { transport: "slack", destination: { webhook_url: `${rx.url}/slack` } });
    await insertContact(t.db, { transport: "teams", destination: { webhook_url: `${rx.url}/teams` } });
    await insertTransition(t.db, {
      eventId: 5,
      blogId: 42,
      severityBefore: 3,
      severityAfter: 4,
      reason: "verifier_confirmed",
    });
    const w2 = worker(d.dispatchers);
    await w2.dispatchOnce();
    await w2.deliverOnce();
    await w2.idle();
    const byPath = Object.fromEntries(rx.received.map((r) => [r.path, JSON.parse(r.body)]));
    expect(byPath["/slack"].text).toBe("Jetmon Down alert: https://example.com");
    expect(byPath["/teams"].attachments[0].contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect((await deliveries(t.db, "alert")).every((r) => r.status === "delivered")).toBe(true);
  });

  test("a webhook_url that is not http(s) is abandoned", async () => {
    const d = dispatchers();
    const { rows } = await deliverDown(d.dispatchers, {
      transport: "slack",
      destination: { webhook_url: "javascript:alert(1)" },
    });
    expect(rows[0]!.status).toBe("abandoned");
    expect(rows[0]!.last_response).toContain("scheme javascript is not http or https");
  });
});

describe("contact rules", () => {
  test("max_per_hour: sends beyond the cap are abandoned with 429", async () => {
    const d = dispatchers();
    const { id, rows } = await deliverDown(
      d.dispatchers,
      { transport: "email", destination: { address: "a@b.c" }, maxPerHour: 2 },
      2,
    );
    const sorted = rows.map((r) => [r.status, r.last_status_code]);
    expect(sorted.filter(([s]) => s === "delivered")).toHaveLength(2);
    const capped = rows.find((r) => r.status === "abandoned")!;
    expect(capped.last_status_code).toBe(429);
    expect(capped.last_response).toBe(`rate-limited: contact ${id} exceeded max_per_hour=2`);
  });

  test("inactive contact, missing contact and unconfigured transport are abandoned", async () => {
    const d = dispatchers();
    const only: AlertDispatchers = { email: d.dispatchers.email };
    const w = worker(only);
    await w.start();
    await w.stop();
    const a = await insertContact(t.db, { transport: "email", destination: { address: "a@b.c" } });
    const b = await insertContact(t.db, { transport: "email", destination: { address: "a@b.c" } });
    const c = await insertContact(t.db, { transport: "pagerduty", destination: { integration_key: "K" } });
    await insertTransition(t.db, { severityBefore: 0, severityAfter: 4, reason: "opened" });
    const w2 = worker(only);
    await w2.dispatchOnce();
    await t.db.execute(sql`UPDATE jetmon_alert_contacts SET active = 0 WHERE id = ${a}`);
    await t.db.execute(sql`DELETE FROM jetmon_alert_contacts WHERE id = ${b}`);
    await w2.deliverOnce();
    await w2.idle();
    const rows = await deliveries(t.db, "alert");
    expect(rows.map((r) => [r.subscriber_id, r.status, r.last_response])).toEqual([
      [a, "abandoned", "contact is inactive"],
      [b, "abandoned", "contact not found"],
      [c, "abandoned", 'transport "pagerduty" not configured on this instance'],
    ]);
  });

  test("an unknown site still alerts, as site:<id>", async () => {
    const d = dispatchers();
    const w = worker(d.dispatchers);
    await w.start();
    await w.stop();
    await insertContact(t.db, { transport: "email", destination: { address: "a@b.c" } });
    await insertTransition(t.db, { blogId: 30, severityBefore: 0, severityAfter: 4, reason: "opened" });
    const w2 = worker(d.dispatchers);
    await w2.dispatchOnce();
    await w2.deliverOnce();
    await w2.idle();
    expect((d.email as StubEmailSender).sent[0]!.subject).toBe("[Down] site:30");
  });
  test("a database error looking up the contact is retried, not abandoned", async () => {
    const failing = {
      execute: () => Promise.reject(new Error("Connection lost: The server closed the connection.")),
    };
    const out = await attemptAlert(
      {
        db: failing as never,
        dispatchers: dispatchers().dispatchers,
        rate: new RateWindow(clock.now),
        timeoutMs: 1000,
        log: silentLogger,
      },
      {
        id: 1,
        subscriberId: 1,
        transitionId: 1,
        eventId: 1,
        eventType: "alert.opened",
        severity: 4,
        payload: "{}",
        attempt: 0,
      },
    );
    expect(out).toEqual({
      kind: "failed",
      statusCode: 0,
      response: "contact lookup: Connection lost: The server closed the connection.",
    });
  });
});

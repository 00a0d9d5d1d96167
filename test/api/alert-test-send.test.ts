/**
 * POST /api/v1/alert-contacts/{id}/test (docs/reference/deliverer.md §4.7): a real test
 * notification through the delivery transports, to loopback receivers (Slack, Teams,
 * PagerDuty over HTTP; e-mail over SMTP to a sink).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createKey } from "../../src/api/keys.ts";
import { createApiApp } from "../../src/api/server.ts";
import { selectRows } from "../../src/db/sql.ts";
import { type BuiltDispatchers, buildAlertDispatchers } from "../../src/delivery/dispatchers.ts";
import { silentLogger } from "../../src/log.ts";
import { useTestDatabase } from "../support/db.ts";
import { type SmtpSink, startSmtpSink } from "../support/smtp-sink.ts";

const t = useTestDatabase();
let app: ReturnType<typeof createApiApp>["app"];
let bare: ReturnType<typeof createApiApp>["app"];
let write: string;
let read: string;
let receiver: ReturnType<typeof Bun.serve>;
let sink: SmtpSink;
let built: BuiltDispatchers;
const received: { path: string; body: unknown }[] = [];

beforeAll(async () => {
  receiver = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (req) => {
      const path = new URL(req.url).pathname;
      received.push({ path, body: await req.json() });
      if (path === "/broken") return new Response("no such hook", { status: 404 });
      return new Response(path === "/pd" ? '{"status":"success"}' : "ok", { status: 202 });
    },
  });
  sink = await startSmtpSink();
  built = buildAlertDispatchers({
    emailTransport: "smtp",
    emailFrom: "jetmon@test.invalid",
    smtp: { host: "127.0.0.1", port: sink.port, username: "", password: "", useTls: false },
    wpcomEmail: { endpoint: "", token: "" },
    pagerdutyEndpoint: `http://127.0.0.1:${receiver.port}/pd`,
    log: silentLogger,
  });
  app = createApiApp({ db: t.db, log: silentLogger, dispatchers: () => built.dispatchers }).app;
  bare = createApiApp({ db: t.db, log: silentLogger }).app;
  write = (await createKey(t.db, { consumerName: "w", scope: "write", rateLimitPerMinute: 1000 })).token;
  read = (await createKey(t.db, { consumerName: "r", scope: "read", rateLimitPerMinute: 1000 })).token;
});

afterAll(async () => {
  built?.close();
  receiver?.stop(true);
  await sink?.stop();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  o: { token?: string; via?: typeof app; headers?: Record<string, string> } = {},
) {
  const res = await (o.via ?? app).handle(
    new Request(`http://api.test${path}`, {
      method,
      headers: {
        authorization: `Bearer ${o.token ?? write}`,
        "content-type": "application/json",
        ...o.headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

const contact = async (transport: string, destination: Record<string, string>, label = transport) =>
  (
    await call("POST", "/api/v1/alert-contacts", {
      label,
      transport,
      destination,
      min_severity: "Down",
    })
  ).body.id as number;

const url = (p: string) => `http://127.0.0.1:${receiver.port}${p}`;

describe("alert-contact test send", () => {
  test("slack: the test message reaches the webhook; 200 with the transport's answer", async () => {
    const id = await contact("slack", { webhook_url: url("/slack") }, "ops-room");
    received.length = 0;
    const r = await call("POST", `/api/v1/alert-contacts/${id}/test`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      contact_id: id,
      transport: "slack",
      status_code: 202,
      response_body: "ok",
      delivered: true,
    });
    expect(received).toHaveLength(1);
    expect(received[0]!.path).toBe("/slack");
    const sent = received[0]!.body as { text: string; blocks: { text?: { text: string } }[] };
    expect(sent.text).toBe("Jetmon test notification for https://test.invalid/ops-room");
    expect(sent.blocks[0]!.text!.text).toStartWith(":mag: *Jetmon test*");
  });

  test("teams and pagerduty go to their endpoints", async () => {
    const teams = await contact("teams", { webhook_url: url("/teams") });
    const pd = await contact("pagerduty", { integration_key: "KEY123" });
    received.length = 0;
    expect((await call("POST", `/api/v1/alert-contacts/${teams}/test`)).body.delivered).toBe(true);
    const p = await call("POST", `/api/v1/alert-contacts/${pd}/test`);
    expect(p.body).toMatchObject({ transport: "pagerduty", status_code: 202, delivered: true });
    expect(received.map((x) => x.path)).toEqual(["/teams", "/pd"]);
    const event = received[1]!.body as {
      routing_key: string;
      dedup_key: string;
      payload: { summary: string };
    };
    expect(event.routing_key).toBe("KEY123");
    expect(event.payload.summary).toBe("[Jetmon test] https://test.invalid/pagerduty");
    expect(event.dedup_key).toMatch(/^jetmon-test-0-\d+$/);
  });

  test("email goes over SMTP", async () => {
    const id = await contact("email", { address: "ops@example.test" }, "mail");
    const r = await call("POST", `/api/v1/alert-contacts/${id}/test`);
    expect(r.body).toMatchObject({ transport: "email", status_code: 250, delivered: true });
    const m = sink.messages.at(-1)!;
    expect(m.to).toEqual(["ops@example.test"]);
    expect(m.data).toContain("Subject: [Jetmon test] https://test.invalid/mail");
    expect(m.data).toContain("*** Jetmon test notification ***");
  });

  test("a refused send is 502 with the error, and is not replayed by Idempotency-Key", async () => {
    const id = await contact("slack", { webhook_url: url("/broken") });
    const headers = { "Idempotency-Key": "t-1" };
    const r = await call("POST", `/api/v1/alert-contacts/${id}/test`, undefined, { headers });
    expect(r.status).toBe(502);
    expect(r.body).toEqual({
      contact_id: id,
      transport: "slack",
      status_code: 404,
      response_body: "no such hook",
      error: "status 404",
      delivered: false,
    });
    const again = await call("POST", `/api/v1/alert-contacts/${id}/test`, undefined, { headers });
    expect(again.status).toBe(502);
    expect(again.headers.get("idempotency-replayed")).toBeNull();
  });

  test("an unreachable receiver is 502 with status 0", async () => {
    const gone = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = gone.port;
    gone.stop(true);
    const id = await contact("teams", { webhook_url: `http://127.0.0.1:${port}/x` });
    const r = await call("POST", `/api/v1/alert-contacts/${id}/test`);
    expect(r.status).toBe(502);
    expect(r.body.status_code).toBe(0);
    expect(r.body.delivered).toBe(false);
    expect(r.body.error).toStartWith("post: ");
  });

  test("a 2xx answer is replayed for the same Idempotency-Key", async () => {
    const id = await contact("slack", { webhook_url: url("/slack") });
    received.length = 0;
    const headers = { "Idempotency-Key": "t-2" };
    await call("POST", `/api/v1/alert-contacts/${id}/test`, undefined, { headers });
    const again = await call("POST", `/api/v1/alert-contacts/${id}/test`, undefined, { headers });
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotency-replayed")).toBe("true");
    expect(received).toHaveLength(1);
  });

  test.each([
    ["/api/v1/alert-contacts/abc/test", 400, "invalid_alert_contact_id"],
    ["/api/v1/alert-contacts/0/test", 400, "invalid_alert_contact_id"],
    ["/api/v1/alert-contacts/-1/test", 400, "invalid_alert_contact_id"],
    ["/api/v1/alert-contacts/99999999999999999999/test", 400, "invalid_alert_contact_id"],
    ["/api/v1/alert-contacts/424242/test", 404, "alert_contact_not_found"],
  ])("POST %s -> %d %s", async (path, status, code) => {
    const r = await call("POST", path);
    expect([r.status, r.body.error.code]).toEqual([status, code]);
  });

  test("needs write scope; GET is 405", async () => {
    const id = await contact("slack", { webhook_url: url("/slack") });
    const r = await call("POST", `/api/v1/alert-contacts/${id}/test`, undefined, { token: read });
    expect([r.status, r.body.error.code]).toEqual([403, "insufficient_scope"]);
    const g = await call("GET", `/api/v1/alert-contacts/${id}/test`);
    expect([g.status, g.headers.get("allow")]).toEqual([405, "POST"]);
  });

  test("no transports in this process: 503 transport_not_configured", async () => {
    const id = await contact("slack", { webhook_url: url("/slack") });
    received.length = 0;
    const r = await call("POST", `/api/v1/alert-contacts/${id}/test`, undefined, { via: bare });
    expect([r.status, r.body.error.code]).toEqual([503, "transport_not_configured"]);
    expect(received).toHaveLength(0);
  });

  test("a test send writes no delivery row", async () => {
    const rows = await selectRows<{ n: number }>(
      t.db,
      sql`SELECT COUNT(*) AS n FROM jetmon_alert_deliveries`,
    );
    expect(Number(rows[0]!.n)).toBe(0);
  });
});

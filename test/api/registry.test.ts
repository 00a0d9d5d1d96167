import { beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createKey } from "../../src/api/keys.ts";
import { preview } from "../../src/api/registry.ts";
import { createApiApp } from "../../src/api/server.ts";
import { run, selectRows } from "../../src/db/sql.ts";
import { silentLogger } from "../../src/log.ts";
import { useTestDatabase } from "../support/db.ts";

const t = useTestDatabase();
let app: ReturnType<typeof createApiApp>["app"];
let write: string;

beforeAll(async () => {
  app = createApiApp({ db: t.db, log: silentLogger }).app;
  write = (await createKey(t.db, { consumerName: "w", scope: "write", rateLimitPerMinute: 1000 })).token;
});

const call = async (method: string, path: string, body?: unknown) => {
  const res = await app.handle(
    new Request(`http://api.test${path}`, {
      method,
      headers: { authorization: `Bearer ${write}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
};
const errCode = (r: { body: { error?: { code: string } } }) => r.body.error?.code;
const count = async (table: string) =>
  Number(
    (await selectRows<{ n: number }>(t.db, sql`SELECT COUNT(*) AS n FROM ${sql.identifier(table)}`))[0]!.n,
  );

test.each([
  ["whsec_LONG_SECRET_VALUE_XYZ", "_XYZ"],
  ["ab", "ab"],
  ["ops@example.com", ".com"],
])("preview(%p) = %p", (v, want) => expect(preview(v)).toBe(want));

describe("webhooks", () => {
  test("create returns the secret once; get, list, patch, rotate, delete", async () => {
    const c = await call("POST", "/api/v1/webhooks", {
      url: "https://hooks.test/x",
      events: ["event.opened"],
      site_filter: { site_ids: [5] },
    });
    expect(c.status).toBe(201);
    expect(c.body.secret).toMatch(/^whsec_[A-Z2-7]{52}$/);
    expect(c.body).toMatchObject({
      url: "https://hooks.test/x",
      active: true,
      events: ["event.opened"],
      site_filter: { site_ids: [5] },
      state_filter: {},
      created_by: "w",
    });
    expect(c.body.secret_preview).toBe(c.body.secret.slice(-4));
    const id = c.body.id;
    const got = await call("GET", `/api/v1/webhooks/${id}`);
    expect(got.body.secret).toBeUndefined();
    const list = await call("GET", "/api/v1/webhooks");
    expect(list.body.page).toEqual({ next: null, limit: 1 });
    const p = await call("PATCH", `/api/v1/webhooks/${id}`, { active: false, events: [] });
    expect(p.body).toMatchObject({ active: false, events: null });
    const r = await call("POST", `/api/v1/webhooks/${id}/rotate-secret`);
    expect(r.body.secret).not.toBe(c.body.secret);
    const [row] = await selectRows<{ secret: string }>(
      t.db,
      sql`SELECT secret FROM jetmon_webhooks WHERE id = ${id}`,
    );
    expect(row!.secret).toBe(r.body.secret);
    expect((await call("DELETE", `/api/v1/webhooks/${id}`)).status).toBe(204);
    expect(errCode(await call("DELETE", `/api/v1/webhooks/${id}`))).toBe("webhook_not_found");
  });

  test.each([
    [{ url: "https://h.test", events: ["event.exploded"] }, 422, "invalid_event_type"],
    [{ url: "gopher://h.test" }, 400, "invalid_url"],
    [{ events: [] }, 400, "invalid_body"],
    [{ url: "https://h.test", site_filter: { site_ids: ["a"] } }, 400, "invalid_body"],
  ])("create %j -> %d %s", async (body, status, code) => {
    const before = await count("jetmon_webhooks");
    const r = await call("POST", "/api/v1/webhooks", body);
    expect([r.status, errCode(r)]).toEqual([status, code]);
    expect(await count("jetmon_webhooks")).toBe(before);
  });

  test("deliveries: list with status filter, retry only abandoned", async () => {
    const c = await call("POST", "/api/v1/webhooks", { url: "https://hooks.test/y" });
    const id = c.body.id;
    await run(
      t.db,
      sql`INSERT INTO jetmon_webhook_deliveries (webhook_id, transition_id, event_id, event_type, payload, status, attempt)
          VALUES (${id}, 1, 1, 'event.opened', '{}', 'abandoned', 6), (${id}, 2, 1, 'event.closed', '{}', 'delivered', 1)`,
    );
    const all = await call("GET", `/api/v1/webhooks/${id}/deliveries`);
    expect(all.body.data.map((d: { transition_id: number }) => d.transition_id)).toEqual([2, 1]);
    const ab = await call("GET", `/api/v1/webhooks/${id}/deliveries?status=abandoned`);
    expect(ab.body.data.length).toBe(1);
    expect(errCode(await call("GET", `/api/v1/webhooks/${id}/deliveries?status=lost`))).toBe(
      "invalid_status",
    );
    const [abandoned, delivered] = [ab.body.data[0].id, all.body.data[0].id];
    const ok = await call("POST", `/api/v1/webhooks/${id}/deliveries/${abandoned}/retry`);
    expect(ok.body).toMatchObject({ status: "pending", attempt: 0 });
    expect(errCode(await call("POST", `/api/v1/webhooks/${id}/deliveries/${delivered}/retry`))).toBe(
      "delivery_not_retryable",
    );
    expect(errCode(await call("POST", `/api/v1/webhooks/${id}/deliveries/999/retry`))).toBe(
      "delivery_not_found",
    );
    expect(errCode(await call("POST", `/api/v1/webhooks/${id}/deliveries/x/retry`))).toBe(
      "invalid_delivery_id",
    );
    expect(errCode(await call("GET", "/api/v1/webhooks/0/deliveries"))).toBe("invalid_webhook_id");
    expect(errCode(await call("GET", "/api/v1/webhooks/12345/deliveries"))).toBe("webhook_not_found");
  });
});

describe("alert contacts", () => {
  test("create, patch (transport fixed), delete; the destination is never returned", async () => {
    const c = await call("POST", "/api/v1/alert-contacts", {
      label: "ops",
      transport: "email",
      destination: { address: "ops@example.com" },
      min_severity: "SeemsDown",
    });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({
      label: "ops",
      transport: "email",
      destination_preview: ".com",
      min_severity: "SeemsDown",
      max_per_hour: 60,
      active: true,
    });
    expect(JSON.stringify(c.body)).not.toContain("ops@example.com");
    const id = c.body.id;
    const p = await call("PATCH", `/api/v1/alert-contacts/${id}`, {
      destination: { address: "pager@example.org" },
      max_per_hour: 0,
    });
    expect(p.body).toMatchObject({ destination_preview: ".org", max_per_hour: 0 });
    expect(errCode(await call("PATCH", `/api/v1/alert-contacts/${id}`, { transport: "slack" }))).toBe(
      "invalid_body",
    );
    expect(
      errCode(await call("PATCH", `/api/v1/alert-contacts/${id}`, { destination: { webhook_url: "x" } })),
    ).toBe("invalid_alert_contact");
    expect((await call("GET", "/api/v1/alert-contacts")).body.data.length).toBe(1);
    expect((await call("DELETE", `/api/v1/alert-contacts/${id}`)).status).toBe(204);
    expect(errCode(await call("GET", `/api/v1/alert-contacts/${id}`))).toBe("alert_contact_not_found");
  });

  test.each([
    [{ label: "x", transport: "sms", destination: { address: "a" } }, 400, "invalid_transport"],
    [{ label: "x", transport: "Email", destination: { address: "a" } }, 400, "invalid_transport"],
    [
      { label: "x", transport: "email", destination: { address: "a" }, min_severity: "Bad" },
      400,
      "invalid_severity",
    ],
    [{ label: "x", transport: "slack", destination: { address: "a" } }, 422, "invalid_alert_contact"],
    [{ label: "", transport: "email", destination: { address: "a" } }, 400, "invalid_body"],
    [{ label: "x", transport: "email" }, 400, "invalid_body"],
  ])("create %j -> %d %s", async (body, status, code) => {
    const before = await count("jetmon_alert_contacts");
    const r = await call("POST", "/api/v1/alert-contacts", body);
    expect([r.status, errCode(r)]).toEqual([status, code]);
    expect(await count("jetmon_alert_contacts")).toBe(before);
  });

  test("ids", async () => {
    expect(errCode(await call("GET", "/api/v1/alert-contacts/abc"))).toBe("invalid_alert_contact_id");
  });

  test("deliveries: list newest first with paging and status filter; retry re-queues only abandoned", async () => {
    const c = await call("POST", "/api/v1/alert-contacts", {
      label: "pager",
      transport: "pagerduty",
      destination: { integration_key: "K" },
    });
    const id = c.body.id;
    await run(
      t.db,
      sql`INSERT INTO jetmon_alert_deliveries (alert_contact_id, transition_id, event_id, event_type, severity, payload, status, attempt, last_status_code, last_response)
          VALUES (${id}, 11, 3, 'alert.opened', 4, '{}', 'abandoned', 6, 500, 'boom'),
                 (${id}, 12, 3, 'alert.closed', 0, '{}', 'delivered', 1, 202, 'ok'),
                 (${id}, 13, 4, 'alert.opened', 4, '{}', 'failed', 2, 0, 'post: refused')`,
    );
    const p1 = await call("GET", `/api/v1/alert-contacts/${id}/deliveries?limit=2`);
    expect(p1.body.data.map((d: { transition_id: number }) => d.transition_id)).toEqual([13, 12]);
    expect(p1.body.data[0]).toMatchObject({ alert_contact_id: id, status: "failed", attempt: 2 });
    const p2 = await call(
      "GET",
      `/api/v1/alert-contacts/${id}/deliveries?limit=2&cursor=${p1.body.page.next}`,
    );
    expect(p2.body.data.map((d: { transition_id: number }) => d.transition_id)).toEqual([11]);
    expect(p2.body.page.next).toBeNull();
    const ab = await call("GET", `/api/v1/alert-contacts/${id}/deliveries?status=abandoned`);
    expect(ab.body.data).toHaveLength(1);
    const abandoned = ab.body.data[0].id;
    const failed = p1.body.data[0].id;
    const r = await call("POST", `/api/v1/alert-contacts/${id}/deliveries/${abandoned}/retry`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: abandoned, status: "pending", attempt: 0, last_status_code: null });
    const [row] = await selectRows<{ status: string; due: number }>(
      t.db,
      sql`SELECT status, next_attempt_at <= CURRENT_TIMESTAMP AS due FROM jetmon_alert_deliveries WHERE id = ${abandoned}`,
    );
    expect(row).toMatchObject({ status: "pending" });
    expect(Number(row!.due)).toBe(1);
    const again = await call("POST", `/api/v1/alert-contacts/${id}/deliveries/${abandoned}/retry`);
    expect([again.status, errCode(again)]).toEqual([409, "delivery_not_retryable"]);
    expect(errCode(await call("POST", `/api/v1/alert-contacts/${id}/deliveries/${failed}/retry`))).toBe(
      "delivery_not_retryable",
    );
    // Another contact's delivery is not found through this one.
    const other = await call("POST", "/api/v1/alert-contacts", {
      label: "x",
      transport: "email",
      destination: { address: "a@b.test" },
    });
    expect(
      errCode(await call("POST", `/api/v1/alert-contacts/${other.body.id}/deliveries/${failed}/retry`)),
    ).toBe("delivery_not_found");
    expect(errCode(await call("GET", "/api/v1/alert-contacts/424242/deliveries"))).toBe(
      "alert_contact_not_found",
    );
  });
});

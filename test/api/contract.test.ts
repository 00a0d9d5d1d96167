import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createKey } from "../../src/api/keys.ts";
import { createApiApp } from "../../src/api/server.ts";
import { run, selectRows } from "../../src/db/sql.ts";
import { openEvent } from "../../src/events/index.ts";
import { silentLogger } from "../../src/log.ts";
import { useTestDatabase } from "../support/db.ts";

const t = useTestDatabase();
let app: ReturnType<typeof createApiApp>["app"];
const tokens: Record<string, string> = {};
let target: ReturnType<typeof Bun.serve>;
let targetUp = true;

beforeAll(async () => {
  app = createApiApp({ db: t.db, log: silentLogger }).app;
  for (const scope of ["read", "write"] as const) {
    tokens[scope] = (
      await createKey(t.db, { consumerName: `c-${scope}`, scope, rateLimitPerMinute: 1000 })
    ).token;
  }
  tokens.slow = (await createKey(t.db, { consumerName: "slow", scope: "read", rateLimitPerMinute: 2 })).token;
  const revoked = await createKey(t.db, { consumerName: "gone", scope: "read" });
  await run(
    t.db,
    sql`UPDATE jetmon_api_keys SET revoked_at = NOW() - INTERVAL 1 SECOND WHERE id = ${revoked.key.id}`,
  );
  tokens.revoked = revoked.token;
  const expired = await createKey(t.db, { consumerName: "old", scope: "read" });
  await run(
    t.db,
    sql`UPDATE jetmon_api_keys SET expires_at = NOW() - INTERVAL 1 SECOND WHERE id = ${expired.key.id}`,
  );
  tokens.expired = expired.token;
  target = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => new Response("ok", { status: targetUp ? 200 : 500 }),
  });
});
afterAll(() => target?.stop(true));

function call(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
    headers["content-type"] = "application/json";
  }
  return app.handle(new Request(`http://api.test${path}`, { method, headers, body }));
}

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
  const text = await res.text();
  expect(text.endsWith("\n")).toBe(true);
  const body = JSON.parse(text) as { error: { code: string; message: string; request_id?: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error;
}

const siteCount = async () =>
  Number((await selectRows<{ n: number }>(t.db, sql`SELECT COUNT(*) AS n FROM jetpack_monitor_sites`))[0]!.n);

describe("routing and auth", () => {
  test("health needs no auth", async () => {
    const res = await call("GET", "/api/v1/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  test("unknown route: endpoint_not_found without request id", async () => {
    const e = await expectError(await call("GET", "/api/v1/nope"), 404, "endpoint_not_found");
    expect(e.message).toBe("no route for GET /api/v1/nope");
    expect(e.request_id).toBeUndefined();
    await expectError(await call("GET", "/api/v1/sites/"), 404, "endpoint_not_found");
  });

  test("wrong method on a known path: 405 with Allow", async () => {
    const res = await call("PUT", "/api/v1/sites/5");
    expect(res.headers.get("allow")).toBe("GET, PATCH, DELETE");
    await expectError(res, 405, "method_not_allowed");
  });

  test.each([
    [undefined, "missing_token"],
    ["jm_short", "invalid_token"],
    ["nope_AAAAAAAAAAAAAAAAAAAA", "invalid_token"],
    ["jm_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "invalid_token"],
  ])("token %p -> %p", async (token, code) => {
    const e = await expectError(await call("GET", "/api/v1/me", { token }), 401, code);
    expect(e.request_id).toMatch(/^[0-9a-f]{32}$/);
  });

  test("lower-case bearer is missing_token", async () => {
    const res = await call("GET", "/api/v1/me", { headers: { authorization: `bearer ${tokens.read}` } });
    await expectError(res, 401, "missing_token");
  });

  test("revoked and expired keys", async () => {
    await expectError(await call("GET", "/api/v1/me", { token: tokens.revoked }), 401, "token_revoked");
    await expectError(await call("GET", "/api/v1/me", { token: tokens.expired }), 401, "token_expired");
  });

  test("me", async () => {
    const res = await call("GET", "/api/v1/me", { token: tokens.read });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f]{32}$/);
    expect(await res.json()).toEqual({
      consumer_name: "c-read",
      scope: "read",
      rate_limit_per_minute: 1000,
      expires_at: null,
    });
  });

  test("insufficient_scope", async () => {
    const e = await expectError(
      await call("POST", "/api/v1/sites", {
        token: tokens.read,
        body: { blog_id: 1, monitor_url: "http://x.test" },
      }),
      403,
      "insufficient_scope",
    );
    expect(e.message).toBe("this endpoint requires scope write; your key has scope read");
    expect(await siteCount()).toBe(0);
  });

  test("rate limit: headers, then 429 with Retry-After", async () => {
    const a = await call("GET", "/api/v1/me", { token: tokens.slow });
    expect(a.headers.get("x-ratelimit-limit")).toBe("2");
    expect(a.headers.get("x-ratelimit-remaining")).toBe("1");
    expect(Number(a.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000);
    await call("GET", "/api/v1/me", { token: tokens.slow });
    const c = await call("GET", "/api/v1/me", { token: tokens.slow });
    expect(Number(c.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    await expectError(c, 429, "rate_limited");
  });

  test("gateway headers from a non-gateway key", async () => {
    const res = await call("GET", "/api/v1/me", {
      token: tokens.read,
      headers: { "X-Jetmon-Tenant-ID": "t1" },
    });
    await expectError(res, 403, "forbidden_gateway_context");
  });

  test("every authenticated request writes its api_access row", async () => {
    await call("GET", "/api/v1/me", { token: "jm_short" });
    const rows = await selectRows<{
      source: string;
      detail: string;
      metadata: string;
      blog_id: number | null;
    }>(
      t.db,
      sql`SELECT source, detail, metadata, blog_id FROM jetmon_audit_log WHERE event_type = 'api_access' ORDER BY id DESC LIMIT 1`,
    );
    const row = rows[0]!;
    expect(row.source).toBe("unknown");
    expect(row.detail).toBe("GET /api/v1/me");
    expect(row.blog_id).toBeNull();
    const meta = typeof row.metadata === "string" ? JSON.parse(row.metadata) : row.metadata;
    expect(meta).toMatchObject({
      status: 401,
      note: "invalid_token",
      duration_ms: 0,
      method: "GET",
      path: "/api/v1/me",
    });
    expect(meta.request_id).toMatch(/^[0-9a-f]{32}$/);
  });

  test("openapi.json lists the routes with their body schemas", async () => {
    const doc = (await (await call("GET", "/api/v1/openapi.json", { token: tokens.read })).json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          { requestBody?: { content: { "application/json": { schema: { properties: object } } } } }
        >
      >;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths["/api/v1/sites/{id}"]!).sort()).toEqual(["delete", "get", "patch"]);
    expect(
      Object.keys(
        doc.paths["/api/v1/sites"]!.post!.requestBody!.content["application/json"].schema.properties,
      ),
    ).toContain("blog_id");
  });
});

describe("sites", () => {
  const site = () => ({ blog_id: 101, monitor_url: `http://127.0.0.1:${target.port}/`, check_keyword: "ok" });

  test("create, get, list", async () => {
    const res = await call("POST", "/api/v1/sites", { token: tokens.write, body: site() });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      id: 101,
      blog_id: 101,
      monitor_active: true,
      bucket_no: 0,
      check_interval: 5,
      current_state: "Up",
      current_severity: 0,
      active_event_id: null,
      check_keyword: "ok",
      redirect_policy: "follow",
      active_events: [],
    });
    const got = await call("GET", "/api/v1/sites/101", { token: tokens.read });
    expect(((await got.json()) as { blog_id: number }).blog_id).toBe(101);
    for (const b of [102, 103]) {
      await call("POST", "/api/v1/sites", { token: tokens.write, body: { ...site(), blog_id: b } });
    }
    const p1 = (await (await call("GET", "/api/v1/sites?limit=2", { token: tokens.read })).json()) as {
      data: { blog_id: number }[];
      page: { next: string | null; limit: number };
    };
    expect(p1.data.map((s) => s.blog_id)).toEqual([101, 102]);
    expect(p1.page.limit).toBe(2);
    expect(p1.page.next).not.toBeNull();
    const p2 = (await (
      await call("GET", `/api/v1/sites?limit=2&cursor=${p1.page.next}`, { token: tokens.read })
    ).json()) as {
      data: { blog_id: number }[];
      page: { next: string | null };
    };
    expect(p2.data.map((s) => s.blog_id)).toEqual([103]);
    expect(p2.page.next).toBeNull();
  });

  test("site_exists", async () => {
    await expectError(
      await call("POST", "/api/v1/sites", { token: tokens.write, body: site() }),
      409,
      "site_exists",
    );
  });

  test.each([
    ["GET", "/api/v1/sites/abc", undefined, 400, "invalid_site_id"],
    ["GET", "/api/v1/sites/0", undefined, 400, "invalid_site_id"],
    ["GET", "/api/v1/sites/99999999999999999999", undefined, 400, "invalid_site_id"],
    ["GET", "/api/v1/sites/999", undefined, 404, "site_not_found"],
    ["GET", "/api/v1/sites?limit=x", undefined, 400, "invalid_limit"],
    ["GET", "/api/v1/sites?limit=0", undefined, 400, "invalid_limit"],
    ["GET", "/api/v1/sites?cursor=!!", undefined, 400, "invalid_cursor"],
    ["GET", "/api/v1/sites?cursor=e30", undefined, 400, "invalid_cursor"],
    ["GET", "/api/v1/sites?monitor_active=yes", undefined, 400, "invalid_monitor_active"],
    ["GET", "/api/v1/sites?state=Sideways", undefined, 400, "invalid_state_filter"],
    ["GET", "/api/v1/sites?state=Up&state__in=Down", undefined, 400, "invalid_state_filter"],
    ["GET", "/api/v1/sites?severity__gte=-1", undefined, 400, "invalid_severity"],
    ["GET", "/api/v1/sites?include_cli_metadata=2", undefined, 400, "invalid_include_cli_metadata"],
    ["POST", "/api/v1/sites", "", 400, "invalid_body"],
    ["POST", "/api/v1/sites", "{", 400, "invalid_body"],
    ["POST", "/api/v1/sites", { monitor_url: "http://a.test" }, 400, "invalid_body"],
    ["POST", "/api/v1/sites", { blog_id: 0, monitor_url: "http://a.test" }, 400, "invalid_body"],
    ["POST", "/api/v1/sites", { blog_id: 7, monitor_url: "http://a.test", extra: 1 }, 400, "invalid_body"],
    ["POST", "/api/v1/sites", { blog_id: 7, monitor_url: "ftp://a.test" }, 400, "invalid_url"],
    [
      "POST",
      "/api/v1/sites",
      { blog_id: 7, monitor_url: "http://a.test", redirect_policy: "x" },
      422,
      "invalid_redirect_policy",
    ],
    [
      "POST",
      "/api/v1/sites",
      { blog_id: 7, monitor_url: "http://a.test", custom_headers: { "a b": "1" } },
      422,
      "invalid_custom_headers",
    ],
    [
      "POST",
      "/api/v1/sites",
      { blog_id: 7, monitor_url: "http://a.test", custom_headers: [1] },
      422,
      "invalid_custom_headers",
    ],
    [
      "POST",
      "/api/v1/sites",
      { blog_id: 7, monitor_url: "http://a.test", maintenance_start: "soon" },
      422,
      "invalid_field",
    ],
    ["PATCH", "/api/v1/sites/101", { monitor_url: "nope" }, 400, "invalid_url"],
    ["PATCH", "/api/v1/sites/101", { bucket_no: "1" }, 400, "invalid_body"],
    ["PATCH", "/api/v1/sites/999", { check_interval: 3 }, 404, "site_not_found"],
    ["DELETE", "/api/v1/sites/x", undefined, 400, "invalid_site_id"],
  ])("%s %s %j -> %d %s", async (method, path, body, status, code) => {
    const before = await siteCount();
    await expectError(await call(method, path, { token: tokens.write, body }), status, code);
    expect(await siteCount()).toBe(before);
    expect(await siteCount()).toBeGreaterThan(0);
  });

  test("oversized body: 413", async () => {
    const big = JSON.stringify({
      blog_id: 9,
      monitor_url: "http://a.test",
      check_keyword: "x".repeat(1 << 20),
    });
    await expectError(
      await call("POST", "/api/v1/sites", { token: tokens.write, body: big }),
      413,
      "body_too_large",
    );
  });

  test("patch, empty patch, pause, resume", async () => {
    const res = await call("PATCH", "/api/v1/sites/102", {
      token: tokens.write,
      body: {
        check_interval: 3,
        redirect_policy: "fail",
        custom_headers: { "X-A": "1" },
        maintenance_start: "2026-01-01T00:00:00Z",
        maintenance_end: "2026-01-01T01:00:00Z",
      },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      check_interval: 3,
      redirect_policy: "fail",
      custom_headers: { "X-A": "1" },
      maintenance_start: "2026-01-01T00:00:00Z",
      maintenance_end: "2026-01-01T01:00:00Z",
    });
    const empty = await call("PATCH", "/api/v1/sites/102", { token: tokens.write });
    expect(((await empty.json()) as { check_interval: number }).check_interval).toBe(3);
    const paused = await call("POST", "/api/v1/sites/102/pause", { token: tokens.write });
    expect(((await paused.json()) as { monitor_active: boolean }).monitor_active).toBe(false);
    const resumed = await call("POST", "/api/v1/sites/102/resume", { token: tokens.write });
    expect(((await resumed.json()) as { monitor_active: boolean }).monitor_active).toBe(true);
  });

  test("idempotency: replay, conflict, and scoped by path", async () => {
    const h = { "Idempotency-Key": "k1" };
    const a = await call("POST", "/api/v1/sites", {
      token: tokens.write,
      body: { ...site(), blog_id: 201 },
      headers: h,
    });
    expect(a.status).toBe(201);
    const b = await call("POST", "/api/v1/sites", {
      token: tokens.write,
      body: { ...site(), blog_id: 201 },
      headers: h,
    });
    expect(b.status).toBe(201);
    expect(b.headers.get("idempotency-replayed")).toBe("true");
    expect(b.headers.get("x-request-id")).toBe(a.headers.get("x-request-id"));
    await expectError(
      await call("POST", "/api/v1/sites", {
        token: tokens.write,
        body: { ...site(), blog_id: 202 },
        headers: h,
      }),
      409,
      "idempotency_conflict",
    );
    const other = await call("POST", "/api/v1/sites/201/pause", { token: tokens.write, headers: h });
    expect(other.status).toBe(200);
    expect(other.headers.get("idempotency-replayed")).toBeNull();
  });

  test("trigger-now runs a real check and closes open http events when it passes", async () => {
    const opened = await openEvent(t.db, {
      blogId: 103,
      checkType: "http",
      severity: 3,
      state: "Seems Down",
    });
    const seen = (await (await call("GET", "/api/v1/sites/103", { token: tokens.read })).json()) as Record<
      string,
      unknown
    >;
    expect(seen).toMatchObject({
      current_state: "Seems Down",
      current_severity: 3,
      active_event_id: opened.eventId,
    });
    targetUp = false;
    const failed = (await (
      await call("POST", "/api/v1/sites/103/trigger-now", { token: tokens.write })
    ).json()) as {
      result: { success: boolean; http_code: number };
      active_events_closed: number[];
    };
    expect(failed.result).toMatchObject({ success: false, http_code: 500 });
    expect(failed.active_events_closed).toEqual([]);
    targetUp = true;
    const ok = (await (
      await call("POST", "/api/v1/sites/103/trigger-now", { token: tokens.write })
    ).json()) as {
      result: { success: boolean; http_code: number };
      current_state: string;
      active_events_closed: number[];
    };
    expect(ok.result).toMatchObject({ success: true, http_code: 200 });
    expect(ok.active_events_closed).toEqual([opened.eventId]);
    expect(ok.current_state).toBe("Up");
  });

  test("soft delete closes open events with manual_override", async () => {
    const opened = await openEvent(t.db, { blogId: 101, checkType: "http", severity: 4, state: "Down" });
    const res = await call("DELETE", "/api/v1/sites/101", { token: tokens.write });
    expect(res.status).toBe(204);
    const [ev] = await selectRows<{ ended_at: unknown; resolution_reason: string }>(
      t.db,
      sql`SELECT ended_at, resolution_reason FROM jetmon_events WHERE id = ${opened.eventId}`,
    );
    expect(ev!.ended_at).not.toBeNull();
    expect(ev!.resolution_reason).toBe("manual_override");
    const [s] = await selectRows<{ monitor_active: number }>(
      t.db,
      sql`SELECT monitor_active FROM jetpack_monitor_sites WHERE blog_id = 101`,
    );
    expect(Number(s!.monitor_active)).toBe(0);
  });
});

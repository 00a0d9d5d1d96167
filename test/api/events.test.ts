import { beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createKey } from "../../src/api/keys.ts";
import { createApiApp } from "../../src/api/server.ts";
import { run, selectRows } from "../../src/db/sql.ts";
import { closeEvent, openEvent } from "../../src/events/index.ts";
import { silentLogger } from "../../src/log.ts";
import { useTestDatabase } from "../support/db.ts";

const t = useTestDatabase();
let app: ReturnType<typeof createApiApp>["app"];
let read: string;
let write: string;
const ids: number[] = [];

beforeAll(async () => {
  app = createApiApp({ db: t.db, log: silentLogger }).app;
  read = (await createKey(t.db, { consumerName: "r", scope: "read", rateLimitPerMinute: 1000 })).token;
  write = (await createKey(t.db, { consumerName: "w", scope: "write", rateLimitPerMinute: 1000 })).token;
  await run(
    t.db,
    sql`INSERT INTO jetpack_monitor_sites (blog_id, monitor_url, monitor_active) VALUES (5, 'http://a.test', 1), (6, 'http://b.test', 1)`,
  );
  // Five closed http events, one open http Down, one open tls_expiry Warning on site 5; one on site 6.
  for (let i = 0; i < 5; i++) {
    const e = await openEvent(t.db, {
      blogId: 5,
      checkType: "http",
      severity: 3,
      state: "Seems Down",
      metadata: { http_code: 500, error_code: 0 },
    });
    await closeEvent(t.db, e.eventId, { reason: "verifier_cleared" });
    ids.push(e.eventId);
  }
  ids.push((await openEvent(t.db, { blogId: 5, checkType: "http", severity: 4, state: "Down" })).eventId);
  ids.push(
    (await openEvent(t.db, { blogId: 5, checkType: "tls_expiry", severity: 1, state: "Warning" })).eventId,
  );
  ids.push((await openEvent(t.db, { blogId: 6, checkType: "http", severity: 4, state: "Down" })).eventId);
});

const get = async (path: string, token = read) =>
  app.handle(new Request(`http://api.test${path}`, { headers: { authorization: `Bearer ${token}` } }));
type List = {
  data: { id: number; state: string; check_type: string; metadata: unknown }[];
  page: { next: string | null; limit: number };
};

async function code(res: Response) {
  return [res.status, ((await res.json()) as { error: { code: string } }).error.code];
}

describe("site events", () => {
  test("newest first, cursor paging backward", async () => {
    const p1 = (await (await get("/api/v1/sites/5/events?limit=4")).json()) as List;
    expect(p1.data.map((e) => e.id)).toEqual(ids.slice(3, 7).reverse());
    const p2 = (await (await get(`/api/v1/sites/5/events?limit=4&cursor=${p1.page.next}`)).json()) as List;
    expect(p2.data.map((e) => e.id)).toEqual(ids.slice(0, 3).reverse());
    expect(p2.page.next).toBeNull();
  });

  test.each([
    ["active=true", [6, 5]],
    ["active=0", [4, 3, 2, 1, 0]],
    ["state=Down", [5]],
    ["state__in=Down,Warning", [6, 5]],
    ["check_type=tls_expiry", [6]],
    ["check_type__in=http&active=true", [5]],
  ])("%s", async (q, want) => {
    const body = (await (await get(`/api/v1/sites/5/events?${q}`)).json()) as List;
    expect(body.data.map((e) => e.id)).toEqual(want.map((i) => ids[i]!));
  });

  test("started_at window", async () => {
    const all = (await (
      await get(
        "/api/v1/sites/5/events?started_at__gte=2000-01-01T00:00:00Z&started_at__lt=2999-01-01T00:00:00Z",
      )
    ).json()) as List;
    expect(all.data.length).toBe(7);
    const none = (await (
      await get("/api/v1/sites/5/events?started_at__lt=2000-01-01T00:00:00Z")
    ).json()) as List;
    expect(none.data).toEqual([]);
  });

  test("metadata carries http_code and error_code", async () => {
    const body = (await (await get(`/api/v1/events/${ids[0]}`)).json()) as {
      metadata: unknown;
      transitions: { reason: string }[];
    };
    expect(body.metadata).toEqual({ http_code: 500, error_code: 0 });
    expect(body.transitions.map((t) => t.reason)).toEqual(["opened", "verifier_cleared"]);
  });

  test.each([
    ["/api/v1/sites/5/events?state=Up&state__in=Down", 400, "invalid_state_filter"],
    ["/api/v1/sites/5/events?check_type=a%20b", 400, "invalid_check_type_filter"],
    ["/api/v1/sites/5/events?started_at__gte=yesterday", 400, "invalid_started_at__gte"],
    ["/api/v1/sites/5/events?started_at__lt=2026-02-31T00:00:00Z", 400, "invalid_started_at__lt"],
    ["/api/v1/sites/5/events?active=maybe", 400, "invalid_active"],
    ["/api/v1/sites/5/events?limit=1.5", 400, "invalid_limit"],
    ["/api/v1/sites/5/events?cursor=eyJpZCI6ImEifQ", 400, "invalid_cursor"],
    ["/api/v1/sites/77/events", 404, "site_not_found"],
    ["/api/v1/sites/-1/events", 400, "invalid_site_id"],
    ["/api/v1/sites/5/events/x", 400, "invalid_event_id"],
    ["/api/v1/events/0", 400, "invalid_event_id"],
    ["/api/v1/events/999999", 404, "event_not_found"],
  ])("%s -> %d %s", async (path, status, c) => {
    expect(await code(await get(path))).toEqual([status, c]);
  });

  test("an event of another site is event_not_found", async () => {
    expect(await code(await get(`/api/v1/sites/5/events/${ids[7]}`))).toEqual([404, "event_not_found"]);
  });

  test("transitions: oldest first, cursor forward", async () => {
    const p1 = (await (await get(`/api/v1/sites/5/events/${ids[0]}/transitions?limit=1`)).json()) as {
      data: { reason: string }[];
      page: { next: string | null };
    };
    expect(p1.data.map((t) => t.reason)).toEqual(["opened"]);
    const p2 = (await (
      await get(`/api/v1/sites/5/events/${ids[0]}/transitions?limit=1&cursor=${p1.page.next}`)
    ).json()) as {
      data: { reason: string }[];
      page: { next: string | null };
    };
    expect(p2.data.map((t) => t.reason)).toEqual(["verifier_cleared"]);
    expect(p2.page.next).toBeNull();
  });

  test("close: manual_override by default, already closed unchanged, bad reason 422", async () => {
    const post = (path: string, body?: unknown) =>
      app.handle(
        new Request(`http://api.test${path}`, {
          method: "POST",
          headers: { authorization: `Bearer ${write}`, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
      );
    expect(await code(await post(`/api/v1/sites/5/events/${ids[5]}/close`, { reason: "because" }))).toEqual([
      422,
      "invalid_field",
    ]);
    expect(await code(await post(`/api/v1/sites/5/events/${ids[5]}/close`, { note: 5 }))).toEqual([
      400,
      "invalid_body",
    ]);
    const res = await post(`/api/v1/sites/5/events/${ids[5]}/close`, { note: "fixed the db" });
    expect(res.status).toBe(200);
    const closed = (await res.json()) as {
      resolution_reason: string;
      ended_at: string;
      transitions: { reason: string; source: string; metadata: unknown }[];
    };
    expect(closed.resolution_reason).toBe("manual_override");
    expect(closed.ended_at).toMatch(/Z$/);
    expect(closed.transitions.at(-1)).toMatchObject({
      reason: "manual_override",
      source: "api:w",
      metadata: { note: "fixed the db" },
    });
    const again = await post(`/api/v1/sites/5/events/${ids[5]}/close`);
    expect(((await again.json()) as { transitions: unknown[] }).transitions.length).toBe(
      closed.transitions.length,
    );
    const [n] = await selectRows<{ n: number }>(
      t.db,
      sql`SELECT COUNT(*) AS n FROM jetmon_event_transitions WHERE event_id = ${ids[5]}`,
    );
    expect(Number(n!.n)).toBe(2);
  });
});

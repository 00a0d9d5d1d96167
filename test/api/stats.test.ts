import { beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createKey } from "../../src/api/keys.ts";
import { createApiApp } from "../../src/api/server.ts";
import { parseWindow } from "../../src/api/stats.ts";
import { run } from "../../src/db/sql.ts";
import { silentLogger } from "../../src/log.ts";
import { useTestDatabase } from "../support/db.ts";

const t = useTestDatabase();
const NOW = Date.parse("2026-12-02T12:00:00Z");
let app: ReturnType<typeof createApiApp>["app"];
let token: string;

beforeAll(async () => {
  app = createApiApp({ db: t.db, log: silentLogger, now: () => NOW }).app;
  token = (await createKey(t.db, { consumerName: "r", scope: "read", rateLimitPerMinute: 1000 })).token;
  await run(t.db, sql`INSERT INTO jetpack_monitor_sites (blog_id, monitor_url) VALUES (9, 'http://a.test')`);
  // 36 minutes Down inside the last 24 h (one closed 30 min, one still open since 11:54), one Seems Down ignored.
  await run(
    t.db,
    sql`INSERT INTO jetmon_events (blog_id, check_type, severity, state, started_at, ended_at) VALUES
        (9, 'http', 4, 'Down', '2026-12-02 01:00:00', '2026-12-02 01:30:00'),
        (9, 'http', 4, 'Down', '2026-12-02 11:54:00', NULL),
        (9, 'http', 3, 'Seems Down', '2026-12-02 05:00:00', '2026-12-02 06:00:00')`,
  );
  await run(
    t.db,
    sql`INSERT INTO jetmon_check_history (blog_id, http_code, error_code, rtt_ms, dns_ms, tcp_ms, tls_ms, ttfb_ms, checked_at) VALUES
        (9, 200, 0, 100, 10, 20, 30, 40, '2026-12-02 11:00:00'),
        (9, 200, 0, 300, 30, 40, 50, 60, '2026-12-02 11:30:00'),
        (9, 200, 0, 999, 1, 1, 1, 1, '2026-11-01 00:00:00')`,
  );
});

const get = async (path: string) =>
  app.handle(new Request(`http://api.test${path}`, { headers: { authorization: `Bearer ${token}` } }));

describe("window routes", () => {
  test.each([
    ["", 86_400_000],
    ["window=1h", 3_600_000],
    ["window=1d", 86_400_000],
    ["window=90d", 90 * 86_400_000],
    ["from=2026-12-01T00:00:00Z&to=2026-12-01T06:00:00Z", 6 * 3_600_000],
  ])("parseWindow(%p)", (q, span) => {
    const w = parseWindow(new URLSearchParams(q), NOW);
    expect(w.to - w.from).toBe(span);
  });

  test.each([
    "window=2d",
    "window=",
    "from=2026-12-01T00:00:00Z",
    "from=x&to=y",
    "from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z",
    "window=1h&from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z",
  ])("%p -> invalid_window", async (q) => {
    const res = await get(`/api/v1/sites/9/uptime?${q}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_window");
  });

  test("uptime counts Down time overlapping the window", async () => {
    const body = await (await get("/api/v1/sites/9/uptime")).json();
    expect(body).toEqual({
      blog_id: 9,
      window: { label: "24h", from: "2026-12-01T12:00:00Z", to: "2026-12-02T12:00:00Z" },
      uptime_percent: 97.5,
      downtime_seconds: 36 * 60,
      incidents: 2,
    });
  });

  test("response-time and timing-breakdown read check history in the window", async () => {
    expect(await (await get("/api/v1/sites/9/response-time?window=24h")).json()).toMatchObject({
      checks: 2,
      avg_ms: 200,
      min_ms: 100,
      max_ms: 300,
    });
    expect(await (await get("/api/v1/sites/9/timing-breakdown")).json()).toMatchObject({
      checks: 2,
      avg_dns_ms: 20,
      avg_tcp_ms: 30,
      avg_tls_ms: 40,
      avg_ttfb_ms: 50,
      avg_rtt_ms: 200,
    });
  });

  test("unknown site and bad id", async () => {
    expect((await get("/api/v1/sites/10/uptime")).status).toBe(404);
    expect((await get("/api/v1/sites/x/response-time")).status).toBe(400);
  });
});

/**
 * Window routes (docs/reference/cli-rollout-api.md §3.2): uptime, response-time, timing-breakdown.
 * `window` ∈ 1h, 24h (= 1d), 7d, 30d, 90d (default 24h), or `from` + `to` (RFC 3339);
 * anything else is 400 `invalid_window`. Uptime comes from Down events (severity 4) overlapping
 * the window, so it holds when check history is off; response times from jetmon_check_history.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { selectRows } from "../db/sql.ts";
import { parseRfc3339, rfc3339 } from "../time.ts";
import { ApiError, apiJson } from "./errors.ts";
import { parseId } from "./params.ts";
import { type RouteDef, route } from "./router.ts";

const WINDOWS: Record<string, number> = {
  "1h": 3_600_000,
  "24h": 86_400_000,
  "1d": 86_400_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
  "90d": 90 * 86_400_000,
};

export function parseWindow(q: URLSearchParams, now: number): { from: number; to: number; label: string } {
  const from = q.get("from");
  const to = q.get("to");
  const window = q.get("window");
  if (from !== null || to !== null) {
    if (window !== null) throw new ApiError("invalid_window", "use window or from+to, not both");
    const f = from === null ? undefined : parseRfc3339(from);
    const t = to === null ? undefined : parseRfc3339(to);
    if (f === undefined || t === undefined)
      throw new ApiError("invalid_window", "from and to must both be RFC 3339 times");
    if (t <= f) throw new ApiError("invalid_window", "to must be after from");
    return { from: f, to: t, label: "custom" };
  }
  const w = window ?? "24h";
  const ms = WINDOWS[w];
  if (ms === undefined)
    throw new ApiError(
      "invalid_window",
      `window must be one of 1h, 24h, 1d, 7d, 30d, 90d, got ${JSON.stringify(w)}`,
    );
  return { from: now - ms, to: now, label: w };
}

export function statsRoutes(opts: { db: Db; now?: () => number }): RouteDef[] {
  const db = opts.db;
  const now = opts.now ?? Date.now;
  const prepare = async (params: Record<string, string>, query: URLSearchParams) => {
    const blogId = parseId(params.id, "invalid_site_id", "site id");
    const w = parseWindow(query, now());
    const rows = await selectRows<{ n: number }>(
      db,
      sql`SELECT 1 AS n FROM jetpack_monitor_sites WHERE blog_id = ${blogId} LIMIT 1`,
    );
    if (rows.length === 0) throw new ApiError("site_not_found", `Site ${blogId} does not exist`);
    return { blogId, ...w, window: { label: w.label, from: rfc3339(w.from), to: rfc3339(w.to) } };
  };
  const n = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v) * 100) / 100);

  return [
    route({
      method: "GET",
      path: "/api/v1/sites/:id/uptime",
      scope: "read",
      summary: "Uptime over a window, from Down events",
      queryParams: ["window", "from", "to"],
      handler: async ({ params, query }) => {
        const w = await prepare(params, query);
        const from = new Date(w.from);
        const to = new Date(w.to);
        const [row] = await selectRows<{ down_ms: number | null; incidents: number }>(
          db,
          sql`SELECT COALESCE(SUM(TIMESTAMPDIFF(MICROSECOND, GREATEST(started_at, ${from}),
                     LEAST(COALESCE(ended_at, ${to}), ${to}))), 0) / 1000 AS down_ms, COUNT(*) AS incidents
              FROM jetmon_events WHERE blog_id = ${w.blogId} AND check_type = 'http' AND severity >= 4
                AND started_at < ${to} AND (ended_at IS NULL OR ended_at > ${from})`,
        );
        const total = w.to - w.from;
        const down = Math.min(total, Math.max(0, Number(row?.down_ms ?? 0)));
        return apiJson(200, {
          blog_id: w.blogId,
          window: w.window,
          uptime_percent: Math.round((1 - down / total) * 1e6) / 1e4,
          downtime_seconds: Math.round(down / 1000),
          incidents: Number(row?.incidents ?? 0),
        });
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/sites/:id/response-time",
      scope: "read",
      summary: "Response time (rtt_ms) over a window, from check history",
      queryParams: ["window", "from", "to"],
      handler: async ({ params, query }) => {
        const w = await prepare(params, query);
        const [row] = await selectRows<Record<string, unknown>>(
          db,
          sql`SELECT COUNT(*) AS checks, AVG(rtt_ms) AS avg_ms, MIN(rtt_ms) AS min_ms, MAX(rtt_ms) AS max_ms
              FROM jetmon_check_history WHERE blog_id = ${w.blogId}
                AND checked_at >= ${new Date(w.from)} AND checked_at < ${new Date(w.to)} AND rtt_ms > 0`,
        );
        return apiJson(200, {
          blog_id: w.blogId,
          window: w.window,
          checks: Number(row?.checks ?? 0),
          avg_ms: n(row?.avg_ms),
          min_ms: n(row?.min_ms),
          max_ms: n(row?.max_ms),
        });
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/sites/:id/timing-breakdown",
      scope: "read",
      summary: "Average DNS, TCP, TLS and TTFB over a window, from check history",
      queryParams: ["window", "from", "to"],
      handler: async ({ params, query }) => {
        const w = await prepare(params, query);
        const [row] = await selectRows<Record<string, unknown>>(
          db,
          sql`SELECT COUNT(*) AS checks, AVG(dns_ms) AS dns_ms, AVG(tcp_ms) AS tcp_ms, AVG(tls_ms) AS tls_ms,
                     AVG(ttfb_ms) AS ttfb_ms, AVG(rtt_ms) AS rtt_ms
              FROM jetmon_check_history WHERE blog_id = ${w.blogId}
                AND checked_at >= ${new Date(w.from)} AND checked_at < ${new Date(w.to)}`,
        );
        return apiJson(200, {
          blog_id: w.blogId,
          window: w.window,
          checks: Number(row?.checks ?? 0),
          avg_dns_ms: n(row?.dns_ms),
          avg_tcp_ms: n(row?.tcp_ms),
          avg_tls_ms: n(row?.tls_ms),
          avg_ttfb_ms: n(row?.ttfb_ms),
          avg_rtt_ms: n(row?.rtt_ms),
        });
      },
    }),
  ];
}

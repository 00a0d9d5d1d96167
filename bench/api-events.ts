/**
 * API latency: `GET /api/v1/sites/{id}/events` on a site with 100,000 events.
 *
 *   bun bench/api-events.ts [--events=100000] [--requests=400]
 *
 * A fresh database migrated to latest (on JETMON_TEST_DSN, default root@127.0.0.1:3306), one
 * site with N events (5% open), a read key; then requests through the API app in-process
 * (app.handle, no socket): the first page, pages deep in the cursor chain, and the active /
 * check_type / started_at filters, one at a time. Prints p50 and p99 per shape.
 */
import { sql } from "drizzle-orm";
import { createKey } from "../src/api/keys.ts";
import { encodeCursor } from "../src/api/params.ts";
import { createApiApp } from "../src/api/server.ts";
import { createDb } from "../src/db/client.ts";
import { migrate } from "../src/db/migrate.ts";
import { createPool, parseDsn } from "../src/db/pool.ts";
import { run } from "../src/db/sql.ts";
import { silentLogger } from "../src/log.ts";

const arg = (name: string, dflt: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split("=")[1]) : dflt;
};
const N = arg("events", 100_000);
const REQUESTS = arg("requests", 400);

const server = parseDsn(process.env.JETMON_TEST_DSN || "mysql://root:@127.0.0.1:3306/");
const name = `bench_api_${process.pid}`;
const admin = createPool({ ...server, database: "" });
await admin.query(`CREATE DATABASE \`${name}\``);
const pool = createPool({ ...server, database: name });
const db = createDb(pool);
try {
  await migrate(pool, { print: () => {} });
  await run(
    db,
    sql`INSERT INTO jetpack_monitor_sites (blog_id, monitor_url, monitor_active) VALUES (1, 'http://a.test', 1)`,
  );
  const batch = 5000;
  for (let start = 0; start < N; start += batch) {
    const rows = [];
    for (let i = start; i < Math.min(N, start + batch); i++) {
      const open = i % 20 === 0;
      // One open event per identity: open ones get a unique discriminator.
      rows.push(
        sql`(1, ${i % 10 === 0 ? "tls_expiry" : "http"}, ${open ? `d${i}` : null}, ${i % 5}, ${i % 2 ? "Down" : "Seems Down"},
             ${new Date(Date.UTC(2026, 0, 1) + i * 60_000)}, ${open ? null : new Date(Date.UTC(2026, 0, 1) + i * 60_000 + 30_000)})`,
      );
    }
    await run(
      db,
      sql`INSERT INTO jetmon_events (blog_id, check_type, discriminator, severity, state, started_at, ended_at) VALUES ${sql.join(rows, sql`, `)}`,
    );
  }
  const { token } = await createKey(db, {
    consumerName: "bench",
    scope: "read",
    rateLimitPerMinute: 1_000_000,
  });
  const { app } = createApiApp({ db, log: silentLogger });
  const shapes: Record<string, () => string> = {
    "first page (limit 50)": () => "",
    "deep cursor (limit 50)": () => `cursor=${encodeCursor(1 + Math.floor(Math.random() * N))}`,
    "active=true": () => "active=true",
    "check_type=tls_expiry": () => "check_type=tls_expiry",
    "started_at window, limit 200": () => {
      const from = Date.UTC(2026, 0, 1) + Math.floor(Math.random() * N) * 60_000;
      return `limit=200&started_at__gte=${new Date(from).toISOString()}&started_at__lt=${new Date(from + 3_600_000 * 24).toISOString()}`;
    },
  };
  console.log(`GET /api/v1/sites/1/events, ${N} events, ${REQUESTS} requests per shape`);
  for (const [label, query] of Object.entries(shapes)) {
    const times: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const started = performance.now();
      const res = await app.handle(
        new Request(`http://api.bench/api/v1/sites/1/events?${query()}`, {
          headers: { authorization: `Bearer ${token}` },
        }),
      );
      await res.text();
      if (res.status !== 200) throw new Error(`${label}: HTTP ${res.status}`);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const p = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(1);
    console.log(`  ${label.padEnd(30)} p50 ${p(0.5)} ms  p99 ${p(0.99)} ms`);
  }
} finally {
  await pool.end();
  await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.end();
}

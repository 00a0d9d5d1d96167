/**
 * The fleet routes: hardening (§1.3), the error answers (503, 500 without the database's
 * words), section failures shown red, the query bound and the cache.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Writable } from "node:stream";
import { sql } from "drizzle-orm";
import { Elysia } from "elysia";
import pino from "pino";
import { createDb, type Db } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { createPool, type DbSettings, type Pool } from "../../src/db/pool.ts";
import { killableTransaction } from "../../src/db/sql.ts";
import { emptyCounts } from "../../src/delivery/queue-counts.ts";
import { bounded } from "../../src/fleet/bounded.ts";
import type { FleetSource } from "../../src/fleet/queries.ts";
import { createFleetRoutes, FLEET_PATHS } from "../../src/fleet/routes.ts";
import { createFleetSnapshotter } from "../../src/fleet/snapshot.ts";
import type { FleetOptions } from "../../src/fleet/types.ts";
import { silentLogger } from "../../src/log.ts";
import { createDatabase, dropDatabase } from "../support/db.ts";
import { greenFleet, seedFleet } from "./seed.ts";
import { NOW, row } from "./support.ts";

const OPTIONS: FleetOptions = { bucketTotal: 10, heartbeatGraceSec: 60 };
const get = (app: { handle: (r: Request) => Promise<Response> }, path: string, method = "GET") =>
  app.handle(new Request(`http://localhost${path}`, { method }));

/** A source whose answers the test controls, counting how often each read ran. */
function fakeSource(over: Partial<FleetSource> = {}) {
  const calls = { processes: 0, hosts: 0, delivery: 0, drift: 0 };
  const source: FleetSource = {
    listProcesses: async () => {
      calls.processes++;
      return [row("host-a:monitor", { bucket_ownership: "dynamic jetmon_hosts" })];
    },
    listHosts: async () => {
      calls.hosts++;
      return [{ hostId: "host-a", bucketMin: 0, bucketMax: 9, lastHeartbeat: NOW - 1000, status: "active" }];
    },
    deliveryCounts: async () => {
      calls.delivery++;
      return emptyCounts();
    },
    countProjectionDrift: async () => {
      calls.drift++;
      return 0;
    },
    ...over,
  };
  return { source, calls };
}

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n")) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino({ level: "info" }, stream), lines };
}

const SECURITY_HEADERS = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

describe("hardening", () => {
  const app = createFleetRoutes({
    source: fakeSource().source,
    options: OPTIONS,
    now: () => NOW,
    log: silentLogger,
  });

  test.each(FLEET_PATHS.map((p) => [p]))("GET %s: 200, no-store and security headers", async (path) => {
    const res = await get(app, path);
    expect(res.status).toBe(200);
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) expect(res.headers.get(k)).toBe(v);
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("content-security-policy")).toContain("connect-src 'self'");
  });

  test.each(FLEET_PATHS.map((p) => [p]))("HEAD %s: 200, headers, no body", async (path) => {
    const res = await get(app, path, "HEAD");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.text()).toBe("");
  });

  test.each(
    FLEET_PATHS.flatMap((p) => ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"].map((m) => [p, m] as const)),
  )("%s %s: 405 with Allow", async (path, method) => {
    const res = await get(app, path, method);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.text()).toBe("method not allowed\n");
  });

  test("the page: title, link back to the host page, polls /api/fleet, no external assets", async () => {
    const res = await get(app, "/fleet");
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await res.text();
    expect(html).toContain("<title>Jetmon 2 - Fleet Dashboard</title>");
    expect(html).toContain('Fleet dashboard · <a href="/">host dashboard</a>');
    expect(html).toContain("/api/fleet");
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
  });

  test("no catch-all: other paths fall through to the host app's 404", async () => {
    const host = new Elysia().get("/", () => "host page").use(app);
    expect((await get(host, "/")).status).toBe(200);
    expect((await get(host, "/fleet/extra")).status).toBe(404);
    expect((await get(host, "/api/fleet2")).status).toBe(404);
    expect((await get(host, "/api/unknown")).status).toBe(404);
  });

  test("no source: 503", async () => {
    const none = createFleetRoutes({ db: null, options: OPTIONS, log: silentLogger });
    const res = await get(none, "/api/fleet");
    expect(res.status).toBe(503);
    expect(await res.text()).toBe("fleet dashboard source is not configured\n");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });
});

describe("database failures", () => {
  let settings: DbSettings;
  let pool: Pool;
  let db: Db;

  beforeAll(async () => {
    settings = await createDatabase("jtfleet");
    pool = createPool(settings);
    db = createDb(pool);
    await migrate(pool, { print: () => {} });
    await seedFleet(db, greenFleet());
  });
  afterAll(async () => {
    await pool?.end().catch(() => {});
    if (settings) await dropDatabase(settings.database);
  });

  const app = (logger = silentLogger) =>
    createFleetRoutes({ db, options: { ...OPTIONS, cacheTtlMs: -1 }, now: () => NOW, log: logger });

  test("a failing section is red in its place; the rest still answers", async () => {
    await db.execute(sql`DROP TABLE jetmon_hosts`);
    await db.execute(sql`DROP TABLE jetmon_alert_deliveries`);
    const res = await get(app(), "/api/fleet");
    expect(res.status).toBe(200);
    const f = await res.json();
    expect(f.bucket_coverage.status).toBe("red");
    expect(f.bucket_coverage.mode).toBe("unknown");
    expect(f.bucket_coverage.error).toStartWith("query jetmon_hosts: ");
    expect(f.bucket_coverage.error).toContain("jetmon_hosts");
    expect(f.delivery.status).toBe("red");
    expect(f.delivery.error).toStartWith("alert delivery summary: ");
    expect(f.delivery.tables.map((x: { kind: string }) => x.kind)).toEqual(["webhook"]);
    expect(f.processes).toHaveLength(3);
    expect(f.summary.status).toBe("red");
    expect(f.summary.suggested_next_action).toContain("bucket coverage");
  });

  test("the process list failing is a 500 that does not leak the database error", async () => {
    await db.execute(sql`DROP TABLE jetmon_process_health`);
    const { logger, lines } = capturingLogger();
    const res = await get(app(logger), "/api/fleet");
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).toBe("fleet dashboard query failed\n");
    expect(body).not.toContain("jetmon_process_health");
    expect(body).not.toContain(settings.database);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    // The operator still finds the cause in the log.
    const logged = lines.find((l) => l.msg === "fleet dashboard query failed");
    expect(String(logged?.err)).toContain("jetmon_process_health");
  });
});

describe("query bound", () => {
  test("a section that never answers is red after the bound", async () => {
    const { source } = fakeSource({ listHosts: () => new Promise(() => {}) });
    const snap = await createFleetSnapshotter({
      source,
      options: { ...OPTIONS, queryTimeoutMs: 30 },
      now: () => NOW,
    }).snapshot();
    expect(snap.bucket_coverage).toMatchObject({
      status: "red",
      error: "query jetmon_hosts: timed out after 30ms",
    });
    expect(snap.summary.status).toBe("red");
  });

  test("a process list that never answers is a 500", async () => {
    const { source } = fakeSource({ listProcesses: () => new Promise(() => {}) });
    const { logger, lines } = capturingLogger();
    const app = createFleetRoutes({ source, options: { ...OPTIONS, queryTimeoutMs: 30 }, log: logger });
    const res = await get(app, "/api/fleet");
    expect(res.status).toBe(500);
    expect(lines[0]?.err).toBe("query process health: timed out after 30ms");
  });

  test("the sections get a signal that aborts at the bound", async () => {
    let seen: AbortSignal | undefined;
    const { source } = fakeSource({
      countProjectionDrift: (_total, signal) => {
        seen = signal;
        return new Promise(() => {});
      },
    });
    const snap = await createFleetSnapshotter({
      source,
      options: { ...OPTIONS, queryTimeoutMs: 20 },
    }).snapshot();
    expect(snap.projection_drift).toEqual({
      status: "red",
      count: 0,
      error: "count projection drift: timed out after 20ms",
    });
    expect(seen?.aborted).toBe(true);
  });
});

describe("bounded reads against MariaDB", () => {
  let settings: DbSettings;
  let pool: Pool;
  let db: Db;
  beforeAll(async () => {
    settings = await createDatabase("jtfleet");
    pool = createPool(settings);
    db = createDb(pool);
  });
  afterAll(async () => {
    await pool?.end().catch(() => {});
    if (settings) await dropDatabase(settings.database);
  });

  test("a statement past its bound is given up on and killed", async () => {
    await expect(
      bounded("slow read", 300, (signal) =>
        killableTransaction(db, signal, (tx) => tx.execute(sql`SELECT SLEEP(20) AS s`)),
      ),
    ).rejects.toThrow("slow read: timed out after 300ms");
    // The KILL QUERY frees the connection well before the 20 s sleep would end.
    let running = 1;
    for (let i = 0; i < 50 && running > 0; i++) {
      const [rows] = (await db.execute(
        sql`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(20)%'`,
      )) as unknown as [{ n: number }[]];
      running = Number(rows[0]?.n);
      if (running > 0) await Bun.sleep(100);
    }
    expect(running).toBe(0);
  });

  test("an answer inside the bound comes back; an error keeps its text", async () => {
    const ok = await bounded("read", 2000, (signal) =>
      killableTransaction(db, signal, async (tx) => {
        const [rows] = (await tx.execute(sql`SELECT 41 + 1 AS n`)) as unknown as [{ n: number }[]];
        return Number(rows[0]?.n);
      }),
    );
    expect(ok).toBe(42);
    await expect(
      bounded("read", 2000, (signal) =>
        killableTransaction(db, signal, (tx) => tx.execute(sql`SELECT * FROM no_such_table`)),
      ),
    ).rejects.toThrow(/^read: .*no_such_table/);
  });

  test("an already aborted signal never touches the database", async () => {
    const ac = new AbortController();
    ac.abort(new Error("gone"));
    let ran = false;
    await expect(
      killableTransaction(db, ac.signal, async () => {
        ran = true;
      }),
    ).rejects.toThrow("gone");
    expect(ran).toBe(false);
  });
});

describe("cache", () => {
  test("fresh for 5 s by default, a private copy each time, rebuilt after", async () => {
    const { source, calls } = fakeSource();
    let now = NOW;
    const s = createFleetSnapshotter({ source, options: OPTIONS, now: () => now });
    const first = await s.snapshot();
    expect(calls).toEqual({ processes: 1, hosts: 1, delivery: 2, drift: 1 });

    first.processes.pop();
    first.summary.status = "red";
    first.process_counts.monitor = 99;
    first.bucket_coverage.hosts?.pop();
    first.delivery.tables?.pop();
    now = NOW + 4999;
    const second = await s.snapshot();
    expect(calls.processes).toBe(1);
    expect(second.processes).toHaveLength(1);
    expect(second.summary.status).toBe("green");
    expect(second.process_counts).toEqual({ monitor: 1 });
    expect(second.bucket_coverage.hosts).toHaveLength(1);
    expect(second.delivery.tables).toHaveLength(2);
    expect(second.generated_at).toBe(first.generated_at);

    now = NOW + 5000;
    const third = await s.snapshot();
    expect(calls.processes).toBe(2);
    expect(third.generated_at).toBe("2026-04-30T12:00:05Z");
  });

  test("concurrent requests share one build", async () => {
    const { source, calls } = fakeSource();
    const s = createFleetSnapshotter({ source, options: OPTIONS, now: () => NOW });
    const all = await Promise.all([s.snapshot(), s.snapshot(), s.snapshot()]);
    expect(calls.processes).toBe(1);
    expect(all[0]).toEqual(all[2]!);
    expect(all[0]).not.toBe(all[1]);
  });

  test("a failure is cached for the TTL too, then retried", async () => {
    let fail = true;
    const { source, calls } = fakeSource({
      listProcesses: async () => {
        calls.processes++;
        if (fail) throw new Error("query process health: boom");
        return [];
      },
    });
    let now = NOW;
    const app = createFleetRoutes({ source, options: OPTIONS, now: () => now, log: silentLogger });
    expect((await get(app, "/api/fleet")).status).toBe(500);
    fail = false;
    now += 1000;
    expect((await get(app, "/api/fleet")).status).toBe(500);
    expect(calls.processes).toBe(1);
    now += 5000;
    expect((await get(app, "/api/fleet")).status).toBe(200);
    expect(calls.processes).toBe(2);
  });

  test("changed options (config reload) and reset() skip the cache; a negative TTL disables it", async () => {
    const { source, calls } = fakeSource();
    let opts: FleetOptions = { ...OPTIONS };
    const s = createFleetSnapshotter({ source, options: () => opts, now: () => NOW });
    await s.snapshot();
    await s.snapshot();
    expect(calls.processes).toBe(1);
    opts = { ...OPTIONS, heartbeatGraceSec: 120 };
    await s.snapshot();
    expect(calls.processes).toBe(2);
    s.reset();
    await s.snapshot();
    expect(calls.processes).toBe(3);

    const off = createFleetSnapshotter({ source, options: { ...OPTIONS, cacheTtlMs: -1 }, now: () => NOW });
    await off.snapshot();
    await off.snapshot();
    expect(calls.processes).toBe(5);
  });
});

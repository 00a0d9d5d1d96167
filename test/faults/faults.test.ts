/**
 * The fault suite (issue 15): the compiled dist/jetmon2 against a private mariadbd the suite
 * kills, freezes and sets read-only. Each scenario proves itself with counts: requests the site
 * fixture answered = history rows written, one event per down site, one WPCOM send per change.
 * The waits are scaled (query timeout 800 ms, checks every second, outages of seconds), the
 * counts are not. Each scenario has its own mariadbd, database, WPCOM receiver and site counts, so
 * the scenarios run at once (`test.concurrent`): one scenario's outage is invisible to the others.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate } from "../../src/db/migrate.ts";
import { createPool } from "../../src/db/pool.ts";
import {
  DB_PASSWORD,
  DB_USER,
  ensureBinary,
  faultDb,
  Jetmon,
  killLeftovers,
  type PrivateMariadb,
  startSites,
  startWpcom,
  waitUntil,
} from "./support.ts";

const sites = startSites();
const work = mkdtempSync(join(tmpdir(), "jetmon-faults-"));
const servers: { stop: () => void }[] = [];
const dbs: PrivateMariadb[] = [];
let n = 0;

beforeAll(async () => {
  await ensureBinary();
}, 120_000);

// A failed scenario's children are left to here: they hold only their own scenario's mariadbd,
// database and fixtures, so they cannot disturb another scenario.
afterAll(async () => {
  await killLeftovers();
  await Promise.all(dbs.map((d) => d.destroy()));
  sites.stop();
  for (const s of servers) s.stop();
  rmSync(work, { recursive: true, force: true });
});

interface Scenario {
  name: string;
  cwd: string;
  env: Record<string, string>;
  /** The scenario's own mariadbd, free to kill, freeze and set read-only. */
  db: PrivateMariadb;
  /** The scenario's own WPCOM receiver. */
  wpcom: ReturnType<typeof startWpcom>;
  start: (over?: Record<string, string>) => Jetmon;
  history: () => Promise<number>;
}

/** A fresh mariadbd and database with `count` sites at the fixture, and a way to start monitors on it. */
async function scenario(count: number, config: Record<string, unknown> = {}): Promise<Scenario> {
  const name = `f${n++}`;
  const db = faultDb();
  dbs.push(db);
  await db.install();
  const wpcom = startWpcom();
  servers.push(wpcom);
  await db.query("", `CREATE DATABASE ${name}`);
  const pool = createPool({
    host: "127.0.0.1",
    port: db.port,
    user: DB_USER,
    password: DB_PASSWORD,
    database: name,
  });
  try {
    await migrate(pool, { print: () => {} });
  } finally {
    await pool.end();
  }
  const values = Array.from(
    { length: count },
    (_, i) => `(${1000 + i}, ${i % 10}, '${sites.url(name, 1000 + i)}', 1, 1, 1)`,
  ).join(",");
  if (count > 0)
    await db.query(
      name,
      `INSERT INTO jetpack_monitor_sites (blog_id, bucket_no, monitor_url, monitor_active, site_status, check_interval) VALUES ${values}`,
    );
  const cwd = mkdtempSync(join(work, `${name}-`));
  await Bun.write(
    join(cwd, "config.json"),
    JSON.stringify({
      AUTH_TOKEN: "fault-token",
      NUM_WORKERS: 8,
      CHECK_INTERVAL_SEC: 1,
      TIME_BETWEEN_CHECKS_SEC: 1,
      NUM_OF_CHECKS: 2,
      NET_COMMS_TIMEOUT: 2,
      BUCKET_TOTAL: 10,
      BUCKET_TARGET: 10,
      PINNED_BUCKET_MIN: 0,
      PINNED_BUCKET_MAX: 9,
      ALERT_COOLDOWN_MINUTES: 0,
      DASHBOARD_PORT: 0,
      STATSD_ADDR: "",
      WORKER_MAX_MEM_MB: 0,
      STATS_UPDATE_INTERVAL_MS: 500,
      DB_QUERY_TIMEOUT_MS: 800,
      DATA_DIR: join(cwd, "data"),
      WPCOM_STATUS_ENDPOINT: wpcom.url,
      ...config,
    }),
  );
  const env = {
    DB_HOST: "127.0.0.1",
    DB_PORT: String(db.port),
    DB_USER,
    DB_PASSWORD,
    DB_NAME: name,
    JETMON_PID_FILE: join(cwd, "jetmon2.pid"),
    JETMON_HOSTNAME: `${name}-host`,
    JETMON_DRAIN_TIMEOUT_MS: "5000",
  };
  return {
    name,
    cwd,
    env,
    db,
    wpcom,
    start: (over = {}) =>
      new Jetmon(["--mode=monitor", "--config", join(cwd, "config.json")], { cwd, env: { ...env, ...over } }),
    history: async () =>
      Number((await db.query<{ n: number }>(name, "SELECT COUNT(*) AS n FROM jetmon_check_history"))[0]?.n),
  };
}

/** Starts a monitor on `s` and waits until `rows` results are in MySQL; `base` counts requests before. */
async function checking(s: Scenario, rows: number): Promise<{ base: number; mon: Jetmon }> {
  const base = sites.answered(s.name);
  const mon = s.start();
  await mon.waitMsg("monitor running");
  await waitUntil("history rows", async () => (await s.history()) >= rows);
  return { base, mon };
}

/** Requests the fixture answered for `s` since `base`. */
const answeredSince = (s: Scenario, base: number) => sites.answered(s.name) - base;

describe("fault suite: the compiled monitor against a private mariadbd", () => {
  test.concurrent("1. SIGKILL mysqld mid-round, down a while: checks pause, nothing is lost, recovery by itself", async () => {
    const s = await scenario(20);
    const { base, mon } = await checking(s, 20);
    await s.db.kill();
    try {
      await mon.waitMsg("mysql unreachable, checks paused");
      await Bun.sleep(500); // in-flight checks settle
      const paused = sites.answered(s.name);
      await Bun.sleep(2500);
      expect(sites.answered(s.name)).toBe(paused);
    } finally {
      await s.db.start();
    }
    await mon.waitMsg("mysql reachable again, checks resumed", 30_000);
    await Bun.sleep(1000);
    mon.signal("SIGTERM");
    expect(await mon.exited).toBe(0);
    expect(await s.history()).toBe(answeredSince(s, base));
    expect(mon.count("mysql unreachable, checks paused")).toBe(1);
  }, 60_000);

  test.concurrent("2. SIGSTOP mysqld: hung queries time out, checks pause, SIGCONT recovers, nothing doubled", async () => {
    const s = await scenario(20);
    const { base, mon } = await checking(s, 20);
    s.db.signal("SIGSTOP");
    try {
      const line = await mon.waitMsg("mysql unreachable, checks paused", 10_000);
      expect(String(line.err)).toMatch(/timeout|ETIMEDOUT/i);
      await Bun.sleep(500);
      const paused = sites.answered(s.name);
      await Bun.sleep(3000);
      expect(sites.answered(s.name)).toBe(paused);
    } finally {
      s.db.signal("SIGCONT");
    }
    await mon.waitMsg("mysql reachable again, checks resumed", 30_000);
    await Bun.sleep(1000);
    mon.signal("SIGTERM");
    expect(await mon.exited).toBe(0);
    expect(await s.history()).toBe(answeredSince(s, base));
  }, 60_000);

  test.concurrent("3. read_only: writes refused are held, dispatch pauses at HELD_RESULTS_MAX, all written after", async () => {
    const s = await scenario(40, { HELD_RESULTS_MAX: 100 });
    const { base, mon } = await checking(s, 40);
    await s.db.setReadOnly(true);
    try {
      const refused = await mon.waitMsg("mysql refuses writes, results held");
      expect(refused.errno).toBe(1290);
      await mon.waitMsg("held results at HELD_RESULTS_MAX, dispatch paused", 15_000);
      await Bun.sleep(300);
      const paused = sites.answered(s.name);
      await Bun.sleep(1500);
      expect(sites.answered(s.name)).toBe(paused);
    } finally {
      await s.db.setReadOnly(false);
    }
    await mon.waitMsg("mysql accepts writes again");
    await mon.waitMsg("held results below HELD_RESULTS_MAX, dispatch resumed");
    await Bun.sleep(1000);
    mon.signal("SIGTERM");
    expect(await mon.exited).toBe(0);
    expect(mon.count("check result refused by mysql, row dropped")).toBe(0);
    expect(await s.history()).toBe(answeredSince(s, base));
  }, 60_000);

  test.concurrent("4. a wrong password and a missing database fail at once with the server's message", async () => {
    const s = await scenario(1);
    const bad = s.start({ DB_PASSWORD: "wrong" });
    expect(await bad.exited).toBe(1);
    expect(bad.stderr).toContain(`Access denied for user '${DB_USER}'`);
    expect(bad.count("db connect failed, retrying")).toBe(0);
    const missing = s.start({ DB_NAME: "no_such_db" });
    expect(await missing.exited).toBe(1);
    expect(missing.stderr).toContain("Unknown database 'no_such_db'");
    expect(missing.count("db connect failed, retrying")).toBe(0);
  }, 30_000);

  test.concurrent("5. SIGTERM while MySQL is down spools the journal; the next start replays it before checking", async () => {
    const s = await scenario(20);
    const { base, mon } = await checking(s, 20);
    await s.db.kill();
    const journal = join(s.cwd, "data", "held-results.journal");
    let spooled: Record<string, unknown>;
    try {
      await mon.waitMsg("mysql unreachable, checks paused");
      await Bun.sleep(500);
      mon.signal("SIGTERM");
      expect(await mon.exited).toBe(1);
      spooled = await mon.waitMsg("held results spooled to the journal");
      expect(Number(spooled.results)).toBeGreaterThan(0);
      expect(existsSync(journal)).toBe(true);
    } finally {
      await s.db.start();
    }
    const again = s.start();
    const replayed = await again.waitMsg("held-results journal replayed");
    expect(replayed.results).toBe(spooled.results);
    await again.waitMsg("monitor running");
    const msgs = again.msgs();
    expect(msgs.indexOf("held-results journal replayed")).toBeLessThan(msgs.indexOf("monitor running"));
    expect(existsSync(journal)).toBe(false);
    await Bun.sleep(1000);
    again.signal("SIGTERM");
    expect(await again.exited).toBe(0);
    expect(await s.history()).toBe(answeredSince(s, base));
    // The first run's `stopped` row, retried, or written by the second start before `running`.
    const [row] = await s.db.query<{ state: string }>(
      s.name,
      "SELECT state FROM jetmon_process_health WHERE process_id = ?",
      [`${s.name}-host:monitor`],
    );
    expect(row?.state).toBe("stopped");
  }, 60_000);

  test.concurrent("6. SIGTERM during a busy round, and a double SIGTERM: one drain, every result written", async () => {
    const s = await scenario(60);
    const { base, mon } = await checking(s, 60);
    mon.signal("SIGTERM");
    mon.signal("SIGTERM");
    expect(await mon.exited).toBe(0);
    expect(mon.count("received shutdown signal, draining")).toBe(1);
    expect(mon.count("shutdown complete")).toBe(1);
    expect(await s.history()).toBe(answeredSince(s, base));
  }, 30_000);

  test.concurrent("7. SIGKILL the monitor with open events and restart: no duplicate event, no duplicate WPCOM send", async () => {
    const s = await scenario(0);
    // Three sites that are down (the fixture has no such port): each opens one event.
    await s.db.query(
      s.name,
      "INSERT INTO jetpack_monitor_sites (blog_id, bucket_no, monitor_url, monitor_active, site_status, check_interval) VALUES (7001, 1, 'http://127.0.0.1:1/', 1, 1, 1), (7002, 2, 'http://127.0.0.1:1/', 1, 1, 1), (7003, 3, 'http://127.0.0.1:1/', 1, 1, 1)",
    );
    const sent = s.wpcom.bodies.length;
    const first = s.start();
    await first.waitMsg("monitor running");
    const openEvents = async () =>
      s.db.query<{ blog_id: number; n: number }>(
        s.name,
        "SELECT blog_id, COUNT(*) AS n FROM jetmon_events WHERE ended_at IS NULL GROUP BY blog_id ORDER BY blog_id",
      );
    await waitUntil("three open events", async () => (await openEvents()).length === 3);
    await waitUntil("three WPCOM sends", () => s.wpcom.bodies.length - sent >= 3, 20_000);
    first.signal("SIGKILL");
    await first.exited;
    const second = s.start();
    await second.waitMsg("monitor running");
    await Bun.sleep(4000); // several rounds of failing checks on the seeded events
    second.signal("SIGTERM");
    expect(await second.exited).toBe(0);
    expect((await openEvents()).map((r) => [Number(r.blog_id), Number(r.n)])).toEqual([
      [7001, 1],
      [7002, 1],
      [7003, 1],
    ]);
    const all = await s.db.query<{ n: number }>(s.name, "SELECT COUNT(*) AS n FROM jetmon_events");
    expect(Number(all[0]?.n)).toBe(3);
    const ours = s.wpcom.bodies.slice(sent) as { blog_id?: number }[];
    const perBlog = new Map<number, number>();
    for (const b of ours) perBlog.set(Number(b?.blog_id), (perBlog.get(Number(b?.blog_id)) ?? 0) + 1);
    expect([...perBlog.values()].every((v) => v === 1)).toBe(true);
  }, 60_000);

  test.concurrent("8-9. a deliverer across a MySQL outage sends each delivery once; a webhook 307 elsewhere is a failed attempt", async () => {
    const s = await scenario(0);
    const good: string[] = [];
    let stolen = 0;
    const receiver = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        good.push(req.headers.get("X-Jetmon-Delivery") ?? "");
        return new Response("ok");
      },
    });
    const elsewhere = Bun.serve({
      hostname: "127.0.0.2",
      port: 0,
      fetch() {
        stolen++;
        return new Response("ok");
      },
    });
    const redirecting = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () =>
        new Response(null, { status: 307, headers: { location: `http://127.0.0.2:${elsewhere.port}/x` } }),
    });
    const transition = (blog: number) =>
      s.db.query(
        s.name,
        "INSERT INTO jetmon_event_transitions (event_id, blog_id, severity_after, state_after, reason, source, changed_at) VALUES (?, ?, 4, 'Down', 'opened', 'local', CURRENT_TIMESTAMP(3) - INTERVAL 3 SECOND)",
        [blog, blog],
      );
    const webhook = (url: string) =>
      s.db.query(
        s.name,
        "INSERT INTO jetmon_webhooks (url, active, events, site_filter, state_filter, secret, secret_preview, created_by) VALUES (?, 1, NULL, '{}', '{}', 'whsec_faultsuiteTESTSECRET', 'CRET', 'faults')",
        [url],
      );
    try {
      await webhook(`http://127.0.0.1:${receiver.port}/hook`);
      await webhook(`http://127.0.0.1:${redirecting.port}/hook`);
      for (const b of [1, 2, 3]) await transition(b);
      await Bun.write(
        join(s.cwd, "config.json"),
        JSON.stringify({ ...(await Bun.file(join(s.cwd, "config.json")).json()), DELIVERY_REPLAY_FROM: 0 }),
      );
      const dlv = new Jetmon(["--mode=deliverer", "--config", join(s.cwd, "config.json")], {
        cwd: s.cwd,
        env: { ...s.env, JETMON_HOSTNAME: `${s.name}-dlv` },
      });
      await waitUntil("three deliveries", () => good.length >= 3, 20_000);
      // Attempts recorded, to both webhooks (the redirected ones run beside the good ones).
      const attempted = async () =>
        Number(
          (
            await s.db.query<{ n: number }>(
              s.name,
              "SELECT COUNT(*) AS n FROM jetmon_webhook_deliveries WHERE last_status_code IS NOT NULL",
            )
          )[0]?.n,
        );
      // Killed between send and record, an attempt would stay leased past this scenario.
      await waitUntil("six attempts recorded", async () => (await attempted()) >= 6, 20_000);
      await s.db.kill();
      try {
        await Bun.sleep(2500);
      } finally {
        await s.db.start();
      }
      for (const b of [4, 5]) await transition(b);
      await waitUntil("five deliveries", () => good.length >= 5, 30_000);
      await Bun.sleep(1500); // a duplicate would arrive by now
      await waitUntil("ten attempts recorded", async () => (await attempted()) >= 10, 20_000).catch((e) => {
        // Say which attempt went unrecorded (a failed outcome write leaves its row leased).
        throw new Error(`${e}; deliverer log: ${JSON.stringify(dlv.lines.slice(-30))}`);
      });
      dlv.signal("SIGTERM");
      expect(await dlv.exited).toBe(0);
      expect(good.length).toBe(5);
      expect(new Set(good).size).toBe(5);
      expect(stolen).toBe(0);
      const rows = await s.db.query<{
        url: string;
        status: string;
        last_status_code: number;
        last_response: string;
      }>(
        s.name,
        "SELECT w.url, d.status, d.last_status_code, d.last_response FROM jetmon_webhook_deliveries d JOIN jetmon_webhooks w ON w.id = d.webhook_id ORDER BY d.id",
      );
      const redirected = rows.filter((r) => r.url.includes(String(redirecting.port)));
      expect(redirected).toHaveLength(5);
      for (const r of redirected) {
        expect(r.status).toBe("pending");
        expect(Number(r.last_status_code)).toBe(307);
        expect(r.last_response).toStartWith("redirect not followed (status 307");
      }
      expect(rows.filter((r) => r.status === "delivered")).toHaveLength(5);
    } finally {
      receiver.stop(true);
      elsewhere.stop(true);
      redirecting.stop(true);
    }
  }, 90_000);
});

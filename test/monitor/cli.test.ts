/** `jetmon2 --mode=monitor` in-process: startup refusals, dashboard figures, SIGHUP, SIGTERM drain. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { CliContext } from "../../src/cli/context.ts";
import { createMonitorCommand, type MonitorRuntime } from "../../src/cli/monitor.ts";
import { silentLogger } from "../../src/log.ts";
import { createDatabase, dropDatabase, useTestDatabase } from "../support/db.ts";
import { type SiteFixture, startSiteFixture } from "../support/sites.ts";
import {
  capturingLogger,
  clearTables,
  rows,
  seedSites,
  startWpcomReceiver,
  type WpcomReceiver,
  waitFor,
} from "./support.ts";

const t = useTestDatabase();
let sites: SiteFixture;
let wpcom: WpcomReceiver;
const dir = mkdtempSync(join(tmpdir(), "jetmon-cli-"));

beforeAll(async () => {
  sites = await startSiteFixture({ addresses: 4 });
  wpcom = startWpcomReceiver();
});
afterAll(async () => {
  wpcom.stop();
  await sites.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function writeConfig(path: string, extra: Record<string, unknown> = {}): void {
  writeFileSync(
    path,
    JSON.stringify({
      AUTH_TOKEN: "cli-token",
      WPCOM_STATUS_ENDPOINT: wpcom.url,
      NUM_WORKERS: 10,
      CHECK_INTERVAL_SEC: 1,
      TIME_BETWEEN_CHECKS_SEC: 1,
      NET_COMMS_TIMEOUT: 3,
      BUCKET_TOTAL: 10,
      BUCKET_TARGET: 10,
      DASHBOARD_PORT: 0,
      STATSD_ADDR: "",
      STATS_UPDATE_INTERVAL_MS: 200,
      WORKER_MAX_MEM_MB: 0,
      VERIFIERS: [],
      ...extra,
    }),
  );
}

function context(configPath: string, env: Record<string, string>, out: string[], err: string[]): CliContext {
  return {
    args: [],
    configPath,
    env: {
      DB_HOST: t.settings.host,
      DB_PORT: String(t.settings.port),
      DB_USER: t.settings.user,
      DB_PASSWORD: t.settings.password,
      DB_NAME: t.settings.database,
      JETMON_PID_FILE: join(dir, "jetmon2.pid"),
      JETMON_HOSTNAME: "cli-host",
      ...env,
    },
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  };
}

describe("monitor command", () => {
  test("an unreadable config exits 1 with load config:", async () => {
    const err: string[] = [];
    const cmd = createMonitorCommand({ log: silentLogger, raiseFetchCap: false });
    expect(await cmd(context(join(dir, "missing.json"), {}, [], err))).toBe(1);
    expect(err[0]).toStartWith("load config: open config:");
  });

  test("refuses a database with pending migrations and says to run migrate", async () => {
    const fresh = await createDatabase();
    try {
      const cfgPath = join(dir, "pending.json");
      writeConfig(cfgPath);
      const err: string[] = [];
      const cmd = createMonitorCommand({ log: silentLogger, raiseFetchCap: false, connectAttempts: 1 });
      expect(await cmd(context(cfgPath, { DB_NAME: fresh.database }, [], err))).toBe(1);
      expect(err.join("\n")).toContain("pending migrations");
      expect(err.join("\n")).toContain("jetmon2 migrate");
      expect(existsSync(join(dir, "jetmon2.pid"))).toBe(false);
    } finally {
      await dropDatabase(fresh.database);
    }
  });

  test("an unreachable database exits 1 with db connect:", async () => {
    const cfgPath = join(dir, "nodb.json");
    writeConfig(cfgPath);
    const err: string[] = [];
    const cmd = createMonitorCommand({ log: silentLogger, raiseFetchCap: false, connectAttempts: 1 });
    expect(await cmd(context(cfgPath, { DB_PORT: "9" }, [], err))).toBe(1);
    expect(err[0]).toStartWith("db connect:");
  });

  test("runs, serves real figures, reloads on SIGHUP, and drains on SIGTERM without losing a result", async () => {
    await clearTables(t.db);
    const n = 40;
    for (let i = 1; i <= n; i++) sites.set(`c${i}`, { kind: "slow", ms: 250 });
    await seedSites(
      t.db,
      Array.from({ length: n }, (_, i) => ({ blogId: 900 + i, url: sites.url(`c${i + 1}`) })),
    );
    const port = await freePort();
    const cfgPath = join(dir, "run.json");
    writeConfig(cfgPath, { DASHBOARD_PORT: port });
    const signals = new EventEmitter();
    let rt: MonitorRuntime | null = null;
    const cap = capturingLogger();
    const cmd = createMonitorCommand({
      signals,
      log: cap.log,
      raiseFetchCap: false,
      onReady: (r) => {
        rt = r;
      },
      timings: { refreshMs: 500, claimMs: 500 },
    });
    const err: string[] = [];
    const running = cmd(context(cfgPath, {}, [], err));
    const ready = await waitFor("ready", () => rt);
    const pidPath = join(dir, "jetmon2.pid");
    expect(readFileSync(pidPath, "utf8")).toBe(`${process.pid}\n`);
    await waitFor("a full round", () => ready.orchestrator.figures().lastRound !== null, {
      timeoutMs: 10_000,
    });
    const state = await waitFor("dashboard state", async () => {
      const s = (await (await fetch(`http://127.0.0.1:${port}/api/state`)).json()) as Record<string, unknown>;
      return Number(s.round_duration_ms) > 0 && Number(s.sites_per_sec) > 0 ? s : null;
    });
    expect(state.hostname).toBe("cli-host");
    expect(state.worker_count).toBe(10);
    expect(state.bucket_ownership).toBe("dynamic jetmon_hosts");
    expect(state.bucket_min).toBe(0);
    expect(state.bucket_max).toBe(9);
    expect(state.uncovered_buckets).toBe(0);
    expect(Number(state.rss_mem_mb)).toBeGreaterThan(0);
    const host = (await (await fetch(`http://127.0.0.1:${port}/api/host`)).json()) as {
      health: { name: string }[];
    };
    expect(host.health.map((h) => h.name)).toContain("mysql");

    // SIGHUP: the new pool size applies at once.
    writeConfig(cfgPath, { DASHBOARD_PORT: port, NUM_WORKERS: 4 });
    signals.emit("SIGHUP");
    await waitFor("pool resized", () => ready.orchestrator.figures().workerCount === 4);

    // SIGTERM while checks are in flight.
    await waitFor("checks in flight", () => ready.orchestrator.figures().activeChecks > 0);
    signals.emit("SIGTERM");
    expect(await running).toBe(0);
    expect(err).toEqual([]);

    const totalHits = Array.from({ length: n }, (_, i) => sites.hits(`c${i + 1}`)).reduce((a, b) => a + b, 0);
    const [hist] = await rows<{ n: number }>(t.db, sql`SELECT COUNT(*) AS n FROM jetmon_check_history`);
    expect(Number(hist!.n)).toBe(totalHits);
    expect(existsSync(pidPath)).toBe(false);
    const [hosts] = await rows<{ n: number }>(t.db, sql`SELECT COUNT(*) AS n FROM jetmon_hosts`);
    expect(Number(hosts!.n)).toBe(0);
    const [ph] = await rows<{ state: string; health_status: string }>(
      t.db,
      sql`SELECT state, health_status FROM jetmon_process_health WHERE process_id = 'cli-host:monitor'`,
    );
    expect(ph).toMatchObject({ state: "stopped", health_status: "amber" });
    expect(cap.msgs()).toContain("received shutdown signal, draining");
    expect(cap.msgs()).toContain("shutdown complete");
  }, 30_000);

  test("a stalled drain is abandoned after the drain timeout with exit 1", async () => {
    await clearTables(t.db);
    sites.set("stall", { kind: "hang" });
    await seedSites(t.db, [{ blogId: 990, url: sites.url("stall"), timeoutSeconds: 30 }]);
    const cfgPath = join(dir, "stall.json");
    writeConfig(cfgPath, { NET_COMMS_TIMEOUT: 30 });
    const signals = new EventEmitter();
    let rt: MonitorRuntime | null = null;
    const cmd = createMonitorCommand({
      signals,
      log: silentLogger,
      raiseFetchCap: false,
      drainTimeoutMs: 1500,
      onReady: (r) => {
        rt = r;
      },
    });
    const running = cmd(context(cfgPath, { JETMON_PID_FILE: join(dir, "stall.pid") }, [], []));
    const ready = await waitFor("ready", () => rt);
    await waitFor("check hanging", () => ready.orchestrator.figures().activeChecks === 1);
    const started = Date.now();
    signals.emit("SIGINT");
    expect(await running).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
  }, 20_000);

  test("runs embedded delivery workers when API_PORT is set and this host owns delivery, and serves /fleet", async () => {
    await clearTables(t.db);
    await t.db.execute(sql`DELETE FROM jetmon_webhooks`);
    const received: { event: string | null; body: string }[] = [];
    const receiver = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        received.push({ event: req.headers.get("x-jetmon-event"), body: await req.text() });
        return new Response("ok");
      },
    });
    try {
      await t.db.execute(
        sql`INSERT INTO jetmon_webhooks (url, active, events, site_filter, state_filter, secret, secret_preview, created_by)
            VALUES (${`http://127.0.0.1:${receiver.port}/hook`}, 1, NULL, '{}', '{}', 'whsec_embedded', 'dded', 'test')`,
      );
      sites.set("embedded-down", { kind: "status", status: 500 });
      await seedSites(t.db, [{ blogId: 995, url: sites.url("embedded-down") }]);
      const port = await freePort();
      const cfgPath = join(dir, "embedded.json");
      writeConfig(cfgPath, {
        DASHBOARD_PORT: port,
        API_PORT: 8090,
        DELIVERY_OWNER_HOST: "cli-host",
        NUM_OF_CHECKS: 1,
      });
      const signals = new EventEmitter();
      let rt: MonitorRuntime | null = null;
      const cap = capturingLogger();
      const cmd = createMonitorCommand({
        signals,
        log: cap.log,
        raiseFetchCap: false,
        onReady: (r) => (rt = r),
      });
      const running = cmd(context(cfgPath, { JETMON_PID_FILE: join(dir, "embedded.pid") }, [], []));
      await waitFor("ready", () => rt);
      expect(cap.msgs()).toContain(
        'delivery_owner_host="cli-host" matched; delivery workers enabled on this host',
      );
      const state = (await (await fetch(`http://127.0.0.1:${port}/api/state`)).json()) as Record<
        string,
        unknown
      >;
      expect(state.delivery_workers_enabled).toBe(true);
      await waitFor("a signed webhook for the outage", () => received.length > 0, { timeoutMs: 15_000 });
      expect(received[0]!.event).toMatch(/^event\./);
      expect(JSON.parse(received[0]!.body).site_id).toBe(995);
      const fleet = await fetch(`http://127.0.0.1:${port}/api/fleet`);
      expect(fleet.status).toBe(200);
      signals.emit("SIGTERM");
      expect(await running).toBe(0);
    } finally {
      receiver.stop(true);
    }
  }, 30_000);

  describe("shutdown order (issue 15)", () => {
    /** A WPCOM receiver that notes the monitor's process_health state when each POST arrives. */
    function orderingReceiver() {
      let mode: "fail" | "ok" | "hang" = "fail";
      const seen: { status: number; state: string | null }[] = [];
      const hung: (() => void)[] = [];
      const server = Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        async fetch() {
          const [row] = await rows<{ state: string }>(
            t.db,
            sql`SELECT state FROM jetmon_process_health WHERE process_id = 'cli-host:monitor'`,
          );
          if (mode === "hang") {
            seen.push({ status: 0, state: row?.state ?? null });
            await new Promise<void>((r) => hung.push(r));
            return new Response("late", { status: 503 });
          }
          const status = mode === "ok" ? 200 : 500;
          seen.push({ status, state: row?.state ?? null });
          return new Response(status === 200 ? "{}" : "boom", { status });
        },
      });
      return {
        url: `http://127.0.0.1:${server.port}/status-change`,
        seen,
        set: (m: typeof mode) => {
          mode = m;
        },
        stop: () => {
          for (const r of hung) r();
          server.stop(true);
        },
      };
    }

    async function runUntilQueued(name: string, receiverUrl: string, extra: Record<string, unknown>) {
      await clearTables(t.db);
      await t.db.execute(sql`DELETE FROM jetmon_process_health`);
      sites.set(name, { kind: "status", status: 500 });
      await seedSites(t.db, [{ blogId: 980, url: sites.url(name) }]);
      const cfgPath = join(dir, `${name}.json`);
      writeConfig(cfgPath, {
        WPCOM_STATUS_ENDPOINT: receiverUrl,
        NUM_OF_CHECKS: 1,
        CHECK_INTERVAL_SEC: 3600,
      });
      const signals = new EventEmitter();
      let rt: MonitorRuntime | null = null;
      const cap = capturingLogger();
      const cmd = createMonitorCommand({
        signals,
        log: cap.log,
        raiseFetchCap: false,
        // No periodic WPCOM flush: only the shutdown's flush can send the queued notification.
        timings: { wpcomFlushMs: 600_000 },
        onReady: (r) => (rt = r),
        ...extra,
      });
      const running = cmd(context(cfgPath, { JETMON_PID_FILE: join(dir, `${name}.pid`) }, [], []));
      const ready = await waitFor("ready", () => rt);
      await waitFor("the down notification queued after WPCOM failed", () =>
        ready.orchestrator.figures().wpcomQueueDepth === 1 ? true : null,
      );
      await waitFor("a heartbeat row", async () => {
        const [row] = await rows<{ state: string }>(
          t.db,
          sql`SELECT state FROM jetmon_process_health WHERE process_id = 'cli-host:monitor'`,
        );
        return row?.state === "running";
      });
      return { signals, running, cap };
    }

    const finalState = async () => {
      const [row] = await rows<{ state: string; health_status: string }>(
        t.db,
        sql`SELECT state, health_status FROM jetmon_process_health WHERE process_id = 'cli-host:monitor'`,
      );
      return row;
    };

    test("a queued WPCOM notification is flushed while the row still says stopping, then stopped is written", async () => {
      const rx = orderingReceiver();
      try {
        const { signals, running } = await runUntilQueued("order-flush", rx.url, {});
        // The first (failed) send may come before the first heartbeat row: only its status is fixed.
        expect(rx.seen.map((s) => s.status)).toEqual([500]);
        expect(["running", null]).toContain(rx.seen[0]?.state ?? null);
        rx.set("ok");
        signals.emit("SIGTERM");
        expect(await running).toBe(0);
        expect(rx.seen.slice(1)).toEqual([{ status: 200, state: "stopping" }]);
        expect(await finalState()).toMatchObject({ state: "stopped", health_status: "amber" });
      } finally {
        rx.stop();
      }
    }, 20_000);

    test("hard stop: a WPCOM flush that hangs past the drain timeout is abandoned, stopped is still written, exit 1", async () => {
      const rx = orderingReceiver();
      try {
        const { signals, running, cap } = await runUntilQueued("order-hard", rx.url, {
          drainTimeoutMs: 1500,
          wpcomTimeoutMs: 20_000,
        });
        rx.set("hang");
        signals.emit("SIGTERM");
        // A second signal during the drain is absorbed, not a second shutdown.
        signals.emit("SIGTERM");
        expect(await running).toBe(1);
        expect(rx.seen.at(-1)).toEqual({ status: 0, state: "stopping" });
        expect(cap.msgs()).toContain("shutdown timeout exceeded, forcing exit");
        expect(cap.msgs()).toContain("shutdown in progress; signal ignored");
        // The pool closed only after the stopped row was written.
        expect(await finalState()).toMatchObject({ state: "stopped", health_status: "amber" });
        expect(signals.eventNames()).toEqual([]);
      } finally {
        rx.stop();
      }
    }, 20_000);
  });
});

/**
 * A database Go jetmon2 migrated (ids 1-26 only, none of this project's migrations): the monitor
 * starts, checks and writes history, and says once in the log and on the dashboard (amber) what
 * is missing. After `migrate`, the next refresh finds the columns and the issue clears.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { createMonitorCommand, type MonitorRuntime } from "../../src/cli/monitor.ts";
import { createDb, type Db } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { MIGRATIONS } from "../../src/db/migrations.ts";
import { createPool, type Pool } from "../../src/db/pool.ts";
import { createDatabase, dropDatabase } from "../support/db.ts";
import { type SiteFixture, startSiteFixture } from "../support/sites.ts";
import {
  capturingLogger,
  rows,
  seedSites,
  startWpcomReceiver,
  type WpcomReceiver,
  waitFor,
} from "./support.ts";

let sites: SiteFixture;
let wpcom: WpcomReceiver;
let settings: Awaited<ReturnType<typeof createDatabase>>;
let pool: Pool;
let db: Db;
const dir = mkdtempSync(join(tmpdir(), "jetmon-goschema-"));

beforeAll(async () => {
  sites = await startSiteFixture({ addresses: 1 });
  wpcom = startWpcomReceiver();
  settings = await createDatabase("jtgo");
  pool = createPool(settings);
  db = createDb(pool);
  await migrate(pool, { migrations: MIGRATIONS.filter((m) => m.id <= 26), print: () => {} });
});
afterAll(async () => {
  wpcom.stop();
  await sites.stop();
  await pool.end().catch(() => {});
  await dropDatabase(settings.database);
  rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("monitor on a Go-migrated database (1-26)", () => {
  test("starts with a warning, checks, shows amber naming the missing columns; migrate clears it", async () => {
    sites.set("up", { kind: "ok", body: "fine" });
    sites.set("down", { kind: "status", status: 500 });
    await seedSites(db, [
      { blogId: 11, url: sites.url("up") },
      { blogId: 12, url: sites.url("down") },
    ]);
    const port = await freePort();
    const cfgPath = join(dir, "config.json");
    writeFileSync(
      cfgPath,
      JSON.stringify({
        AUTH_TOKEN: "t",
        WPCOM_STATUS_ENDPOINT: wpcom.url,
        NUM_WORKERS: 4,
        CHECK_INTERVAL_SEC: 1,
        TIME_BETWEEN_CHECKS_SEC: 1,
        NET_COMMS_TIMEOUT: 3,
        BUCKET_TOTAL: 10,
        BUCKET_TARGET: 10,
        DASHBOARD_PORT: port,
        STATSD_ADDR: "",
        STATS_UPDATE_INTERVAL_MS: 200,
        WORKER_MAX_MEM_MB: 0,
        VERIFIERS: [],
      }),
    );
    const signals = new EventEmitter();
    let rt: MonitorRuntime | null = null;
    const cap = capturingLogger();
    const err: string[] = [];
    const running = createMonitorCommand({
      signals,
      log: cap.log,
      raiseFetchCap: false,
      onReady: (r) => {
        rt = r;
      },
      timings: { refreshMs: 300, claimMs: 500, flushMs: 100 },
    })({
      args: [],
      configPath: cfgPath,
      env: {
        DB_HOST: settings.host,
        DB_PORT: String(settings.port),
        DB_USER: settings.user,
        DB_PASSWORD: settings.password,
        DB_NAME: settings.database,
        JETMON_PID_FILE: join(dir, "jetmon2.pid"),
        JETMON_HOSTNAME: "go-schema-host",
      },
      out: () => {},
      err: (l) => err.push(l),
    });
    try {
      const ready = await waitFor("ready", () => rt);
      // The pending migrations are a warning that names the step, not a refusal.
      const pending = cap.lines.find((l) => String(l.msg).startsWith("database lacks migrations"));
      expect(pending?.level).toBe(40);
      expect(pending?.pending_migrations).toEqual(MIGRATIONS.filter((m) => m.id > 26).map((m) => m.id));
      expect(String(pending?.msg)).toContain("run `jetmon2 migrate`");

      // It checks: history rows for both sites, an http event for the failing one.
      await waitFor("history", async () => {
        const [r] = await rows<{ n: number }>(
          db,
          sql`SELECT COUNT(DISTINCT blog_id) AS n FROM jetmon_check_history WHERE blog_id IN (11, 12)`,
        );
        return Number(r?.n) === 2;
      });
      await waitFor("event", async () => {
        const [r] = await rows<{ n: number }>(
          db,
          sql`SELECT COUNT(*) AS n FROM jetmon_events WHERE blog_id = 12`,
        );
        return Number(r?.n) === 1;
      });
      const missing = [
        "jetpack_monitor_sites.forbidden_keyword",
        "jetpack_monitor_sites.forbidden_keywords",
        "jetmon_check_history.request_method",
      ];
      expect(ready.orchestrator.figures().missingColumns).toEqual(missing);
      const said = cap.lines.filter((l) => String(l.msg).startsWith("database lacks optional columns"));
      expect(said).toHaveLength(1); // once, not per refresh
      expect(said[0]?.missing_columns).toEqual(missing);

      const host = await waitFor("dashboard", async () => {
        const h = (await (await fetch(`http://127.0.0.1:${port}/api/host`)).json()) as {
          state: { schema_missing_columns: string[] };
          summary: { status: string; issues?: string[] };
        };
        return h.state.schema_missing_columns.length > 0 ? h : null;
      });
      expect(host.state.schema_missing_columns).toEqual(missing);
      expect(host.summary.issues).toContain(
        `schema amber: database lacks ${missing.join(", ")}; checks run without them — run jetmon2 migrate`,
      );
      expect(host.summary.status).toBe("amber");

      // jetmon2 migrate while it runs: the next refresh finds the columns, the issue clears.
      await migrate(pool, { print: () => {} });
      await waitFor("columns found", () => ready.orchestrator.figures().missingColumns.length === 0);
      expect(cap.msgs()).toContain("optional columns present");
      // Rows keep landing, now through the insert that names request_method.
      const count = async () => {
        const [r] = await rows<{ n: number }>(db, sql`SELECT COUNT(*) AS n FROM jetmon_check_history`);
        return Number(r?.n);
      };
      const before = await count();
      await waitFor("history after migrate", async () => (await count()) > before + 2);
    } finally {
      signals.emit("SIGTERM");
      expect(await running).toBe(0);
    }
    expect(err).toEqual([]);
  }, 30_000);
});

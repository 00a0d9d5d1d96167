/** Two monitor processes share the buckets; one is killed; the other takes its buckets after the grace. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { inspectPidFile } from "../../src/monitor/pidfile.ts";
import { useTestDatabase } from "../support/db.ts";
import { type SiteFixture, startSiteFixture } from "../support/sites.ts";
import { clearTables, rows, seedSites, startWpcomReceiver, type WpcomReceiver, waitFor } from "./support.ts";

const t = useTestDatabase();
let sites: SiteFixture;
let wpcom: WpcomReceiver;
const dir = mkdtempSync(join(tmpdir(), "jetmon-takeover-"));
const MAIN = join(import.meta.dir, "../../src/main.ts");

beforeAll(async () => {
  sites = await startSiteFixture({ addresses: 2 });
  wpcom = startWpcomReceiver();
});
afterAll(async () => {
  wpcom.stop();
  await sites.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface HostRow {
  host_id: string;
  bucket_min: number;
  bucket_max: number;
}

function spawnMonitor(host: string) {
  const cfgPath = join(dir, `${host}.json`);
  writeFileSync(
    cfgPath,
    JSON.stringify({
      AUTH_TOKEN: "x",
      WPCOM_STATUS_ENDPOINT: wpcom.url,
      NUM_WORKERS: 8,
      CHECK_INTERVAL_SEC: 1,
      BUCKET_TOTAL: 10,
      BUCKET_TARGET: 10,
      BUCKET_HEARTBEAT_GRACE_SEC: 2,
      DASHBOARD_PORT: 0,
      STATSD_ADDR: "",
      WORKER_MAX_MEM_MB: 0,
      VERIFIERS: [],
    }),
  );
  return Bun.spawn(["bun", MAIN, "--config", cfgPath, "--mode=monitor"], {
    env: {
      ...process.env,
      DB_HOST: t.settings.host,
      DB_PORT: String(t.settings.port),
      DB_USER: t.settings.user,
      DB_PASSWORD: t.settings.password,
      DB_NAME: t.settings.database,
      JETMON_HOSTNAME: host,
      JETMON_PID_FILE: join(dir, `${host}.pid`),
      JETMON_LOG_LEVEL: "warn",
    },
    stdout: "ignore",
    stderr: "pipe",
  });
}

test("a killed monitor's buckets move to the living one after the heartbeat grace", async () => {
  await clearTables(t.db);
  const n = 20;
  for (let i = 0; i < n; i++) sites.set(`t${i}`, { kind: "ok" });
  await seedSites(
    t.db,
    Array.from({ length: n }, (_, i) => ({ blogId: 1000 + i, bucketNo: i % 10, url: sites.url(`t${i}`) })),
  );
  const hostRows = () =>
    rows<HostRow>(t.db, sql`SELECT host_id, bucket_min, bucket_max FROM jetmon_hosts ORDER BY host_id`);
  const a = spawnMonitor("host-a");
  const b = spawnMonitor("host-b");
  try {
    await waitFor(
      "both hosts share the buckets",
      async () => {
        const r = await hostRows();
        return (
          r.map((h) => `${h.host_id}:${h.bucket_min}-${h.bucket_max}`).join(" ") === "host-a:0-4 host-b:5-9"
        );
      },
      { timeoutMs: 15_000 },
    );
    a.kill("SIGKILL");
    await a.exited;
    const aSites = Array.from({ length: n }, (_, i) => i).filter((i) => i % 10 <= 4);
    const killedAt = Date.now();
    const before = aSites.map((i) => sites.hits(`t${i}`));
    await waitFor(
      "host-b took every bucket",
      async () => {
        const r = await hostRows();
        return (
          r.length === 1 && r[0]!.host_id === "host-b" && r[0]!.bucket_min === 0 && r[0]!.bucket_max === 9
        );
      },
      { timeoutMs: 15_000 },
    );
    // Not before the grace has passed.
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(1500);
    await waitFor(
      "host-a's sites checked again",
      () => aSites.every((i, k) => sites.hits(`t${i}`) > before[k]!),
      {
        timeoutMs: 10_000,
      },
    );
    expect(inspectPidFile(join(dir, "host-a.pid")).state).toBe("stale");
    b.kill("SIGTERM");
    expect(await b.exited).toBe(0);
    expect(await hostRows()).toEqual([]);
  } finally {
    a.kill("SIGKILL");
    b.kill("SIGKILL");
  }
}, 45_000);

/** MySQL going away mid-run: checks pause, results are kept, everything is written on return. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createDb } from "../../src/db/client.ts";
import { createPool } from "../../src/db/pool.ts";
import { useTestDatabase } from "../support/db.ts";
import { type SiteFixture, startSiteFixture } from "../support/sites.ts";
import { buildOrchestrator } from "./harness.ts";
import {
  capturingLogger,
  clearTables,
  rows,
  seedSites,
  startTcpProxy,
  startWpcomReceiver,
  type WpcomReceiver,
  waitFor,
} from "./support.ts";

const t = useTestDatabase();
let sites: SiteFixture;
let wpcom: WpcomReceiver;

beforeAll(async () => {
  sites = await startSiteFixture({ addresses: 2 });
  wpcom = startWpcomReceiver();
});
afterAll(async () => {
  wpcom.stop();
  await sites.stop();
});

test("MySQL unreachable mid-run: checks pause, no result is lost, the monitor resumes by itself", async () => {
  await clearTables(t.db);
  const n = 20;
  for (let i = 1; i <= n; i++) sites.set(`o${i}`, { kind: "slow", ms: 150 });
  await seedSites(
    t.db,
    Array.from({ length: n }, (_, i) => ({ blogId: 500 + i, url: sites.url(`o${i + 1}`) })),
  );
  const proxy = await startTcpProxy({ host: t.settings.host, port: t.settings.port });
  const pool = createPool({ ...t.settings, host: "127.0.0.1", port: proxy.port });
  const db = createDb(pool);
  const cap = capturingLogger();
  const h = buildOrchestrator(db, { wpcomUrl: wpcom.url, log: cap.log });
  const hits = () => Array.from({ length: n }, (_, i) => sites.hits(`o${i + 1}`)).reduce((a, b) => a + b, 0);
  await h.orch.start();
  try {
    await waitFor("some results", () => h.orch.figures().totalChecked >= n);
    // Cut MySQL while checks are in flight.
    await proxy.cut();
    await waitFor("outage noticed", () => !h.orch.figures().databaseHealthy);
    await waitFor("in-flight checks finish", () => h.orch.figures().activeChecks === 0);
    const paused = hits();
    await h.sleep(1500); // a check interval and a half of monitor time
    expect(hits()).toBe(paused);
    const held = h.orch.figures().pendingWrites;
    expect(held).toBeGreaterThan(0);
    await proxy.restore();
    await waitFor("resumed", () => h.orch.figures().databaseHealthy, { timeoutMs: 10_000 });
    await waitFor("checking again", () => hits() > paused + n);
  } finally {
    await h.drain(10_000);
  }
  const checked = h.orch.figures().totalChecked;
  const [hist] = await rows<{ n: number }>(t.db, sql`SELECT COUNT(*) AS n FROM jetmon_check_history`);
  expect(Number(hist!.n)).toBe(checked);
  // Logged once per episode, with the count held, and once on return.
  const down = cap.lines.filter((l) => l.msg === "mysql unreachable, checks paused");
  expect(down).toHaveLength(1);
  expect(Number(down[0]!.held)).toBeGreaterThan(0);
  expect(cap.msgs().filter((m) => m === "mysql reachable again, checks resumed")).toHaveLength(1);
  await pool.end().catch(() => {});
  await proxy.stop();
}, 30_000);

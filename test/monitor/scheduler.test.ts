import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { useTestDatabase } from "../support/db.ts";
import { type SiteFixture, startSiteFixture } from "../support/sites.ts";
import { buildOrchestrator, TIME_SCALE } from "./harness.ts";
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

beforeAll(async () => {
  sites = await startSiteFixture({ addresses: 4 });
  wpcom = startWpcomReceiver();
});
afterAll(async () => {
  wpcom.stop();
  await sites.stop();
});

describe("scheduler", () => {
  test("keeps every site fresh and writes results in batches", async () => {
    await clearTables(t.db);
    const n = 30;
    for (let i = 1; i <= n; i++) sites.set(`fresh${i}`, { kind: "ok" });
    await seedSites(
      t.db,
      Array.from({ length: n }, (_, i) => ({ blogId: 100 + i, url: sites.url(`fresh${i + 1}`) })),
    );
    const h = buildOrchestrator(t.db, { wpcomUrl: wpcom.url, config: { CHECK_INTERVAL_SEC: 1 } });
    await h.orch.start();
    try {
      await waitFor("every site checked 3 times", () =>
        Array.from({ length: n }, (_, i) => sites.hits(`fresh${i + 1}`)).every((x) => x >= 3),
      );
      // A fixture hit is counted when the request arrives; its result lands in history once the
      // response is back and the writer flushes, so wait for the rows rather than read them once.
      const hist = await waitFor("3 history rows per site", async () => {
        await h.orch.flush();
        const [r] = await rows<{ n: number; blogs: number }>(
          t.db,
          sql`SELECT COUNT(*) AS n, COUNT(DISTINCT blog_id) AS blogs FROM jetmon_check_history`,
        );
        return Number(r!.n) >= 3 * n ? r : undefined;
      });
      expect(Number(hist!.blogs)).toBe(n);
      expect(Number(hist!.n)).toBeGreaterThanOrEqual(3 * n);
      const [stale] = await rows<{ n: number }>(
        t.db,
        // Monitor time: the harness's clock runs ahead of the wall.
        sql`SELECT COUNT(*) AS n FROM jetpack_monitor_sites WHERE last_checked_at IS NULL OR last_checked_at < ${new Date(h.timers.now() - 5000)}`,
      );
      expect(Number(stale!.n)).toBe(0);
      // A site is not checked much more often than its interval.
      const hits = sites.hits("fresh1");
      await h.sleep(1500);
      expect(sites.hits("fresh1") - hits).toBeLessThanOrEqual(3);
      const f = h.orch.figures();
      expect(f.sites).toBe(n);
      expect(f.lastRound).not.toBeNull();
      expect(f.lastRound!.durationMs).toBeGreaterThan(0);
      expect(f.sitesPerSec).toBeGreaterThan(0);
      expect(f.databaseHealthy).toBe(true);
      expect(f.bucketOwnership).toBe("dynamic jetmon_hosts");
      expect(f.uncoveredBuckets).toBe("");
    } finally {
      await h.drain();
    }
    const [host] = await rows<{ n: number }>(t.db, sql`SELECT COUNT(*) AS n FROM jetmon_hosts`);
    expect(Number(host!.n)).toBe(0);
  }, 20_000);

  test("picks up new, changed and removed sites on refresh", async () => {
    await clearTables(t.db);
    sites.set("r1", { kind: "ok" });
    sites.set("r2", { kind: "ok" });
    sites.set("r3", { kind: "ok" });
    await seedSites(t.db, [{ blogId: 1, url: sites.url("r1") }]);
    const h = buildOrchestrator(t.db, { wpcomUrl: wpcom.url });
    await h.orch.start();
    try {
      await waitFor("r1 checked", () => sites.hits("r1") >= 1);
      await seedSites(t.db, [{ blogId: 2, url: sites.url("r2") }]);
      await waitFor("r2 checked after refresh", () => sites.hits("r2") >= 1);
      await t.db.execute(
        sql`UPDATE jetpack_monitor_sites SET monitor_url = ${sites.url("r3")} WHERE blog_id = 1`,
      );
      await waitFor("r1's new URL checked", () => sites.hits("r3") >= 1);
      await t.db.execute(sql`UPDATE jetpack_monitor_sites SET monitor_active = 0 WHERE blog_id = 2`);
      await waitFor("r2 removed", () => h.orch.figures().sites === 1);
      const before = sites.hits("r2");
      await h.sleep(1500);
      expect(sites.hits("r2")).toBe(before);
    } finally {
      await h.drain();
    }
  }, 20_000);

  test("a failing site is retried after TIME_BETWEEN_CHECKS_SEC, not a whole interval", async () => {
    await clearTables(t.db);
    sites.set("flaky", { kind: "status", status: 500 });
    await seedSites(t.db, [{ blogId: 7, url: sites.url("flaky") }]);
    const h = buildOrchestrator(t.db, {
      wpcomUrl: wpcom.url,
      config: { CHECK_INTERVAL_SEC: 3600, TIME_BETWEEN_CHECKS_SEC: 1, NUM_OF_CHECKS: 5 },
    });
    await h.orch.start();
    try {
      await waitFor("three checks within a few seconds", () => sites.hits("flaky") >= 3, {
        timeoutMs: 6000 / TIME_SCALE,
      });
      expect(h.orch.figures().retryQueueSize).toBe(1);
    } finally {
      await h.drain();
    }
  }, 20_000);

  test("memory pressure: a round that ends above WORKER_MAX_MEM_MB runs the next with a tenth fewer workers", async () => {
    await clearTables(t.db);
    sites.set("mem", { kind: "ok" });
    await seedSites(t.db, [{ blogId: 3, url: sites.url("mem") }]);
    let heap = 10;
    const h = buildOrchestrator(t.db, {
      wpcomUrl: wpcom.url,
      config: { NUM_WORKERS: 20, WORKER_MAX_MEM_MB: 50 },
      heapMb: () => heap,
    });
    await h.orch.start();
    try {
      await waitFor("a round", () => h.orch.figures().lastRound !== null);
      expect(h.orch.figures().workerCount).toBe(20);
      heap = 80;
      await waitFor("shrunk", () => h.orch.figures().workerCount === 18);
      heap = 10;
      await waitFor("restored", () => h.orch.figures().workerCount === 20);
    } finally {
      await h.drain();
    }
  }, 20_000);

  test("dispatch lateness is logged on its own clock, with the dispatches since the last line, whether or not a round ended", async () => {
    await clearTables(t.db);
    sites.set("late1", { kind: "ok" });
    // A site that never answers inside the run keeps the round from ending.
    sites.set("late2", { kind: "hang" });
    await seedSites(t.db, [
      { blogId: 21, url: sites.url("late1") },
      { blogId: 22, url: sites.url("late2"), timeoutSeconds: 60 },
    ]);
    const cap = capturingLogger();
    const h = buildOrchestrator(t.db, {
      wpcomUrl: wpcom.url,
      config: { CHECK_INTERVAL_SEC: 1 },
      log: cap.log,
      timings: { latenessMs: 1000 },
    });
    await h.orch.start();
    try {
      await waitFor(
        "two lateness lines",
        () => cap.msgs().filter((m) => m === "dispatch lateness").length >= 2,
      );
      expect(h.orch.figures().lastRound).toBeNull();
      const lines = cap.lines.filter((l) => l.msg === "dispatch lateness");
      for (const l of lines) {
        expect(Number(l.dispatched)).toBeGreaterThan(0);
        expect(Array.isArray(l.buckets)).toBe(true);
        expect((l.buckets as number[]).reduce((a, b) => a + b, 0)).toBe(Number(l.dispatched));
        expect(typeof l.p50_ms).toBe("number");
        expect(typeof l.p99_ms).toBe("number");
      }
    } finally {
      await h.drain(1000);
    }
  }, 20_000);
});

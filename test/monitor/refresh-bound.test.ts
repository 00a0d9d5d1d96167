/**
 * The refresh bound, on the whole orchestrator with a manual clock: a site inserted or
 * deactivated reaches the schedule in the first refresh after the change, a setting changed in
 * place within DEFAULT_CONTENT_EVERY (4) refreshes. Time moves only when the test advances it,
 * one refresh period at a time, so the bound is counted in refreshes, not timed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import type { SiteSet } from "../../src/monitor/site-set.ts";
import { useTestDatabase } from "../support/db.ts";
import { type SiteFixture, startSiteFixture } from "../support/sites.ts";
import { manualTimers } from "../support/timers.ts";
import { buildOrchestrator } from "./harness.ts";
import { clearTables, seedSites, startWpcomReceiver, type WpcomReceiver, waitFor } from "./support.ts";

const t = useTestDatabase();
let sites: SiteFixture;
let wpcom: WpcomReceiver;
const REFRESH_MS = 30_000;

beforeAll(async () => {
  sites = await startSiteFixture({ addresses: 1 });
  wpcom = startWpcomReceiver();
});
afterAll(async () => {
  wpcom.stop();
  await sites.stop();
});

describe("site refresh bound", () => {
  test("new and deactivated sites: one refresh; a setting changed in place: at most 4", async () => {
    await clearTables(t.db);
    for (const name of ["b1", "b2", "b3", "moved"]) sites.set(name, { kind: "ok" });
    await seedSites(t.db, [
      { blogId: 1, url: sites.url("b1") },
      { blogId: 2, url: sites.url("b2") },
    ]);
    // Blog 1 checks hourly, so only a refresh can make it due again.
    await t.db.execute(sql`UPDATE jetpack_monitor_sites SET check_interval = 60 WHERE blog_id = 1`);
    const timers = manualTimers(Date.now());
    const h = buildOrchestrator(t.db, {
      wpcomUrl: wpcom.url,
      timers,
      config: { CHECK_INTERVAL_SEC: 0, USE_VARIABLE_CHECK_INTERVALS: true, MIN_TIME_BETWEEN_ROUNDS_SEC: 60 },
      timings: { refreshMs: REFRESH_MS, claimMs: 3_600_000, driftMs: 3_600_000 },
    });
    // Counts finished refreshes, so each advance waits for its refresh before the next.
    const set = (h.orch as unknown as { siteSet: SiteSet }).siteSet;
    const refresh = set.refresh.bind(set);
    let refreshes = 0;
    set.refresh = async (...args) => {
      const r = await refresh(...args);
      refreshes++;
      return r;
    };
    await h.orch.start();
    try {
      await waitFor("both sites checked once", () => sites.hits("b1") === 1 && sites.hits("b2") === 1);
      expect(refreshes).toBe(1);

      await seedSites(t.db, [{ blogId: 3, url: sites.url("b3") }]);
      await t.db.execute(sql`UPDATE jetpack_monitor_sites SET monitor_active = 0 WHERE blog_id = 2`);
      timers.advance(REFRESH_MS); // the clock moves only here: exactly one refresh
      await waitFor("one refresh: blog 3 in and checked, blog 2 out", () => {
        return refreshes === 2 && h.orch.figures().sites === 2 && sites.hits("b3") === 1;
      });

      // Blog 1: a new URL and a 1-minute interval (due at once), in place.
      await t.db.execute(
        sql`UPDATE jetpack_monitor_sites SET monitor_url = ${sites.url("moved")}, check_interval = 1 WHERE blog_id = 1`,
      );
      for (let n = 3; n <= 6; n++) {
        timers.advance(REFRESH_MS);
        await waitFor(`refresh ${n}`, () => refreshes === n);
      }
      // The clock stands still from here: the change arrived in one of those 4 refreshes.
      await waitFor("blog 1 checked at its new URL", () => sites.hits("moved") >= 1);
      expect(sites.hits("b1")).toBe(1);
      expect(sites.hits("b2")).toBe(1);
    } finally {
      await h.orch.drain(timers.now() + 1);
    }
  }, 20_000);
});

/**
 * The refresh bound, on the whole orchestrator with a manual clock: a site inserted, changed or
 * deactivated reaches the schedule in the first refresh after the change. Time moves only when
 * the test advances it, by exactly one refresh period, so "within one refresh" is proven
 * without timing anything.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
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
  test("new, changed and deactivated sites are in the schedule after one refresh", async () => {
    await clearTables(t.db);
    for (const name of ["b1", "b2", "b3", "moved"]) sites.set(name, { kind: "ok" });
    await seedSites(t.db, [
      { blogId: 1, url: sites.url("b1") },
      { blogId: 2, url: sites.url("b2") },
    ]);
    const timers = manualTimers(Date.now());
    const h = buildOrchestrator(t.db, {
      wpcomUrl: wpcom.url,
      timers,
      // Checks every 45 s of the manual clock, refreshes every 30 s; the claim is not due again.
      config: { CHECK_INTERVAL_SEC: 45 },
      timings: { refreshMs: REFRESH_MS, claimMs: 3_600_000, driftMs: 3_600_000 },
    });
    await h.orch.start();
    try {
      await waitFor("both sites checked once", () => sites.hits("b1") === 1 && sites.hits("b2") === 1);
      expect(h.orch.figures().sites).toBe(2);

      // Insert blog 3, move blog 1 to a new URL, deactivate blog 2, all before one refresh.
      await seedSites(t.db, [{ blogId: 3, url: sites.url("b3") }]);
      await t.db.execute(
        sql`UPDATE jetpack_monitor_sites SET monitor_url = ${sites.url("moved")} WHERE blog_id = 1`,
      );
      await t.db.execute(sql`UPDATE jetpack_monitor_sites SET monitor_active = 0 WHERE blog_id = 2`);

      timers.advance(REFRESH_MS); // +30 s: exactly one refresh, no check due
      await waitFor("the refresh applied: blog 3 in and checked, blog 2 out", () => {
        return h.orch.figures().sites === 2 && sites.hits("b3") === 1;
      });
      timers.advance(15_000); // +45 s: blog 1 due, no refresh in between
      await waitFor("blog 1 checked at its new URL", () => sites.hits("moved") === 1);
      expect(sites.hits("b1")).toBe(1);
      expect(sites.hits("b2")).toBe(1);
    } finally {
      await h.orch.drain(timers.now() + 1);
    }
  }, 20_000);
});

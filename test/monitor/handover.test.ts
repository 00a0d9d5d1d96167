/**
 * A monitor that gives buckets up stops checking their sites at once, and a site load that was
 * under way when it did cannot bring them back (no site checked by two hosts after a handover).
 * The monitor runs on manual timers; the load is held by a table lock from another session.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import mysql from "mysql2/promise";
import { run } from "../../src/db/sql.ts";
import { silentLogger } from "../../src/log.ts";
import { BucketOwner } from "../../src/monitor/buckets.ts";
import { useTestDatabase } from "../support/db.ts";
import { type SiteFixture, startSiteFixture } from "../support/sites.ts";
import { manualTimers } from "../support/timers.ts";
import { buildOrchestrator } from "./harness.ts";
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
  sites = await startSiteFixture({ addresses: 1 });
  wpcom = startWpcomReceiver();
});
afterAll(async () => {
  wpcom.stop();
  await sites.stop();
});

test("buckets given up leave the schedule at once; a load under way does not re-add them", async () => {
  await clearTables(t.db);
  sites.set("ok", { kind: "ok" });
  // Checked a minute ago at a 5 minute interval: nothing is due during the test.
  const recent = new Date(Date.now() - 60_000);
  await seedSites(
    t.db,
    Array.from({ length: 10 }, (_, i) => ({
      blogId: 100 + i,
      bucketNo: i,
      url: sites.url("ok"),
      lastCheckedAt: recent,
    })),
  );
  await run(t.db, sql`UPDATE jetpack_monitor_sites SET check_interval = 5`);
  const timers = manualTimers(Date.now());
  const cap = capturingLogger();
  const h = buildOrchestrator(t.db, {
    hostname: "host-b",
    wpcomUrl: wpcom.url,
    timers,
    log: cap.log,
    config: { CHECK_INTERVAL_SEC: 0 },
    timings: { claimMs: 60_000, refreshMs: 10_000, flushMs: 60_000, pruneMs: 600_000 },
  });
  const lock = await mysql.createConnection({ ...t.settings });
  try {
    await h.orch.start();
    expect(h.orch.figures()).toMatchObject({ sites: 10, bucketMin: 0, bucketMax: 9 });

    // A peer joins: its row is empty until host-b gives half up (it may not take held buckets).
    const peer = new BucketOwner(t.db, "host-a", silentLogger);
    expect(
      (
        await peer.claim({
          BUCKET_TOTAL: 10,
          BUCKET_TARGET: 10,
          BUCKET_HEARTBEAT_GRACE_SEC: 600,
          pinned: null,
        })
      ).blocked,
    ).toBe(true);

    // Hold host-b's next site load: lock the table from another session, add a site in bucket 7
    // (this session may write under its own lock), and let the periodic refresh start.
    await lock.query("LOCK TABLES jetpack_monitor_sites WRITE");
    await lock.query(
      `INSERT INTO jetpack_monitor_sites (blog_id, bucket_no, monitor_url, monitor_active, site_status, check_interval, last_checked_at)
       VALUES (117, 7, ?, 1, 1, 5, ?)`,
      [sites.url("ok"), recent],
    );
    timers.advance(10_000);
    await waitFor("the site load to wait on the lock", async () => {
      const waiting = await rows<{ n: number }>(
        t.db,
        sql`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
            WHERE DB = DATABASE() AND STATE LIKE '%lock%' AND INFO LIKE '%jetpack_monitor_sites%'`,
      );
      return Number(waiting[0]?.n) > 0;
    });

    // host-b claims (members host-a, host-b): its share is 5-9, and 0-4 leave its schedule now,
    // while the load is still held.
    h.orch.configChanged();
    await waitFor("host-b to give 0-4 up", () => h.orch.figures().bucketMin === 5);
    expect(h.orch.figures()).toMatchObject({ sites: 5, bucketMin: 5, bucketMax: 9 });

    // The held load read the old range 0-9; when it ends only the new site in 5-9 is added.
    await lock.query("UNLOCK TABLES");
    await waitFor("the held load to end", () =>
      cap.lines.find((l) => l.msg === "sites loaded" && l.added === 1),
    );
    expect(h.orch.figures().sites).toBe(6);
    const [again] = await Promise.all([
      peer.claim({ BUCKET_TOTAL: 10, BUCKET_TARGET: 10, BUCKET_HEARTBEAT_GRACE_SEC: 600, pinned: null }),
    ]);
    expect(again.range).toEqual({ min: 0, max: 4 });
  } finally {
    await lock.end().catch(() => {});
    await h.orch.drain(timers.now() + 5000);
  }
}, 30_000);

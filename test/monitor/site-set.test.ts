/**
 * The site-set refresh reads a digest per bucket slice and re-reads only the slices whose
 * digest changed. Every kind of change a check cares about must reach the next refresh; the
 * columns the monitor writes itself must not cost a re-read.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createDb, type Db } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { MIGRATIONS } from "../../src/db/migrations.ts";
import { createPool, type Pool } from "../../src/db/pool.ts";
import { ALL_OPTIONAL_COLUMNS, probeOptionalColumns } from "../../src/db/schema-state.ts";
import { Schedule } from "../../src/monitor/schedule.ts";
import { MAX_SLICES, SiteSet, sliceWidth } from "../../src/monitor/site-set.ts";
import { loadSites, onePerBlog, type Site } from "../../src/monitor/sites.ts";
import { createDatabase, dropDatabase, useTestDatabase } from "../support/db.ts";
import { clearTables, seedSites } from "./support.ts";

const t = useTestDatabase();
const RANGE = { min: 0, max: 9 };

const byBlog = (sites: Site[] | null) => new Map((sites ?? []).map((s) => [s.blogId, s]));

/** 30 sites, blog 1..30, bucket blog % 10. */
async function seed30(): Promise<void> {
  await seedSites(
    t.db,
    Array.from({ length: 30 }, (_, i) => ({ blogId: i + 1, url: `http://s${i + 1}.test/` })),
  );
}

describe("sliceWidth", () => {
  test.each([
    ["0-9", 1, { min: 0, max: 9 }],
    ["0-1023", 1, { min: 0, max: 1023 }],
    ["0-1024", 2, { min: 0, max: 1024 }],
    ["500-999", 1, { min: 500, max: 999 }],
    ["0-65535", 64, { min: 0, max: 65535 }],
  ])("%s: %d buckets per slice", (_label, width, range) => {
    expect(sliceWidth(range)).toBe(width);
    expect(Math.ceil((range.max - range.min + 1) / width)).toBeLessThanOrEqual(MAX_SLICES);
  });
});

describe("SiteSet.refresh", () => {
  beforeEach(() => clearTables(t.db));

  test("the first refresh reads every row; an unchanged table reads none", async () => {
    await seed30();
    const set = new SiteSet(1);
    const first = await set.refresh(t.db, RANGE, ALL_OPTIONAL_COLUMNS);
    expect(first.delta?.sites).toHaveLength(30);
    expect(first).toMatchObject({ slicesRead: 10, rowsRead: 30, slices: 10 });
    const again = await set.refresh(t.db, RANGE, ALL_OPTIONAL_COLUMNS);
    expect(again).toEqual({ delta: null, content: true, slicesRead: 0, rowsRead: 0, slices: 10 });
    expect(set.size).toBe(30);
  });

  test("the columns the monitor writes (last_checked_at, ssl_expiry_date, last_alert_sent_at, site_status) cost no re-read", async () => {
    await seed30();
    const set = new SiteSet(1);
    await set.refresh(t.db, RANGE, ALL_OPTIONAL_COLUMNS);
    await t.db.execute(
      sql`UPDATE jetpack_monitor_sites SET last_checked_at = NOW(), ssl_expiry_date = '2030-01-01',
            last_alert_sent_at = NOW(), site_status = 2, last_status_change = NOW()`,
    );
    expect((await set.refresh(t.db, RANGE, ALL_OPTIONAL_COLUMNS)).delta).toBeNull();
  });

  // [what, the UPDATE of blog 3 (bucket 3), what the re-read row shows]
  const changes: [string, string, (s: Site) => unknown, unknown][] = [
    ["monitor_url", "monitor_url = 'http://moved.test/'", (s) => s.url, "http://moved.test/"],
    ["check_interval", "check_interval = 15", (s) => s.checkIntervalMin, 15],
    ["check_keyword NULL -> text", "check_keyword = 'hello'", (s) => s.settings.keyword, "hello"],
    [
      "maintenance_start",
      "maintenance_start = '2030-01-01 00:00:00'",
      (s) => s.settings.maintenanceStart,
      Date.parse("2030-01-01T00:00:00Z"),
    ],
    [
      "maintenance_end",
      "maintenance_end = '2030-01-02 00:00:00'",
      (s) => s.settings.maintenanceEnd,
      Date.parse("2030-01-02T00:00:00Z"),
    ],
    ["custom_headers", `custom_headers = '{"X-A":"1"}'`, (s) => s.settings.customHeaders, { "X-A": "1" }],
    ["timeout_seconds", "timeout_seconds = 4", (s) => s.settings.timeoutSeconds, 4],
    ["redirect_policy", "redirect_policy = 'fail'", (s) => s.settings.redirectPolicy, "fail"],
    ["alert_cooldown_minutes", "alert_cooldown_minutes = 7", (s) => s.settings.alertCooldownMinutes, 7],
    ["forbidden_keyword", "forbidden_keyword = 'casino'", (s) => s.settings.forbidden, ["casino"]],
    ["forbidden_keywords", `forbidden_keywords = '["a","b"]'`, (s) => s.settings.forbidden, ["a", "b"]],
    ["blog_id", "blog_id = 333", (s) => s.siteId > 0, true],
  ];
  for (const [what, set_, read, want] of changes) {
    test(`a change of ${what} is read by the next refresh, one slice only`, async () => {
      await seed30();
      const set = new SiteSet(1);
      await set.refresh(t.db, RANGE, ALL_OPTIONAL_COLUMNS);
      await t.db.execute(sql.raw(`UPDATE jetpack_monitor_sites SET ${set_} WHERE blog_id = 3`));
      const r = await set.refresh(t.db, RANGE, ALL_OPTIONAL_COLUMNS);
      expect(r).toMatchObject({ slicesRead: 1, rowsRead: 3 });
      const site = byBlog(set.all()).get(what === "blog_id" ? 333 : 3);
      expect(site).toBeDefined();
      expect(read(site as Site)).toEqual(want);
      expect(set.all()).toHaveLength(30);
    });
  }

  test("NULL back from a value is a change too", async () => {
    await seedSites(t.db, [{ blogId: 1, url: "http://a/", timeoutSeconds: 5 }]);
    const set = new SiteSet(1);
    await set.refresh(t.db, RANGE, ALL_OPTIONAL_COLUMNS);
    await t.db.execute(sql`UPDATE jetpack_monitor_sites SET timeout_seconds = NULL`);
    const r = await set.refresh(t.db, RANGE, ALL_OPTIONAL_COLUMNS);
    expect(r.delta).not.toBeNull();
    expect(set.all()[0]?.settings.timeoutSeconds).toBeNull();
  });

  test("a new site, a site moved to another bucket and a deactivated site: each in the next refresh", async () => {
    await seed30();
    const set = new SiteSet(1);
    await set.refresh(t.db, RANGE, ALL_OPTIONAL_COLUMNS);
    await seedSites(t.db, [{ blogId: 41, url: "http://new.test/" }]); // bucket 1
    let r = await set.refresh(t.db, RANGE, ALL_OPTIONAL_COLUMNS);
    expect(r).toMatchObject({ slicesRead: 1, rowsRead: 4 });
    expect(byBlog(set.all()).has(41)).toBe(true);

    await t.db.execute(sql`UPDATE jetpack_monitor_sites SET bucket_no = 7 WHERE blog_id = 41`);
    r = await set.refresh(t.db, RANGE, ALL_OPTIONAL_COLUMNS);
    expect(r.slicesRead).toBe(2);
    expect(byBlog(set.all()).get(41)?.bucketNo).toBe(7);
    expect(set.all()).toHaveLength(31);

    await t.db.execute(sql`UPDATE jetpack_monitor_sites SET monitor_active = 0 WHERE blog_id = 41`);
    r = await set.refresh(t.db, RANGE, ALL_OPTIONAL_COLUMNS);
    expect(byBlog(set.all()).has(41)).toBe(false);
    expect(set.all()).toHaveLength(30);
  });

  test("the last site of a slice deactivated: the slice goes", async () => {
    await seedSites(t.db, [
      { blogId: 1, url: "http://a/" },
      { blogId: 2, url: "http://b/" },
    ]);
    const set = new SiteSet(1);
    await set.refresh(t.db, RANGE, ALL_OPTIONAL_COLUMNS);
    await t.db.execute(sql`UPDATE jetpack_monitor_sites SET monitor_active = 0 WHERE blog_id = 2`);
    const r = await set.refresh(t.db, RANGE, ALL_OPTIONAL_COLUMNS);
    expect(set.all().map((s) => s.blogId)).toEqual([1]);
    expect(r).toMatchObject({ slicesRead: 0, rowsRead: 0, slices: 1 });
    await t.db.execute(sql`UPDATE jetpack_monitor_sites SET monitor_active = 0`);
    expect((await set.refresh(t.db, RANGE, ALL_OPTIONAL_COLUMNS)).delta?.sites).toEqual([]);
    expect(set.all()).toEqual([]);
  });

  test("a new range reads everything again and keeps nothing from outside it", async () => {
    await seed30();
    const set = new SiteSet(1);
    await set.refresh(t.db, RANGE, ALL_OPTIONAL_COLUMNS);
    const r = await set.refresh(t.db, { min: 0, max: 4 }, ALL_OPTIONAL_COLUMNS);
    expect(r).toMatchObject({ slicesRead: 5, rowsRead: 15 });
    expect(new Set(set.all().map((s) => s.bucketNo))).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(r.delta?.scope).toBe("all");
  });

  test("wide slices (width 64 over 0-65535): a change re-reads one slice of 64 buckets", async () => {
    await seedSites(t.db, [
      { blogId: 1, url: "http://a/", bucketNo: 10 },
      { blogId: 2, url: "http://b/", bucketNo: 63 },
      { blogId: 3, url: "http://c/", bucketNo: 64 },
      { blogId: 4, url: "http://d/", bucketNo: 60000 },
    ]);
    const set = new SiteSet(1);
    const wide = { min: 0, max: 65535 };
    expect((await set.refresh(t.db, wide, ALL_OPTIONAL_COLUMNS)).slices).toBe(3);
    await t.db.execute(sql`UPDATE jetpack_monitor_sites SET monitor_url = 'http://z/' WHERE blog_id = 1`);
    const r = await set.refresh(t.db, wide, ALL_OPTIONAL_COLUMNS);
    expect(r).toMatchObject({ slicesRead: 1, rowsRead: 2 });
    expect(byBlog(set.all()).get(1)?.url).toBe("http://z/");
  });
});

describe("the schedule after each refresh equals a full read", () => {
  beforeEach(() => clearTables(t.db));

  /** What the monitor did before: every row read, one per blog. */
  async function truth(): Promise<Map<number, string>> {
    const picked = onePerBlog(await loadSites(t.db, RANGE, ALL_OPTIONAL_COLUMNS)).sites;
    return new Map(picked.map((s) => [s.siteId, `${s.blogId}|${s.bucketNo}|${s.url}`]));
  }

  // Each step changes the table; then refreshes apply their deltas to the schedule until it
  // equals a full read: one refresh for a membership change, at most contentEvery for a
  // setting changed in place.
  const steps: [string, "membership" | "content", string][] = [
    [
      "a second row for blog 5 in another bucket (higher id: ignored)",
      "membership",
      "INSERT INTO jetpack_monitor_sites (blog_id, bucket_no, monitor_url, monitor_active, check_interval) VALUES (5, 8, 'http://dup5/', 1, 5)",
    ],
    [
      "the kept row of blog 5 deactivated: the other one takes over",
      "membership",
      "UPDATE jetpack_monitor_sites SET monitor_active = 0 WHERE blog_id = 5 AND bucket_no = 5",
    ],
    [
      "the first row back: lowest id wins again",
      "membership",
      "UPDATE jetpack_monitor_sites SET monitor_active = 1 WHERE blog_id = 5 AND bucket_no = 5",
    ],
    [
      "a row of blog 12 moved to blog 13's bucket and blog",
      "membership",
      "UPDATE jetpack_monitor_sites SET blog_id = 13, bucket_no = 3 WHERE blog_id = 12",
    ],
    [
      "a URL change",
      "content",
      "UPDATE jetpack_monitor_sites SET monitor_url = 'http://changed/' WHERE blog_id = 20",
    ],
    [
      "a keyword and a URL change in one slice",
      "content",
      "UPDATE jetpack_monitor_sites SET check_keyword = 'k', monitor_url = 'http://k/' WHERE blog_id IN (1, 11)",
    ],
    [
      "a bucket emptied",
      "membership",
      "UPDATE jetpack_monitor_sites SET monitor_active = 0 WHERE bucket_no = 7",
    ],
    [
      "rows added in every bucket",
      "membership",
      "INSERT INTO jetpack_monitor_sites (blog_id, bucket_no, monitor_url, monitor_active, check_interval) SELECT 100 + seq, seq % 10, CONCAT('http://n', seq, '/'), 1, 5 FROM seq_1_to_20",
    ],
    [
      "the higher dup row of blog 5 deactivated",
      "membership",
      "UPDATE jetpack_monitor_sites SET monitor_active = 0 WHERE blog_id = 5 AND bucket_no = 8",
    ],
  ];

  for (const contentEvery of [1, 4]) {
    test(`content digest every ${contentEvery} refresh(es): each step within its bound, cross-slice duplicates included`, async () => {
      await seed30();
      const set = new SiteSet(contentEvery);
      const schedule = new Schedule(() => 60_000);
      const apply = async () => {
        const r = await set.refresh(t.db, RANGE, ALL_OPTIONAL_COLUMNS);
        if (r.delta)
          schedule.sync(r.delta.sites, Date.now(), 1, r.delta.scope === "all" ? undefined : r.delta.scope);
      };
      let want = await truth();
      const held = () =>
        schedule.size === want.size &&
        [...want].every(([id, row]) => {
          const slot = schedule.get(id);
          return slot !== undefined && `${slot.site.blogId}|${slot.site.bucketNo}|${slot.site.url}` === row;
        });
      await apply();
      expect(held()).toBe(true);
      for (const [name, kind, statement] of steps) {
        await t.db.execute(sql.raw(statement));
        want = await truth();
        let refreshes = 0;
        do {
          await apply();
          refreshes++;
        } while (!held() && refreshes < 10);
        const bound = kind === "membership" ? 1 : contentEvery;
        expect({ name, held: held(), withinBound: refreshes <= bound }).toEqual({
          name,
          held: true,
          withinBound: true,
        });
      }
    });
  }
});

describe("SiteSet on a Go-migrated database (no forbidden_keyword columns)", () => {
  let settings: Awaited<ReturnType<typeof createDatabase>>;
  let pool: Pool;
  let db: Db;
  beforeAll(async () => {
    settings = await createDatabase("jtgoset");
    pool = createPool(settings);
    db = createDb(pool);
    await migrate(pool, { migrations: MIGRATIONS.filter((m) => m.id <= 26), print: () => {} });
  });
  afterAll(async () => {
    await pool.end().catch(() => {});
    await dropDatabase(settings.database);
  });

  test("the digest leaves out the absent columns; changes are still seen; after migrate everything is read again", async () => {
    await seedSites(db, [
      { blogId: 1, url: "http://a/" },
      { blogId: 2, url: "http://b/" },
    ]);
    const cols = await probeOptionalColumns(db);
    expect(cols).toMatchObject({ forbiddenKeyword: false, forbiddenKeywords: false });
    const set = new SiteSet(1);
    expect((await set.refresh(db, RANGE, cols)).delta?.sites).toHaveLength(2);
    expect((await set.refresh(db, RANGE, cols)).delta).toBeNull();
    await db.execute(sql`UPDATE jetpack_monitor_sites SET check_keyword = 'x' WHERE blog_id = 2`);
    expect((await set.refresh(db, RANGE, cols)).slicesRead).toBe(1);
    expect(byBlog(set.all()).get(2)?.settings.keyword).toBe("x");
    await migrate(pool, { migrations: MIGRATIONS, print: () => {} });
    const after = await probeOptionalColumns(db);
    expect(after).toMatchObject({ forbiddenKeyword: true, forbiddenKeywords: true });
    expect(await set.refresh(db, RANGE, after)).toMatchObject({ slicesRead: 2, rowsRead: 2 });
  });
});

import { describe, expect, test } from "bun:test";
import { Schedule } from "../../src/monitor/schedule.ts";
import { DEFAULT_SETTINGS, type Site } from "../../src/monitor/sites.ts";

const T0 = Date.parse("2026-05-01T00:00:00Z");
const site = (id: number, o: Partial<Site> = {}): Site => ({
  siteId: id,
  blogId: id,
  bucketNo: 0,
  url: `http://127.0.0.1/s/${id}`,
  siteStatus: 1,
  checkIntervalMin: 1,
  lastCheckedAt: null,
  sslExpiryDate: null,
  lastAlertSentAt: null,
  settings: DEFAULT_SETTINGS,
  ...o,
});
const minutes = (s: Site) => s.checkIntervalMin * 60_000;
const ids = (slots: { site: Site }[]) => slots.map((s) => s.site.siteId);

describe("Schedule", () => {
  test("due = last check + interval; never checked is due now; most overdue first", () => {
    const s = new Schedule(minutes);
    s.sync(
      [
        site(1, { lastCheckedAt: T0 - 30_000 }), // due T0+30s
        site(2, { lastCheckedAt: T0 - 90_000 }), // due T0-30s
        site(3), // due T0
        site(4, { lastCheckedAt: T0 - 600_000 }), // due T0-540s
      ],
      T0,
      1,
    );
    expect(ids(s.takeDue(T0, 10))).toEqual([4, 2, 3]);
    expect(s.nextDue()).toBe(T0 + 30_000);
    expect(s.takeDue(T0 + 29_999, 10)).toEqual([]);
    expect(ids(s.takeDue(T0 + 30_000, 10))).toEqual([1]);
    expect(s.nextDue()).toBeUndefined();
  });

  test("takeDue honours max and never hands out a busy site twice", () => {
    const s = new Schedule(minutes);
    s.sync([site(1), site(2), site(3)], T0, 1);
    const first = s.takeDue(T0, 2);
    expect(first).toHaveLength(2);
    expect(s.overdue(T0)).toBe(1);
    const rest = s.takeDue(T0, 10);
    expect([...ids(first), ...ids(rest)].sort()).toEqual([1, 2, 3]);
    expect(s.takeDue(T0 + 10 * 60_000, 10)).toEqual([]);
    s.release(first[0]!, T0 + 5000);
    expect(s.nextDue()).toBe(T0 + 5000);
    expect(ids(s.takeDue(T0 + 5000, 10))).toEqual([first[0]!.site.siteId]);
  });

  test("sync adds, removes and updates; a busy removed site is not rescheduled", () => {
    const s = new Schedule(minutes);
    s.sync([site(1, { lastCheckedAt: T0 - 120_000 }), site(2)], T0, 1);
    const [busy] = s.takeDue(T0, 1);
    expect(busy!.site.siteId).toBe(1);
    const r = s.sync([site(2, { url: "http://new" }), site(3)], T0, 1);
    expect(r.added.map((x) => x.siteId)).toEqual([3]);
    expect(r.removed.map((x) => x.siteId)).toEqual([1]);
    expect(s.size).toBe(2);
    expect(s.get(2)!.site.url).toBe("http://new");
    s.release(busy!, T0);
    expect(ids(s.takeDue(T0, 10)).sort()).toEqual([2, 3]);
  });

  test("this process's later check time wins over a lagging row", () => {
    const s = new Schedule(minutes);
    s.sync([site(1, { lastCheckedAt: T0 - 120_000 })], T0, 1);
    const [slot] = s.takeDue(T0, 1);
    slot!.lastCheckedAt = T0;
    s.release(slot!, T0 + 60_000);
    s.sync([site(1, { lastCheckedAt: T0 - 120_000 })], T0 + 1000, 1);
    expect(s.get(1)!.lastCheckedAt).toBe(T0);
    expect(s.nextDue()).toBe(T0 + 60_000);
  });

  test("an interval change reschedules idle sites from their last check", () => {
    const s = new Schedule(minutes);
    s.sync([site(1, { lastCheckedAt: T0 }), site(2, { lastCheckedAt: T0 })], T0, 1);
    expect(s.nextDue()).toBe(T0 + 60_000);
    s.rescheduleAll(() => 5000, T0);
    expect(s.nextDue()).toBe(T0 + 5000);
    expect(s.takeDue(T0 + 5000, 10)).toHaveLength(2);
    // A changed check_interval on refresh moves that site only.
    const t = new Schedule(minutes);
    t.sync([site(1, { lastCheckedAt: T0 })], T0, 1);
    t.sync([site(1, { lastCheckedAt: T0, checkIntervalMin: 10 })], T0, 1);
    expect(t.nextDue()).toBe(T0 + 600_000);
  });

  test("dropOutside removes the sites of buckets given up at once; a busy one is not re-queued", () => {
    const s = new Schedule(minutes);
    s.sync([site(1, { bucketNo: 3 }), site(2, { bucketNo: 7 }), site(3, { bucketNo: 8 })], T0, 1);
    const busy = s.takeDue(T0, 1);
    expect(ids(busy)).toEqual([1]);
    s.sync([site(1, { bucketNo: 3 }), site(2, { bucketNo: 7 }), site(3, { bucketNo: 8 })], T0, 1);
    const dropped = s.dropOutside({ min: 5, max: 7 });
    expect(dropped.map((x) => x.siteId).sort()).toEqual([1, 3]);
    expect(s.size).toBe(1);
    s.release(busy[0]!, T0);
    expect(ids(s.takeDue(T0 + 3_600_000, 10))).toEqual([2]);
  });
});

test("takeLateness counts each dispatch once by how late it was taken, then resets", () => {
  const s = new Schedule(minutes);
  // due T0-30s, T0, T0-1.5s
  s.sync(
    [
      site(1, { lastCheckedAt: T0 - 90_000 }),
      site(2, { lastCheckedAt: T0 - 60_000 }),
      site(3, { lastCheckedAt: T0 - 61_500 }),
    ],
    T0,
    1,
  );
  expect(s.takeDue(T0, 10)).toHaveLength(3);
  const late = s.takeLateness();
  expect(late.count).toBe(3);
  expect(late.buckets.reduce((a, b) => a + b, 0)).toBe(3);
  expect(late.p50).toBe(2000);
  expect(late.p99).toBe(30_000);
  expect(s.takeLateness().count).toBe(0);
});

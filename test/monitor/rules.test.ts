import { describe, expect, test } from "bun:test";
import { type StatusType, statusType } from "../../src/check/status-type.ts";
import { RetryQueue } from "../../src/monitor/retry-queue.ts";
import {
  cooldownMinutes,
  cooldownSuppressed,
  escalationVerdict,
  inMaintenance,
  intervalMs,
  quorum,
  timeoutForSite,
} from "../../src/monitor/rules.ts";

const NOW = Date.parse("2026-03-01T12:00:00Z");
const ago = (min: number) => NOW - min * 60_000;

test("timeoutForSite: override (even 0) wins", () => {
  expect(timeoutForSite(null, 10)).toBe(10);
  expect(timeoutForSite(3, 10)).toBe(3);
  expect(timeoutForSite(0, 10)).toBe(0);
});

describe("intervalMs", () => {
  const c = (sec: number, variable: boolean, floor: number) => ({
    CHECK_INTERVAL_SEC: sec,
    USE_VARIABLE_CHECK_INTERVALS: variable,
    MIN_TIME_BETWEEN_ROUNDS_SEC: floor,
  });
  const cases: [string, number, ReturnType<typeof c>, number][] = [
    ["CHECK_INTERVAL_SEC overrides everything", 5, c(2, true, 300), 2000],
    ["fixed: MIN_TIME_BETWEEN_ROUNDS_SEC for all", 10, c(0, false, 300), 300_000],
    ["variable: the site's minutes", 10, c(0, true, 60), 600_000],
    ["variable: never below the floor", 1, c(0, true, 300), 300_000],
    ["variable: 0 minutes counts as 1", 0, c(0, true, 1), 60_000],
  ];
  for (const [name, minutes, cfg, want] of cases)
    test(name, () => expect(intervalMs(minutes, cfg)).toBe(want));
});

describe("inMaintenance (§1.15, bounds exclusive)", () => {
  const cases: [string, number | null, number | null, boolean][] = [
    ["nil/nil", null, null, false],
    ["start only", ago(10), null, false],
    ["end only", null, ago(-10), false],
    ["past-past", ago(20), ago(10), false],
    ["future-future", ago(-10), ago(-20), false],
    ["past-future", ago(10), ago(-10), true],
    ["start == now", NOW, ago(-10), false],
    ["end == now", ago(10), NOW, false],
  ];
  for (const [name, s, e, want] of cases) test(name, () => expect(inMaintenance(s, e, NOW)).toBe(want));
});

describe("cooldown (§1.15)", () => {
  const cases: [string, number | null, number | null, boolean][] = [
    ["zero-value site", null, null, false],
    ["31 min ago, config 30", null, ago(31), false],
    ["5 min ago, config 30", null, ago(5), true],
    ["site 60, 2 min ago", 60, ago(2), true],
    ["site 0 disables", 0, ago(2), false],
    ["epoch zero counts as never", null, 0, false],
  ];
  for (const [name, site, last, want] of cases) {
    test(name, () => expect(cooldownSuppressed(last, cooldownMinutes(site, 30), NOW)).toBe(want));
  }
});

describe("quorum and escalation verdict (§1.9 with the issue's changes)", () => {
  test("quorum = max(1, min(limit, healthy))", () => {
    expect([quorum(3, 0), quorum(3, 1), quorum(3, 2), quorum(3, 5), quorum(2, 2), quorum(0, 4)]).toEqual([
      1, 1, 2, 3, 2, 1,
    ]);
  });
  const cases: [string, number, number, number, number, string][] = [
    ["no verifiers configured: confirm at once", 0, 0, 0, 3, "confirmed"],
    ["2 of 2 confirm, limit 2", 2, 2, 2, 2, "confirmed"],
    ["1 of 2 confirm, limit 2", 2, 2, 1, 2, "false_alarm"],
    ["1 of 1 healthy confirms, limit 3", 2, 1, 1, 3, "confirmed"],
    ["limit 1, one confirms of two", 2, 2, 1, 1, "confirmed"],
    ["no confirmations", 3, 3, 0, 3, "false_alarm"],
    ["every verifier errored", 2, 0, 0, 2, "unverified"],
  ];
  for (const [name, configured, healthy, confirmations, limit, want] of cases) {
    test(name, () =>
      expect(escalationVerdict({ configured, healthy, confirmations, peerOfflineLimit: limit })).toBe(
        want as ReturnType<typeof escalationVerdict>,
      ),
    );
  }
});

describe("RetryQueue (retry_test.go)", () => {
  const fail = (code = 500) => ({
    httpCode: code,
    errorCode: 0,
    rttMs: 5,
    statusType: "server",
    timestamp: new Date(NOW),
  });
  test("record counts and keeps blogId", () => {
    const q = new RetryQueue();
    expect(q.record(7, "u", fail()).failCount).toBe(1);
    const e = q.record(7, "u", fail());
    expect(e.failCount).toBe(2);
    expect(e.blogId).toBe(7);
  });
  test("3 records keep 3 checks; long runs are capped", () => {
    const q = new RetryQueue();
    for (let i = 0; i < 3; i++) q.record(1, "u", fail());
    expect(q.get(1)!.checks).toHaveLength(3);
    for (let i = 0; i < 100; i++) q.record(1, "u", fail());
    expect(q.get(1)!.checks.length).toBeLessThanOrEqual(50);
    expect(q.get(1)!.failCount).toBe(103);
  });
  test("get unknown, clear one, size, allBlogIds", () => {
    const q = new RetryQueue();
    expect(q.get(99)).toBeUndefined();
    expect(q.size).toBe(0);
    q.record(1, "a", fail());
    q.record(2, "b", fail());
    expect(q.size).toBe(2);
    q.clear(1);
    expect(q.size).toBe(1);
    expect(q.get(2)).toBeDefined();
    q.record(3, "c", fail());
    q.record(4, "d", fail());
    expect(q.allBlogIds().sort()).toEqual([2, 3, 4]);
  });
});

describe("statusType (§2.1)", () => {
  const cases: [boolean, number, number, StatusType][] = [
    [true, 0, 200, "success"],
    [true, 7, 200, "success"],
    [false, 3, 0, "https"],
    [false, 6, 200, "https"],
    [false, 1, 0, "intermittent"],
    [false, 4, 0, "redirect"],
    [false, 0, 403, "blocked"],
    [false, 0, 503, "server"],
    [false, 0, 404, "client"],
    [false, 2, 0, "intermittent"],
    [false, 5, 200, "intermittent"],
  ];
  for (const [success, errorCode, httpCode, want] of cases) {
    test(`${success} ${errorCode} ${httpCode} -> ${want}`, () =>
      expect(statusType({ success, errorCode, httpCode })).toBe(want));
  }
});

// Moved from test/config/intervals.test.ts (config/intervals.ts was a dead second home of this rule).
describe("intervalMs: how often a site is checked (docs/configuration.md)", () => {
  const cases: Array<[string, [number, boolean, number], number | null, number]> = [
    ["override wins over everything", [60, true, 300], 10, 60],
    ["override below the floor still wins", [30, false, 300], 5, 30],
    ["fixed intervals: the fleet interval", [0, false, 300], 1, 300],
    ["fixed intervals ignore the site", [0, false, 120], 30, 120],
    ["variable: the site's minutes", [0, true, 60], 5, 300],
    ["variable: floored at MIN_TIME_BETWEEN_ROUNDS_SEC", [0, true, 300], 1, 300],
    ["variable: 0 counts as 1 minute", [0, true, 30], 0, 60],
    ["variable: NULL counts as 1 minute", [0, true, 30], null, 60],
  ];
  for (const [name, [override, variable, floor], minutes, wantSec] of cases) {
    test(name, () => {
      expect(
        intervalMs(minutes, {
          CHECK_INTERVAL_SEC: override,
          USE_VARIABLE_CHECK_INTERVALS: variable,
          MIN_TIME_BETWEEN_ROUNDS_SEC: floor,
        }),
      ).toBe(wantSec * 1000);
    });
  }
});

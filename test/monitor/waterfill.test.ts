import { describe, expect, test } from "bun:test";
import type { BucketRange } from "../../src/config/validate.ts";
import {
  assignBucketRanges,
  countBuckets,
  formatRanges,
  uncoveredRanges,
} from "../../src/monitor/waterfill.ts";

const fmt = (m: Map<string, BucketRange>) =>
  [...m].map(([h, r]) => (r.max < r.min ? `${h}:(0,-1)` : `${h}:${r.min}-${r.max}`)).join(" ");

describe("assignBucketRanges (reference §1.5 / §4.4)", () => {
  const cases: [string[], number, number, string][] = [
    [["a"], 10, 10, "a:0-9"],
    [["a", "b", "c"], 10, 10, "a:0-3 b:4-6 c:7-9"],
    [["a", "b", "c"], 12, 4, "a:0-3 b:4-7 c:8-11"],
    [["a", "b", "c"], 2, 2, "a:0-0 b:1-1 c:(0,-1)"],
    [["a", "b", "c"], 1000, 500, "a:0-333 b:334-666 c:667-999"],
    [["a"], 1000, 500, "a:0-499"],
    [["c", "a", "b"], 10, 10, "a:0-3 b:4-6 c:7-9"],
    [["host-b", "host-a"], 10, 10, "host-a:0-4 host-b:5-9"],
    [["B", "a"], 4, 4, "B:0-1 a:2-3"],
    [["a", "a"], 4, 4, "a:0-3"],
    [[], 10, 10, ""],
  ];
  for (const [hosts, total, target, want] of cases) {
    test(`${hosts.join(",") || "none"} total=${total} target=${target}`, () => {
      expect(fmt(assignBucketRanges(hosts, total, target))).toBe(want);
    });
  }
});

describe("uncoveredRanges", () => {
  const cases: [BucketRange[], number, string][] = [
    [[{ min: 0, max: 499 }], 1000, "500-999"],
    [[{ min: 0, max: 999 }], 1000, ""],
    [[], 10, "0-9"],
    [
      [
        { min: 2, max: 3 },
        { min: 6, max: 6 },
      ],
      10,
      "0-1,4-5,7-9",
    ],
    [
      [
        { min: 0, max: 5 },
        { min: 3, max: 9 },
      ],
      10,
      "",
    ],
    [
      [
        { min: 0, max: -1 },
        { min: 0, max: 4 },
      ],
      6,
      "5",
    ],
    [[{ min: 5, max: 20 }], 10, "0-4"],
  ];
  for (const [ranges, total, want] of cases) {
    test(`${JSON.stringify(ranges)} of ${total} -> ${want || "none"}`, () => {
      expect(formatRanges(uncoveredRanges(ranges, total))).toBe(want);
    });
  }
  test("countBuckets", () => {
    expect(
      countBuckets([
        { min: 500, max: 999 },
        { min: 0, max: -1 },
      ]),
    ).toBe(500);
  });
});

import { describe, expect, test } from "bun:test";
import type { BucketRange } from "../../src/config/validate.ts";
import {
  assignBucketRanges,
  claimableRange,
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

describe("claimableRange: the share minus what live peers hold, as one range", () => {
  const r = (min: number, max: number): BucketRange => ({ min, max });
  const cases: [string, BucketRange, BucketRange[], BucketRange | null, string][] = [
    ["nothing held", r(0, 9), [], null, "0-9"],
    ["a peer still holds the top", r(5, 9), [r(0, 9)], null, "(empty)"],
    ["a peer still holds part", r(667, 999), [r(500, 749)], r(750, 999), "750-999"],
    ["peers on both sides", r(250, 499), [r(0, 333), r(334, 666)], null, "(empty)"],
    ["peers outside the share", r(250, 499), [r(0, 249), r(500, 999)], null, "250-499"],
    ["the piece keeping the current range wins", r(0, 9), [r(2, 3)], r(0, 1), "0-1"],
    ["else the largest piece", r(0, 9), [r(2, 3)], null, "4-9"],
    ["empty share", r(0, -1), [], r(0, 4), "(empty)"],
    ["empty rows held are ignored", r(0, 4), [r(1, 0)], null, "0-4"],
  ];
  for (const [name, want, held, prev, expected] of cases) {
    test(name, () => {
      const got = claimableRange(want, held, prev);
      expect(got.max < got.min ? "(empty)" : formatRanges([got])).toBe(expected);
    });
  }
});

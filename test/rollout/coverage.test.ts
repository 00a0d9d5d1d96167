import { describe, expect, test } from "bun:test";
import { type HostRow, mapCoverage } from "../../src/monitor/coverage.ts";
import { validateDynamicCoverage, validateStaticPlan } from "../../src/rollout/coverage.ts";
import { CsvError, readCsv } from "../../src/rollout/csv.ts";
import { GateError, Lines } from "../../src/rollout/report.ts";
import { checkStaticPlan, parseStaticPlan, planAssertionFromFlags } from "../../src/rollout/static-plan.ts";
import { NOW } from "./harness.ts";

const host = (
  hostId: string,
  bucketMin: number,
  bucketMax: number,
  over: Partial<HostRow> = {},
): HostRow => ({
  hostId,
  bucketMin,
  bucketMax,
  lastHeartbeat: NOW - 5_000,
  status: "active",
  ...over,
});

describe("CSV reader (Go encoding/csv settings)", () => {
  test("quotes, escaped quotes, leading spaces, variable fields, empty lines", () => {
    expect(readCsv('a, b,"c,d"\n\n"say ""hi""",x\r\nlast')).toEqual([
      ["a", "b", "c,d"],
      ['say "hi"', "x"],
      ["last"],
    ]);
  });
  test("a quoted field may span lines", () => {
    expect(readCsv('"a\nb",c\n')).toEqual([["a\nb", "c"]]);
  });
  test.each([
    ['a,b"c\n', 'parse error on line 1, column 4: bare " in non-quoted-field'],
    ['x\n"a"b,c\n', 'parse error on line 2, column 4: extraneous or missing " in quoted-field'],
    ['"open\n', 'parse error on line 2, column 1: extraneous or missing " in quoted-field'],
  ])("%p → %s", (text, message) => {
    expect(() => readCsv(text)).toThrow(CsvError);
    expect(() => readCsv(text)).toThrow(message);
  });
});

describe("static plan (§2.11, §2.16)", () => {
  const good = "# v1 hosts\nhost,bucket_min,bucket_max\njetmon-v1-b,5,9\njetmon-v1-a,0,4\n";

  function check(text: string, total = 10, assertion: ReturnType<typeof planAssertionFromFlags> = null) {
    const out: string[] = [];
    checkStaticPlan(new Lines((l) => out.push(l)), "ranges.csv", text, total, assertion);
    return out;
  }

  test("a complete plan passes", () => {
    expect(check(good)).toEqual([
      "PASS static_plan_file=ranges.csv ranges=2",
      "PASS static_bucket_coverage=0-9 hosts=2",
      "static rollout plan check passed",
    ]);
  });

  test("with an assertion the host's range is printed", () => {
    expect(check(good, 10, { hostId: "jetmon-v1-b", bucketMin: 5, bucketMax: 9 })).toContain(
      'PASS static_plan_host="jetmon-v1-b" range=5-9',
    );
    expect(check(good, 10, { hostId: "jetmon-v1-a", bucketMin: -1, bucketMax: -1 })).toContain(
      'PASS static_plan_host="jetmon-v1-a" range=0-4',
    );
  });

  test("header aliases are accepted, header only before data", () => {
    expect(parseStaticPlan("host,BUCKET_NO_MIN,BUCKET_NO_MAX\na,0,9")).toEqual([
      { hostId: "a", bucketMin: 0, bucketMax: 9 },
    ]);
    expect(parseStaticPlan(" Host , min , max \na, 0 , 9 ")).toEqual([
      { hostId: "a", bucketMin: 0, bucketMax: 9 },
    ]);
    expect(() => parseStaticPlan("a,0,9\nhost,bucket_min,bucket_max")).toThrow(
      'row 2: bucket_min "bucket_min" is not an integer',
    );
  });

  test.each([
    ["# only comments\n\n , , \n", 10, "static bucket plan has no host ranges"],
    ["a,0,4,extra\n", 10, "row 1: expected host,bucket_min,bucket_max"],
    ["# c\n,0,9\n", 10, "row 2: host is required"],
    ["a,nope,9\n", 10, 'row 1: bucket_min "nope" is not an integer'],
    ["a,0,nope\n", 10, 'row 1: bucket_max "nope" is not an integer'],
    ["a,0,9\n", 0, "BUCKET_TOTAL must be > 0"],
    ["a,0,4\na,5,9\n", 10, 'host "a" is listed more than once'],
    ["a,0,10\n", 10, 'host "a" has invalid bucket range 0-10 for BUCKET_TOTAL=10'],
    ["a,5,4\n", 10, 'host "a" has invalid bucket range 5-4 for BUCKET_TOTAL=10'],
    ["a,1,9\n", 10, 'static bucket plan has gap 0-0 before host "a"'],
    ["a,0,3\nb,5,9\n", 10, 'static bucket plan has gap 4-4 before host "b"'],
    ["a,0,5\nb,5,9\n", 10, 'static bucket plan overlaps before host "b" at bucket 5'],
    ["a,0,8\n", 10, "static bucket plan has trailing gap 9-9"],
    ['a,0,"9\n', 10, "read static bucket plan CSV: "],
  ])("%p (total %p) fails: %s", (text, total, message) => {
    expect(() => check(text, total)).toThrow(GateError);
    expect(() => check(text, total)).toThrow(message);
  });

  test.each([
    [
      { hostId: "host-c", bucketMin: -1, bucketMax: -1 },
      'host "host-c" is not present in static bucket plan',
    ],
    [
      { hostId: "jetmon-v1-b", bucketMin: 6, bucketMax: 9 },
      'host "jetmon-v1-b" has bucket range 5-9 in plan, want 6-9',
    ],
  ])("assertion %p fails: %s", (assertion, message) => {
    expect(() => check(good, 10, assertion)).toThrow(new GateError(message));
  });

  test("assertion flags", () => {
    expect(planAssertionFromFlags("", -1, -1)).toBeNull();
    expect(planAssertionFromFlags(" host-a ", -1, -1)).toEqual({
      hostId: "host-a",
      bucketMin: -1,
      bucketMax: -1,
    });
    expect(planAssertionFromFlags("host-a", 0, 4)).toEqual({ hostId: "host-a", bucketMin: 0, bucketMax: 4 });
    expect(() => planAssertionFromFlags("", 0, 4)).toThrow(
      "--host is required when --bucket-min or --bucket-max is set",
    );
    expect(() => planAssertionFromFlags("host-a", -2, -2)).toThrow(
      "--bucket-min and --bucket-max must be >= 0",
    );
    expect(() => planAssertionFromFlags("host-a", 0, -1)).toThrow(
      "--bucket-min and --bucket-max must be set together",
    );
  });

  test("validateStaticPlan sorts by bucket_min then host", () => {
    expect(() =>
      validateStaticPlan(
        [
          { hostId: "b", bucketMin: 5, bucketMax: 9 },
          { hostId: "a", bucketMin: 0, bucketMax: 4 },
        ],
        10,
      ),
    ).not.toThrow();
  });
});

describe("dynamic coverage validation (§2.13)", () => {
  const validate =
    (hosts: HostRow[], total = 10, grace = 60) =>
    () =>
      validateDynamicCoverage(hosts, total, grace, NOW);

  test("fresh active hosts covering the ring pass", () => {
    expect(validate([host("b", 5, 9), host("a", 0, 4)])).not.toThrow();
  });

  test.each([
    [[host("a", 0, 9)], 0, 60, "BUCKET_TOTAL must be > 0"],
    [[host("a", 0, 9)], 10, 0, "BUCKET_HEARTBEAT_GRACE_SEC must be > 0"],
    [[], 10, 60, "jetmon_hosts has no rows; dynamic ownership is not established"],
    [
      [host("a", 0, 9, { status: "draining" })],
      10,
      60,
      'host "a" has status="draining"; all dynamic ownership rows must be active',
    ],
    [
      [host("a", 0, 9, { lastHeartbeat: NOW - 120_000 })],
      10,
      60,
      'host "a" heartbeat is stale age=2m0s grace=1m0s',
    ],
    [[host("a", 0, 10)], 10, 60, 'host "a" has invalid bucket range 0-10 for BUCKET_TOTAL=10'],
    [[host("a", 0, 3), host("b", 5, 9)], 10, 60, 'dynamic bucket coverage has gap 4-4 before host "b"'],
    [
      [host("a", 0, 5), host("b", 5, 9)],
      10,
      60,
      'dynamic bucket coverage overlaps before host "b" at bucket 5',
    ],
    [[host("a", 0, 4)], 10, 60, "dynamic bucket coverage has trailing gap 5-9"],
  ])("%p total %p grace %p fails: %s", (hosts, total, grace, message) => {
    expect(validate(hosts, total, grace)).toThrow(new GateError(message));
  });

  test("a heartbeat exactly at the grace limit is still fresh", () => {
    expect(validate([host("a", 0, 9, { lastHeartbeat: NOW - 60_000 })])).not.toThrow();
  });
});

describe("mapCoverage: every gap and overlap among live hosts", () => {
  test("one default host on 1000 buckets leaves 500-999 uncovered (upstream defect 4)", () => {
    expect(mapCoverage([host("a", 0, 499)], 1000, 600, NOW)).toEqual({
      liveHosts: ["a"],
      gaps: [{ min: 500, max: 999 }],
      uncoveredBuckets: 500,
      overlaps: [],
    });
  });

  test("stale and draining hosts cover nothing", () => {
    const m = mapCoverage(
      [
        host("a", 0, 3),
        host("b", 4, 6, { lastHeartbeat: NOW - 3_600_000 }),
        host("c", 7, 9, { status: "draining" }),
      ],
      10,
      60,
      NOW,
    );
    expect(m.liveHosts).toEqual(["a"]);
    expect(m.gaps).toEqual([{ min: 4, max: 9 }]);
    expect(m.uncoveredBuckets).toBe(6);
  });

  test("overlaps name the hosts; several gaps are all listed", () => {
    const m = mapCoverage([host("b", 2, 5), host("a", 0, 3), host("c", 7, 7)], 10, 60, NOW);
    expect(m.overlaps).toEqual([{ min: 2, max: 3, hosts: ["a", "b"] }]);
    expect(m.gaps).toEqual([
      { min: 6, max: 6 },
      { min: 8, max: 9 },
    ]);
  });

  test("ranges beyond the ring are clipped; no hosts means one gap", () => {
    expect(mapCoverage([host("a", 5, 20)], 10, 60, NOW).gaps).toEqual([{ min: 0, max: 4 }]);
    expect(mapCoverage([], 10, 60, NOW).gaps).toEqual([{ min: 0, max: 9 }]);
  });

  test("exact cover has no gaps or overlaps", () => {
    const m = mapCoverage([host("a", 0, 4), host("b", 5, 9)], 10, 60, NOW);
    expect(m.gaps).toEqual([]);
    expect(m.overlaps).toEqual([]);
  });
});

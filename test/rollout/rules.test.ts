import { describe, expect, test } from "bun:test";
import { deliveryOwnerStatus } from "../../src/rollout/config.ts";
import { dashboardStateUrl } from "../../src/rollout/dashboard-probe.ts";
import {
  resolveCutoff,
  resolvePinnedOrExplicitRange,
  resolveRolloutRange,
} from "../../src/rollout/ranges.ts";
import {
  GateError,
  gateJson,
  type Lines,
  parseOutputMode,
  parseReportLines,
  runGate,
} from "../../src/rollout/report.ts";
import { formatGoSeconds, parseGoDuration, parseRfc3339, rfc3339, rfc3339Nano } from "../../src/time.ts";
import { NOW, pinned, rolloutConfig } from "./harness.ts";

describe("Go time formats", () => {
  test.each([
    ["15m", 900_000],
    ["1h30m", 5_400_000],
    ["300ms", 300],
    ["1.5h", 5_400_000],
    ["-1m", -60_000],
    ["0", 0],
    ["2h45m10s", 9_910_000],
    ["1us", 0.001],
    ["1d", undefined],
    ["15", undefined],
    ["", undefined],
    [".", undefined],
    ["m", undefined],
    ["yesterday", undefined],
  ])("parseGoDuration(%p) = %p", (s, want) => {
    expect(parseGoDuration(s)).toBe(want as number | undefined);
  });

  test.each([
    [0, "0s"],
    [45, "45s"],
    [60, "1m0s"],
    [120, "2m0s"],
    [600, "10m0s"],
    [3605, "1h0m5s"],
    [119.6, "2m0s"],
  ])("formatGoSeconds(%p) = %s", (s, want) => {
    expect(formatGoSeconds(s)).toBe(want);
  });

  test("RFC3339 and RFC3339Nano in UTC", () => {
    expect(rfc3339(Date.parse("2026-04-28T11:45:00.987Z"))).toBe("2026-04-28T11:45:00Z");
    expect(rfc3339Nano(Date.parse("2026-04-28T11:45:00.000Z"))).toBe("2026-04-28T11:45:00Z");
    expect(rfc3339Nano(Date.parse("2026-04-28T11:45:00.120Z"))).toBe("2026-04-28T11:45:00.12Z");
    expect(rfc3339Nano(Date.parse("2026-04-28T11:45:00.001Z"))).toBe("2026-04-28T11:45:00.001Z");
  });

  test.each([
    ["2026-04-28T11:30:00Z", Date.parse("2026-04-28T11:30:00Z")],
    ["2026-04-28T13:30:00+02:00", Date.parse("2026-04-28T11:30:00Z")],
    ["2026-04-28T11:30:00.5Z", Date.parse("2026-04-28T11:30:00.500Z")],
    ["2026-04-28 11:30:00Z", undefined],
    ["2026-04-28", undefined],
    ["2026-02-31T00:00:00Z", undefined],
    ["2026-04-28T24:00:00Z", undefined],
  ])("parseRfc3339(%p)", (s, want) => {
    expect(parseRfc3339(s)).toBe(want as number | undefined);
  });
});

describe("activity cutoff (§2.4)", () => {
  test("a duration counts back from now", () => {
    expect(resolveCutoff("15m", NOW)).toBe(NOW - 900_000);
    expect(resolveCutoff(" 1h ", NOW)).toBe(NOW - 3_600_000);
  });
  test("an RFC3339 timestamp is that instant", () => {
    expect(resolveCutoff("2026-04-28T11:30:00Z", NOW)).toBe(Date.parse("2026-04-28T11:30:00Z"));
  });
  test.each([
    ["", "since must not be empty"],
    ["  ", "since must not be empty"],
    ["-1m", "since duration must be > 0"],
    ["0", "since duration must be > 0"],
    ["yesterday", 'since "yesterday" must be a duration like 15m or an RFC3339 timestamp'],
    ["7d", 'since "7d" must be a duration like 15m or an RFC3339 timestamp'],
  ])("%p fails: %s", (s, message) => {
    expect(() => resolveCutoff(s, NOW)).toThrow(new GateError(message));
  });
});

describe("range resolution (§2.4)", () => {
  const dynamic = rolloutConfig({ BUCKET_TOTAL: 10 });
  test("rollout range: dynamic → whole ring, pinned → pinned, explicit wins", () => {
    expect(resolveRolloutRange(dynamic, -1, -1)).toEqual({ min: 0, max: 9 });
    expect(resolveRolloutRange(pinned(2, 4), -1, -1)).toEqual({ min: 2, max: 4 });
    expect(resolveRolloutRange(pinned(2, 4), 3, 5)).toEqual({ min: 3, max: 5 });
    expect(resolveRolloutRange(rolloutConfig({ BUCKET_NO_MIN: 6, BUCKET_NO_MAX: 7 }), -1, -1)).toEqual({
      min: 6,
      max: 7,
    });
  });
  test.each([
    [3, -1, "bucket-min and bucket-max must be set together"],
    [-1, 3, "bucket-min and bucket-max must be set together"],
    [-2, -2, "bucket-min and bucket-max must be >= 0"],
    [7, 3, "bucket-max must be >= bucket-min"],
    [0, 10, "bucket-max must be < BUCKET_TOTAL (10)"],
  ])("rollout range %p..%p fails: %s", (min, max, message) => {
    expect(() => resolveRolloutRange(dynamic, min, max)).toThrow(new GateError(message));
  });
  test("rollout range on a ring of 0 buckets", () => {
    expect(() => resolveRolloutRange(rolloutConfig({ BUCKET_TOTAL: 0 }), -1, -1)).toThrow(
      "BUCKET_TOTAL must be > 0",
    );
  });

  test("pinned-or-explicit: pinned default, explicit on dynamic config", () => {
    expect(resolvePinnedOrExplicitRange(pinned(12, 34, { BUCKET_TOTAL: 100 }), -1, -1)).toEqual({
      min: 12,
      max: 34,
    });
    expect(resolvePinnedOrExplicitRange(dynamic, 2, 4)).toEqual({ min: 2, max: 4 });
  });
  test.each([
    [-1, -1, "rollback-check needs a pinned bucket config or explicit --bucket-min/--bucket-max"],
    [-2, -2, "bucket-min and bucket-max must be >= 0"],
    [2, -1, "bucket-min and bucket-max must be set together"],
    [0, 10, "bucket-max must be < BUCKET_TOTAL (10)"],
    [5, 4, "bucket-max must be >= bucket-min"],
  ])("pinned-or-explicit %p..%p fails: %s", (min, max, message) => {
    expect(() => resolvePinnedOrExplicitRange(dynamic, min, max)).toThrow(new GateError(message));
  });
});

describe("delivery owner (§1.5 table)", () => {
  test.each([
    [{}, "INFO", "delivery_workers=disabled api_port=disabled"],
    [
      { DELIVERY_OWNER_HOST: "host-a" },
      "INFO",
      'delivery_owner_host="host-a" ignored because API_PORT is disabled',
    ],
    [
      { API_PORT: 8090 },
      "WARN",
      'delivery_owner_host is unset; host "host-a" will run delivery workers because API_PORT is enabled',
    ],
    [
      { API_PORT: 8090, DELIVERY_OWNER_HOST: " host-a " },
      "INFO",
      'delivery_owner_host="host-a" matched; delivery workers enabled on this host',
    ],
    [
      { API_PORT: 8090, DELIVERY_OWNER_HOST: "host-b" },
      "INFO",
      'delivery_owner_host="host-b"; delivery workers disabled on host "host-a"',
    ],
  ])("%j → %s %s", (over, level, message) => {
    expect(deliveryOwnerStatus(rolloutConfig(over), "host-a")).toEqual({ level: level as "INFO", message });
  });
});

describe("dashboard probe address (the table is in test/config/bind-addr.test.ts)", () => {
  test("URL", () => {
    expect(dashboardStateUrl("fd00::5", 8080)).toBe("http://[fd00::5]:8080/api/state");
  });
});

describe("output framework (§2.2)", () => {
  test.each([
    ["", "text"],
    ["text", "text"],
    ["TEXT", "text"],
    [" json ", "json"],
    ["yaml", undefined],
  ])("--output=%p → %p", (raw, want) => {
    expect(parseOutputMode(raw)).toBe(want as "text" | undefined);
  });

  test("JSON wrapper of a failing run (§2.16)", () => {
    const doc = gateJson(
      "rollout activity-check",
      "PASS config parse\n## activity check\n\nINFO active_sites=3\n",
      "activity failed",
      NOW,
    );
    expect(doc).toEqual({
      ok: false,
      command: "rollout activity-check",
      generated_at: "2026-04-28T12:00:00Z",
      lines: [
        { level: "pass", message: "config parse" },
        { level: "section", message: "activity check" },
        { level: "info", message: "active_sites=3" },
      ],
      failures: ["activity failed"],
    });
  });

  test("line levels: prefixes, sections, free text, blanks dropped", () => {
    expect(
      parseReportLines("WARN x=1\nFAIL boom\n  \nBLOG_ID      BUCKET\n## s \nPASSED not a prefix"),
    ).toEqual([
      { level: "warn", message: "x=1" },
      { level: "fail", message: "boom" },
      { level: "output", message: "BLOG_ID      BUCKET" },
      { level: "section", message: "s" },
      { level: "output", message: "PASSED not a prefix" },
    ]);
  });

  test("an empty passing run omits lines and failures", () => {
    expect(gateJson("rollout x", "", undefined, NOW)).toEqual({
      ok: true,
      command: "rollout x",
      generated_at: "2026-04-28T12:00:00Z",
    });
  });

  async function capture(mode: "text" | "json", body: (l: Lines) => Promise<void>) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runGate(
      "rollout demo",
      mode,
      { out: (l) => out.push(l), err: (l) => err.push(l), now: () => NOW },
      body,
    );
    return { code, out, err };
  }

  test("text: lines stream to stdout, the failure goes to stderr with FAIL, exit 1", async () => {
    const r = await capture("text", async (l) => {
      l.section("one");
      l.pass("a");
      throw new GateError("broken");
    });
    expect(r).toEqual({ code: 1, out: ["## one", "", "PASS a"], err: ["FAIL broken"] });
  });

  test("json: one indented document on stdout, nothing on stderr", async () => {
    const r = await capture("json", async (l) => {
      l.info("n=1");
      throw new Error("db gone");
    });
    expect(r.code).toBe(1);
    expect(r.err).toEqual([]);
    expect(r.out).toHaveLength(1);
    expect(r.out[0]).toContain('\n  "ok": false,');
    expect(JSON.parse(r.out[0]!).failures).toEqual(["db gone"]);
  });

  test("json success exits 0", async () => {
    const r = await capture("json", async (l) => l.text("fine"));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out[0]!)).toMatchObject({ ok: true, lines: [{ level: "output", message: "fine" }] });
  });
});

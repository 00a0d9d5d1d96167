import { describe, expect, test } from "bun:test";
import { completeHostState, type HostHealth, type HostState } from "../../src/dashboard/state.ts";
import { type HostSummary, summarizeHost } from "../../src/dashboard/summary.ts";
import type { DependencyHealth } from "../../src/fleethealth/snapshot.ts";

const NOW = "2026-04-30T10:01:00Z";

function dep(name: string, status: string, last_error?: string): DependencyHealth {
  return { name, status, checked_at: NOW, ...(last_error ? { last_error } : {}) };
}

function state(over: Partial<HostState> = {}): HostState {
  return completeHostState({ hostname: "h", updated_at: NOW, ...over });
}

const GREEN = "host checks are green";
const AMBER = "operator attention needed before rollout";
const RED = "rollout-blocking dependency or circuit issue";

describe("summarizeHost rules", () => {
  const cases: [string, HostState | null, HostHealth | null, HostSummary][] = [
    [
      "nothing published: missing state and missing health both count amber (DESIGN.md 14)",
      null,
      null,
      {
        status: "amber",
        message: AMBER,
        issues: ["host state has not been published yet", "dependency health has not been published yet"],
        red_count: 0,
        amber_count: 2,
        green_count: 0,
        disabled_count: 0,
      },
    ],
    [
      "zero updated_at is the same as no state, even with green health",
      completeHostState({}),
      [dep("mysql", "green")],
      {
        status: "amber",
        message: AMBER,
        issues: ["host state has not been published yet"],
        red_count: 0,
        amber_count: 1,
        green_count: 1,
        disabled_count: 0,
      },
    ],
    [
      "empty health list is missing health",
      state(),
      [],
      {
        status: "amber",
        message: AMBER,
        issues: ["dependency health has not been published yet"],
        red_count: 0,
        amber_count: 1,
        green_count: 0,
        disabled_count: 0,
      },
    ],
    [
      "all green: no issues key at all",
      state(),
      [dep("mysql", "green"), dep("wpcom", "green")],
      { status: "green", message: GREEN, red_count: 0, amber_count: 0, green_count: 2, disabled_count: 0 },
    ],
    [
      "red and amber entries keep their order within colour; red first; missing detail is named",
      state(),
      [dep("statsd", "amber", "not initialized"), dep("mysql", "red", "access denied"), dep("x", "red")],
      {
        status: "red",
        message: RED,
        issues: ["mysql red: access denied", "x red: no detail reported", "statsd amber: not initialized"],
        red_count: 2,
        amber_count: 1,
        green_count: 0,
        disabled_count: 0,
      },
    ],
    [
      "unknown dependency status counts amber with an issue (DESIGN.md 14)",
      state(),
      [dep("mysql", "green"), dep("odd", "purple", "weird"), dep("blank", "")],
      {
        status: "amber",
        message: AMBER,
        issues: ['odd amber: unknown status "purple"; weird', 'blank amber: unknown status ""'],
        red_count: 0,
        amber_count: 2,
        green_count: 1,
        disabled_count: 0,
      },
    ],
    [
      "circuit open without a red wpcom entry adds a red issue",
      state({ wpcom_circuit_open: true }),
      [dep("wpcom", "amber", "queued notifications=3")],
      {
        status: "red",
        message: RED,
        issues: ["wpcom red: circuit open", "wpcom amber: queued notifications=3"],
        red_count: 1,
        amber_count: 1,
        green_count: 0,
        disabled_count: 0,
      },
    ],
    [
      "circuit open with a red wpcom entry is not counted twice",
      state({ wpcom_circuit_open: true }),
      [dep("wpcom", "red", "circuit open, queued notifications=3")],
      {
        status: "red",
        message: RED,
        issues: ["wpcom red: circuit open, queued notifications=3"],
        red_count: 1,
        amber_count: 0,
        green_count: 0,
        disabled_count: 0,
      },
    ],
    [
      "uncovered buckets are red (DESIGN.md 4)",
      state({ bucket_total: 1000, uncovered_buckets: 500, uncovered_bucket_ranges: "500-999" }),
      [dep("mysql", "green")],
      {
        status: "red",
        message: RED,
        issues: ["buckets red: 500 of 1000 buckets have no live host (500-999)"],
        red_count: 1,
        amber_count: 0,
        green_count: 1,
        disabled_count: 0,
      },
    ],
    [
      "deliberately disabled dependencies count neither amber nor red",
      state(),
      [dep("mysql", "green"), dep("statsd", "disabled"), dep("verifliers", "disabled")],
      { status: "green", message: GREEN, red_count: 0, amber_count: 0, green_count: 1, disabled_count: 2 },
    ],
    [
      "optional columns missing (a Go-migrated database) are amber, naming them and the fix",
      state({
        schema_missing_columns: [
          "jetpack_monitor_sites.forbidden_keyword",
          "jetmon_check_history.request_method",
        ],
      }),
      [dep("mysql", "green")],
      {
        status: "amber",
        message: AMBER,
        issues: [
          "schema amber: database lacks jetpack_monitor_sites.forbidden_keyword, jetmon_check_history.request_method; checks run without them — run jetmon2 migrate",
        ],
        red_count: 0,
        amber_count: 1,
        green_count: 1,
        disabled_count: 0,
      },
    ],
    [
      "an empty missing-column list is not an issue",
      state({ schema_missing_columns: [] }),
      [dep("mysql", "green")],
      { status: "green", message: GREEN, red_count: 0, amber_count: 0, green_count: 1, disabled_count: 0 },
    ],
    [
      "uncovered buckets without total or ranges still read well",
      state({ uncovered_buckets: 3 }),
      [dep("mysql", "green")],
      {
        status: "red",
        message: RED,
        issues: ["buckets red: 3 buckets have no live host"],
        red_count: 1,
        amber_count: 0,
        green_count: 1,
        disabled_count: 0,
      },
    ],
    [
      "delivery enabled without owner (whitespace owner is an owner: not trimmed)",
      state({ delivery_workers_enabled: true, delivery_config_eligible: true, delivery_owner_host: " " }),
      [dep("mysql", "green")],
      { status: "green", message: GREEN, red_count: 0, amber_count: 0, green_count: 1, disabled_count: 0 },
    ],
    [
      "delivery enabled, no owner, and config no longer eligible: two ambers",
      state({ delivery_workers_enabled: true, delivery_config_eligible: false }),
      [dep("mysql", "green")],
      {
        status: "amber",
        message: AMBER,
        issues: [
          "delivery amber: runtime workers are enabled without DELIVERY_OWNER_HOST",
          "delivery amber: runtime worker state differs from current config; restart to apply ownership changes",
        ],
        red_count: 0,
        amber_count: 2,
        green_count: 1,
        disabled_count: 0,
      },
    ],
    [
      "eligible but not running: restart needed",
      state({ delivery_workers_enabled: false, delivery_config_eligible: true }),
      [dep("mysql", "green")],
      {
        status: "amber",
        message: AMBER,
        issues: [
          "delivery amber: runtime worker state differs from current config; restart to apply ownership changes",
        ],
        red_count: 0,
        amber_count: 1,
        green_count: 1,
        disabled_count: 0,
      },
    ],
  ];
  test.each(cases)("%s", (_name, s, h, want) => {
    const got = summarizeHost(s, h);
    expect(got).toEqual(want);
    // JSON key order as reference §1.2, issues omitted when empty.
    expect(Object.keys(got)).toEqual(
      want.issues
        ? ["status", "message", "issues", "red_count", "amber_count", "green_count", "disabled_count"]
        : ["status", "message", "red_count", "amber_count", "green_count", "disabled_count"],
    );
  });
});

describe("TestSummarizeHost (reference §1.9), steps in sequence", () => {
  test("five steps", () => {
    let s = state();
    // 1. state published, nil health
    let got = summarizeHost(s, null);
    expect(got.status).toBe("amber");
    expect(got.amber_count).toBeGreaterThan(0);
    expect(got.issues?.[0]).toContain("dependency health");

    // 2. enabled and eligible, no owner; mysql green
    s = { ...s, delivery_workers_enabled: true, delivery_config_eligible: true };
    got = summarizeHost(s, [dep("mysql", "green")]);
    expect(got.status).toBe("amber");
    expect(got.issues?.[0]).toContain("DELIVERY_OWNER_HOST");

    // 3. owner set; statsd amber, mysql red
    s = { ...s, delivery_owner_host: "host-a" };
    got = summarizeHost(s, [dep("statsd", "amber", "not initialized"), dep("mysql", "red", "access denied")]);
    expect(got.status).toBe("red");
    expect(got.issues?.[0]?.startsWith("mysql red")).toBe(true);
    expect(got.issues?.[1]?.startsWith("statsd amber")).toBe(true);

    // 4. same state, mysql green
    got = summarizeHost(s, [dep("mysql", "green")]);
    expect(got.status).toBe("green");
    expect(got.issues).toBeUndefined();

    // 5. eligibility withdrawn
    s = { ...s, delivery_config_eligible: false };
    got = summarizeHost(s, [dep("mysql", "green")]);
    expect(got.status).toBe("amber");
    expect(got.issues?.length ?? 0).toBeGreaterThan(0);
  });
});

describe("TestHandleHostSnapshot inputs (reference §1.9)", () => {
  test("circuit open, delivery enabled and not eligible, no owner", () => {
    const got = summarizeHost(
      state({ worker_count: 5, wpcom_circuit_open: true, delivery_workers_enabled: true }),
      [dep("mysql", "green"), dep("statsd", "amber")],
    );
    expect(got.status).toBe("red");
    expect(got.red_count).toBeGreaterThan(0);
    expect(got.issues?.[0]).toContain("wpcom");
  });
});

/** The pure fleet rules, table-driven (reference §6.3-§6.8 and fleet_test.go, with the issue's changes). */
import { describe, expect, test } from "bun:test";
import { emptyCounts } from "../../src/delivery/queue-counts.ts";
import {
  MIXED_MESSAGE,
  NO_HOSTS_MESSAGE,
  ownershipMode,
  PINNED_MESSAGE,
  summarizeCoverage,
} from "../../src/fleet/coverage.ts";
import { deliveryStatus, summarizeDelivery, summarizePosture } from "../../src/fleet/delivery.ts";
import { rollupDependencies, splitDependencyName } from "../../src/fleet/dependencies.ts";
import { assessProcesses, processStatus } from "../../src/fleet/processes.ts";
import { resolveFleetOptions } from "../../src/fleet/snapshot.ts";
import { NEXT_ACTIONS, summarizeFleet } from "../../src/fleet/summary.ts";
import {
  type BucketCoverage,
  type DeliverySummary,
  type FleetProcess,
  fleetOptionsFromConfig,
  type ProjectionDrift,
} from "../../src/fleet/types.ts";
import type { Snapshot } from "../../src/fleethealth/snapshot.ts";
import type { HostRow } from "../../src/monitor/coverage.ts";
import { ago, fleet, GRACE_SEC, NOW, RETAIN_SEC, row } from "./support.ts";

const host = (hostId: string, min: number, max: number, ageSec = 5, status = "active"): HostRow => ({
  hostId,
  bucketMin: min,
  bucketMax: max,
  lastHeartbeat: NOW - ageSec * 1000,
  status,
});

describe("processes", () => {
  test.each([
    // state, health, stale → fleet status
    ["running", "green", false, "green"],
    ["running", "amber", false, "amber"],
    ["running", "red", false, "red"],
    ["running", "purple", false, "amber"],
    ["running", "green", true, "red"],
    ["idle", "green", true, "red"],
    ["stopping", "amber", true, "red"],
    ["stopped", "amber", false, "stopped"],
    ["stopped", "green", false, "stopped"],
    ["stopped", "amber", true, "stopped"],
  ] as const)("state=%s health=%s stale=%s → %s", (state, health, stale, want) => {
    expect(processStatus(state, health, stale)).toBe(want);
  });

  test("staleness is strict, age rounds and never goes negative", () => {
    const got = fleet([
      row("a:monitor", { ageSec: GRACE_SEC }),
      row("b:monitor", { ageSec: GRACE_SEC + 1 }),
      row("c:monitor", { updated_at: new Date(NOW + 30_000) }),
      row("d:monitor", { updated_at: new Date(NOW - 1_499) }),
    ]);
    const byId = Object.fromEntries(got.map((p) => [p.process_id, p]));
    expect(byId["a:monitor"]!.stale).toBe(false);
    expect(byId["b:monitor"]!.stale).toBe(true);
    expect(byId["c:monitor"]!.last_heartbeat_age_sec).toBe(0);
    expect(byId["d:monitor"]!.last_heartbeat_age_sec).toBe(1);
  });

  test("stopped rows past FLEET_RETAIN_STOPPED_HOURS are hidden; other quiet rows never are", () => {
    const { processes, hidden } = assessProcesses(
      [
        row("old:monitor", { state: "stopped", health_status: "amber", ageSec: RETAIN_SEC }),
        row("recent:monitor", { state: "stopped", health_status: "amber", ageSec: RETAIN_SEC - 1 }),
        row("crashed:monitor", { ageSec: RETAIN_SEC * 10 }),
      ],
      NOW,
      { graceSec: GRACE_SEC, retainStoppedSec: RETAIN_SEC },
    );
    expect(hidden).toBe(1);
    expect(processes.map((p) => [p.process_id, p.status])).toEqual([
      ["crashed:monitor", "red"],
      ["recent:monitor", "stopped"],
    ]);
  });

  test("retention 0 hides stopped rows at once", () => {
    const { processes, hidden } = assessProcesses([row("a:monitor", { state: "stopped", ageSec: 0 })], NOW, {
      graceSec: GRACE_SEC,
      retainStoppedSec: 0,
    });
    expect([processes.length, hidden]).toEqual([0, 1]);
  });

  test("orders unhealthy first, then monitors before deliverers (TestSummarizeFleetProcessesOrdersUnhealthyFirst)", () => {
    const got = fleet([
      row("c:monitor"),
      row("d:deliverer"),
      row("b:monitor", { health_status: "amber", go_sys_mem_mb: 88, rss_mem_mb: 99 }),
      row("a:monitor", { ageSec: 3600 }),
      row("e:monitor", { state: "stopped", health_status: "amber", ageSec: 3600 }),
      row("f:monitor", { health_status: "red" }),
    ]);
    expect(got.map((p) => p.process_id)).toEqual([
      "a:monitor",
      "f:monitor",
      "b:monitor",
      "c:monitor",
      "d:deliverer",
      "e:monitor",
    ]);
    expect(got[2]!.go_sys_mem_mb).toBe(88);
    expect(got[2]!.rss_mem_mb).toBe(99);
  });

  test("JSON shape: optional fields omitted when NULL/empty, times in RFC 3339 UTC", () => {
    const [p] = fleet([
      row("d:deliverer", { started_at: null, updated_at: new Date("2026-04-30T11:59:30.250Z") }),
    ]);
    const s = row("d:deliverer");
    expect(s.bucket_min).toBeNull();
    expect(p).not.toHaveProperty("bucket_min");
    expect(p).not.toHaveProperty("api_port");
    expect(p).not.toHaveProperty("dependency_health");
    expect(p!.updated_at).toBe("2026-04-30T11:59:30.25Z");
    const [m] = fleet([
      row("m:monitor", {
        bucket_min: 0,
        bucket_max: 4,
        api_port: 0,
        dependency_health: [{ name: "mysql", status: "green", checked_at: "2026-04-30T12:00:00Z" }],
      }),
    ]);
    expect(m!.bucket_min).toBe(0);
    expect(m!.api_port).toBe(0);
    expect(m!.dependency_health).toEqual([
      { name: "mysql", status: "green", checked_at: "2026-04-30T12:00:00Z" },
    ]);
    expect(Object.keys(m!).slice(0, 14)).toEqual([
      "process_id",
      "host_id",
      "process_type",
      "pid",
      "version",
      "build_date",
      "go_version",
      "state",
      "health_status",
      "status",
      "started_at",
      "updated_at",
      "last_heartbeat_age_sec",
      "stale",
    ]);
  });
});

describe("bucket coverage (TestSummarizeFleetBucketCoverage, total 10, grace 60 s)", () => {
  const dynamicMonitor = (id: string, over = {}) =>
    row(id, { bucket_ownership: "dynamic jetmon_hosts", bucket_min: 0, bucket_max: 4, ...over });
  const pinnedMonitor = (id: string, min: number, max: number, over = {}) =>
    row(id, { bucket_ownership: `pinned range=${min}-${max}`, bucket_min: min, bucket_max: max, ...over });

  const cases: {
    name: string;
    hosts: HostRow[] | Error;
    processes: FleetProcess[];
    total?: number;
    status: string;
    mode: string;
    error?: string | RegExp;
  }[] = [
    {
      name: "exact cover, no processes",
      hosts: [host("a", 0, 4), host("b", 5, 9)],
      processes: [],
      status: "green",
      mode: "dynamic",
    },
    {
      name: "gap",
      hosts: [host("a", 0, 3), host("b", 5, 9)],
      processes: [],
      status: "red",
      mode: "dynamic",
      error: 'dynamic bucket coverage has gap 4-4 before host "b"',
    },
    {
      name: "leading gap",
      hosts: [host("b", 2, 9)],
      processes: [],
      status: "red",
      mode: "dynamic",
      error: 'dynamic bucket coverage has gap 0-1 before host "b"',
    },
    {
      // Both monitors started an hour ago: no join explains it (test/fleet/settling.test.ts).
      name: "overlap",
      hosts: [host("a", 0, 5), host("b", 5, 9)],
      processes: fleet([dynamicMonitor("a:monitor"), dynamicMonitor("b:monitor")]),
      status: "red",
      mode: "dynamic",
      error: 'dynamic bucket coverage overlaps before host "b" at bucket 5',
    },
    {
      name: "one host with defaults leaves a trailing gap (DESIGN item 4)",
      hosts: [host("a", 0, 4)],
      processes: fleet([dynamicMonitor("a:monitor")]),
      status: "red",
      mode: "dynamic",
      error: "dynamic bucket coverage has trailing gap 5-9",
    },
    {
      name: "range beyond BUCKET_TOTAL",
      hosts: [host("a", 0, 4), host("b", 5, 12)],
      processes: [],
      status: "red",
      mode: "dynamic",
      error: 'host "b" has invalid bucket range 5-12 for BUCKET_TOTAL=10',
    },
    {
      name: "draining row",
      hosts: [host("a", 0, 4), host("b", 5, 9, 5, "draining")],
      processes: [],
      status: "red",
      mode: "dynamic",
      error: 'host "b" has status="draining"',
    },
    {
      name: "stale row",
      hosts: [host("a", 0, 4, 61), host("b", 5, 9)],
      processes: [],
      status: "red",
      mode: "dynamic",
      error: 'host "a" heartbeat is stale',
    },
    {
      name: "no hosts, no processes",
      hosts: [],
      processes: [],
      status: "amber",
      mode: "unknown",
      error: NO_HOSTS_MESSAGE,
    },
    {
      name: "no hosts, dynamic monitor",
      hosts: [],
      processes: fleet([dynamicMonitor("a:monitor")]),
      status: "amber",
      mode: "dynamic",
      error: NO_HOSTS_MESSAGE,
    },
    {
      name: "pinned monitor, no hosts",
      hosts: [],
      processes: fleet([pinnedMonitor("a:monitor", 0, 4)]),
      status: "amber",
      mode: "pinned",
      error: PINNED_MESSAGE,
    },
    {
      name: "pinned ignores even a stale host row",
      hosts: [host("a", 0, 9, 3600)],
      processes: fleet([pinnedMonitor("a:monitor", 0, 4)]),
      status: "amber",
      mode: "pinned",
      error: PINNED_MESSAGE,
    },
    {
      name: "pinned ranges that overlap check sites twice",
      hosts: [],
      processes: fleet([pinnedMonitor("a:monitor", 0, 4), pinnedMonitor("b:monitor", 3, 6)]),
      status: "red",
      mode: "pinned",
      error: 'pinned bucket ranges overlap before host "b" at bucket 3',
    },
    {
      name: "a stale pinned monitor does not count",
      hosts: [],
      processes: fleet([
        pinnedMonitor("a:monitor", 0, 4),
        pinnedMonitor("b:monitor", 3, 6, { ageSec: 3600 }),
      ]),
      status: "amber",
      mode: "pinned",
      error: PINNED_MESSAGE,
    },
    {
      name: "pinned plus dynamic is mixed",
      hosts: [host("a", 0, 9)],
      processes: fleet([pinnedMonitor("a:monitor", 0, 4), dynamicMonitor("b:monitor")]),
      status: "amber",
      mode: "mixed",
      error: MIXED_MESSAGE,
    },
    {
      name: "stale pinned plus fresh dynamic is dynamic",
      hosts: [host("a", 0, 9)],
      processes: fleet([pinnedMonitor("a:monitor", 0, 4, { ageSec: 3600 }), dynamicMonitor("b:monitor")]),
      status: "green",
      mode: "dynamic",
    },
    {
      name: "a stopped monitor's label does not count",
      hosts: [host("a", 0, 9)],
      processes: fleet([pinnedMonitor("a:monitor", 0, 4, { state: "stopped" }), dynamicMonitor("b:monitor")]),
      status: "green",
      mode: "dynamic",
    },
    {
      name: "query error",
      hosts: new Error("query jetmon_hosts: boom"),
      processes: [],
      status: "red",
      mode: "unknown",
      error: "query jetmon_hosts: boom",
    },
    {
      name: "no BUCKET_TOTAL",
      hosts: [host("a", 0, 9)],
      processes: [],
      total: 0,
      status: "amber",
      mode: "unknown",
      error: "BUCKET_TOTAL is not configured",
    },
  ];

  test.each(cases)("$name", (c) => {
    const got = summarizeCoverage({
      hosts: c.hosts,
      processes: c.processes,
      bucketTotal: c.total ?? 10,
      graceSec: GRACE_SEC,
      nowMs: NOW,
    });
    expect(got.status).toBe(c.status as BucketCoverage["status"]);
    expect(got.mode).toBe(c.mode as BucketCoverage["mode"]);
    if (c.error === undefined) expect(got).not.toHaveProperty("error");
    else expect(got.error).toBe(c.error as string);
  });

  test("host rows carry age and staleness; pinned mode counts the pinned buckets", () => {
    const got = summarizeCoverage({
      hosts: [host("a", 0, 9, 90)],
      processes: fleet([pinnedMonitor("a:monitor", 0, 4), pinnedMonitor("b:monitor", 7, 9)]),
      bucketTotal: 10,
      graceSec: GRACE_SEC,
      nowMs: NOW,
    });
    expect(got.pinned_buckets).toBe(8);
    expect(got.host_count).toBe(1);
    expect(got.hosts).toEqual([
      {
        host_id: "a",
        bucket_min: 0,
        bucket_max: 9,
        status: "active",
        last_heartbeat: "2026-04-30T11:58:30Z",
        last_heartbeat_age_sec: 90,
        stale: true,
      },
    ]);
  });

  test("walk sorts by (min, host) before walking", () => {
    const got = summarizeCoverage({
      hosts: [host("b", 5, 9), host("a", 0, 4)],
      processes: [],
      bucketTotal: 10,
      graceSec: GRACE_SEC,
      nowMs: NOW,
    });
    expect(got.status).toBe("green");
  });

  test("mode comes from active monitors only", () => {
    expect(ownershipMode(fleet([row("d:deliverer", { bucket_ownership: "pinned range=0-1" })]), 0)).toBe(
      "unknown",
    );
  });
});

describe("delivery", () => {
  test.each([
    [{}, "green"],
    [{ due_now: 1 }, "amber"],
    [{ due_now: 1, failed_since: 1 }, "red"],
    [{ abandoned_since: 2 }, "red"],
    [{ pending: 5, future_retry: 5 }, "green"],
  ])("%o → %s", (over, want) => {
    expect(deliveryStatus({ ...emptyCounts(), ...over })).toBe(want as "green");
  });

  const enabled = (id: string, owner: string, over = {}) =>
    row(id, { delivery_workers_enabled: true, delivery_owner_host: owner, ...over });

  const postureCases: {
    name: string;
    rows: Snapshot[];
    pending: number;
    status: string;
    message: string;
    count: number;
    owners?: string[];
  }[] = [
    {
      name: "two enabled, no owner",
      rows: [enabled("a:monitor", ""), enabled("b:deliverer", "")],
      pending: 0,
      status: "amber",
      message: "delivery workers are enabled without DELIVERY_OWNER_HOST",
      count: 2,
    },
    {
      name: "owner constrained; a disabled process's owner is ignored",
      rows: [enabled("a:monitor", "host-a"), row("b:monitor", { delivery_owner_host: "host-a" })],
      pending: 0,
      status: "green",
      message: "delivery owner is constrained to host-a",
      count: 1,
      owners: ["host-a"],
    },
    {
      name: "one enabled, no owner",
      rows: [enabled("a:deliverer", " ")],
      pending: 0,
      status: "amber",
      message: "delivery workers are enabled without DELIVERY_OWNER_HOST",
      count: 1,
    },
    {
      name: "explicit and unset owners mixed",
      rows: [enabled("a:monitor", "host-a"), enabled("b:deliverer", "")],
      pending: 0,
      status: "amber",
      message: "delivery-capable processes mix explicit DELIVERY_OWNER_HOST and unset ownership",
      count: 2,
    },
    {
      name: "two different owners",
      rows: [enabled("a:monitor", "host-a"), enabled("b:deliverer", "host-b")],
      pending: 0,
      status: "amber",
      message: "multiple DELIVERY_OWNER_HOST values are visible across process snapshots",
      count: 2,
    },
    {
      name: "stopped and stale processes do not count",
      rows: [enabled("a:monitor", "", { state: "stopped" }), enabled("b:deliverer", "", { ageSec: 3600 })],
      pending: 0,
      status: "green",
      message: "no fresh process snapshot reports delivery workers enabled; delivery queues are empty",
      count: 0,
    },
    {
      name: "queued rows and nobody to send them",
      rows: [],
      pending: 3,
      status: "amber",
      message: "delivery rows are queued but no fresh process snapshot reports delivery workers enabled",
      count: 0,
    },
  ];
  test.each(postureCases)("posture: $name", (c) => {
    const got = summarizePosture(fleet(c.rows), c.pending);
    expect(got.status).toBe(c.status as "green");
    expect(got.message).toBe(c.message);
    expect(got.enabled_process_count).toBe(c.count);
    if (c.owners) expect(got.owner_hosts).toEqual(c.owners);
  });

  test("summary sums tables, takes the oldest age, and the first failing table makes it red", () => {
    const webhook = {
      ...emptyCounts(),
      pending: 4,
      due_now: 2,
      oldest_pending_age_sec: 900,
      oldest_due_age_sec: 120,
    };
    const alert = {
      ...emptyCounts(),
      pending: 1,
      due_now: 1,
      oldest_pending_age_sec: 30,
      oldest_due_age_sec: 300,
    };
    const ok = summarizeDelivery(
      [
        { kind: "webhook", counts: webhook },
        { kind: "alert", counts: alert },
      ],
      "2026-04-30T11:45:00Z",
      [],
    );
    expect(ok).toMatchObject({
      status: "amber",
      pending: 5,
      due_now: 3,
      oldest_pending_age_sec: 900,
      oldest_due_age_sec: 300,
    });
    expect(ok.tables?.map((t) => t.kind)).toEqual(["webhook", "alert"]);
    expect(ok.posture.status).toBe("amber");

    const failed = summarizeDelivery(
      [
        { kind: "webhook", error: new Error("webhook delivery summary: boom") },
        { kind: "alert", error: new Error("alert delivery summary: bang") },
      ],
      "2026-04-30T11:45:00Z",
      [],
    );
    expect(failed.status).toBe("red");
    expect(failed.error).toBe("webhook delivery summary: boom");
    expect(failed).not.toHaveProperty("tables");
  });
});

describe("dependencies (TestSummarizeFleetDependencies)", () => {
  test.each([
    ["veriflier:v1 (1.0)", "veriflier:v1", "1.0"],
    ["veriflier:10.0.0.5:7803 (2.1.0)", "veriflier:10.0.0.5:7803", "2.1.0"],
    ["veriflier:v1", "veriflier:v1", undefined],
    ["mysql (primary)", "mysql (primary)", undefined],
    ["  ", "unknown", undefined],
  ])("%p → %p %p", (raw, name, version) => {
    expect(splitDependencyName(raw)).toEqual(version ? { name, version } : { name });
  });

  test("a dependency off on every process is `disabled`, not green; off on some it keeps its colour", () => {
    const dep = (name: string, status: string) => ({ name, status, checked_at: "2026-04-30T12:00:00Z" });
    const got = rollupDependencies(
      fleet([
        row("a:monitor", { dependency_health: [dep("verifliers", "disabled"), dep("statsd", "disabled")] }),
        row("b:monitor", { dependency_health: [dep("verifliers", "disabled"), dep("statsd", "green")] }),
      ]),
    );
    expect(got).toEqual([
      {
        name: "statsd",
        status: "green",
        red_count: 0,
        amber_count: 0,
        green_count: 1,
        stale_count: 0,
        disabled_count: 1,
      },
      {
        name: "verifliers",
        status: "disabled",
        red_count: 0,
        amber_count: 0,
        green_count: 0,
        stale_count: 0,
        disabled_count: 2,
      },
    ]);
  });

  test("grouped per name, red first, stale counted, verifiers folded across versions", () => {
    const dep = (name: string, status: string, last_error?: string) => ({
      name,
      status,
      checked_at: "2026-04-30T12:00:00Z",
      ...(last_error ? { last_error } : {}),
    });
    const got = rollupDependencies(
      fleet([
        row("a:monitor", {
          dependency_health: [
            dep("mysql", "green"),
            dep("wpcom", "red", "500"),
            dep("veriflier:v1 (1.0)", "green"),
          ],
        }),
        row("b:monitor", {
          ageSec: 3600,
          dependency_health: [
            dep("mysql", "amber", "slow"),
            dep("veriflier:v1", "red", "connection refused"),
          ],
        }),
        row("c:monitor", {
          dependency_health: [dep("veriflier:v1 (1.1)", "green"), dep("statsd", "weird"), dep("", "green")],
        }),
      ]),
    );
    expect(got).toEqual([
      {
        name: "veriflier:v1",
        status: "red",
        red_count: 1,
        amber_count: 0,
        green_count: 2,
        stale_count: 1,
        last_error: "connection refused",
        versions: ["1.0", "1.1"],
      },
      {
        name: "wpcom",
        status: "red",
        red_count: 1,
        amber_count: 0,
        green_count: 0,
        stale_count: 0,
        last_error: "500",
      },
      {
        name: "mysql",
        status: "amber",
        red_count: 0,
        amber_count: 1,
        green_count: 1,
        stale_count: 1,
        last_error: "slow",
      },
      { name: "statsd", status: "amber", red_count: 0, amber_count: 1, green_count: 0, stale_count: 0 },
      { name: "unknown", status: "green", red_count: 0, amber_count: 0, green_count: 1, stale_count: 0 },
    ]);
  });
});

describe("fleet summary and next action", () => {
  const green = {
    coverage: { status: "green", mode: "dynamic", bucket_total: 10, host_count: 2 } as BucketCoverage,
    drift: { status: "green", count: 0 } as ProjectionDrift,
    delivery: {
      status: "green",
      since: "2026-04-30T11:45:00Z",
      ...emptyCounts(),
      posture: { status: "green", enabled_process_count: 0, message: "idle" },
    } as DeliverySummary,
  };

  test("TestSummarizeFleetFlagsStaleAndDrift", () => {
    const processes = fleet(
      [
        row("host-a:monitor", { ageSec: 20 * 60 }),
        row("host-b:deliverer", { health_status: "amber", ageSec: 60 }),
      ],
      { graceSec: 600, retainStoppedSec: RETAIN_SEC },
    );
    const got = summarizeFleet({ ...green, drift: { status: "red", count: 2 }, processes, dependencies: [] });
    expect(got.status).toBe("red");
    expect(got.message).toBe("fleet has rollout-blocking issues");
    expect(got).toMatchObject({
      stale_processes: 1,
      red_processes: 1,
      monitor_processes: 1,
      deliverer_processes: 1,
    });
    expect(got.issues).toEqual([
      "host-a:monitor heartbeat stale age=1200s",
      "projection drift: legacy projection drift=2",
      "host-b:deliverer health_status=amber",
    ]);
    expect(got.red_issue_count).toBe(2);
    expect(got.suggested_next_action).toContain("stale process");
  });

  const delivery = (status: "red" | "amber" | "green", posture: "amber" | "green" = "green", over = {}) => ({
    ...green.delivery,
    status,
    ...over,
    posture: { ...green.delivery.posture, status: posture, message: "posture says so" },
  });

  const cases: {
    name: string;
    rows: ReturnType<typeof row>[];
    coverage?: Partial<BucketCoverage>;
    drift?: ProjectionDrift;
    delivery?: DeliverySummary;
    status: string;
    next: string;
    issues?: string[];
  }[] = [
    { name: "all green", rows: [row("a:monitor")], status: "green", next: NEXT_ACTIONS.healthy },
    {
      name: "no snapshots",
      rows: [],
      status: "amber",
      next: NEXT_ACTIONS.noMonitors,
      issues: ["no process-health snapshots found", "no monitor process snapshots found"],
    },
    {
      name: "only deliverers",
      rows: [row("d:deliverer")],
      status: "amber",
      next: NEXT_ACTIONS.noMonitors,
      issues: ["no monitor process snapshots found"],
    },
    {
      name: "every monitor stopped and quiet",
      rows: [row("a:monitor", { state: "stopped", health_status: "amber", ageSec: 3600 })],
      status: "amber",
      next: NEXT_ACTIONS.noMonitors,
      issues: ["every monitor process snapshot is stopped"],
    },
    {
      name: "a decommissioned monitor beside a live one is not an issue",
      rows: [row("a:monitor"), row("b:monitor", { state: "stopped", health_status: "amber", ageSec: 3600 })],
      status: "green",
      next: NEXT_ACTIONS.healthy,
    },
    {
      name: "a freshly drained monitor is stopped, not amber: it wrote `stopped` itself",
      rows: [row("a:monitor"), row("b:monitor", { state: "stopped", health_status: "amber", ageSec: 10 })],
      status: "green",
      next: NEXT_ACTIONS.healthy,
    },
    {
      name: "stale outranks coverage",
      rows: [row("a:monitor", { ageSec: 61 })],
      coverage: { status: "red", error: "dynamic bucket coverage has trailing gap 5-9" },
      status: "red",
      next: NEXT_ACTIONS.stale,
      issues: [
        "a:monitor heartbeat stale age=61s",
        "bucket coverage: dynamic bucket coverage has trailing gap 5-9",
      ],
    },
    {
      name: "coverage red",
      rows: [row("a:monitor")],
      coverage: { status: "red", error: "gap" },
      status: "red",
      next: NEXT_ACTIONS.coverageRed,
    },
    {
      name: "drift query failed",
      rows: [row("a:monitor")],
      drift: { status: "red", count: 0, error: "count projection drift: timed out after 3000ms" },
      status: "red",
      next: NEXT_ACTIONS.driftRed,
      issues: ["projection drift: count projection drift: timed out after 3000ms"],
    },
    {
      name: "failed deliveries",
      rows: [row("a:monitor")],
      delivery: delivery("red", "green", { pending: 2, due_now: 1, failed_since: 3 }),
      status: "red",
      next: NEXT_ACTIONS.deliveryRed,
      issues: ["delivery queues: pending=2 due=1 failed_since=3 abandoned_since=0"],
    },
    {
      name: "red process",
      rows: [row("a:monitor", { health_status: "red" })],
      status: "red",
      next: NEXT_ACTIONS.redProcesses,
      issues: ["a:monitor health_status=red"],
    },
    {
      name: "deliveries due",
      rows: [row("a:monitor")],
      delivery: delivery("amber"),
      status: "amber",
      next: NEXT_ACTIONS.deliveryAmber,
    },
    {
      name: "posture",
      rows: [row("a:monitor")],
      delivery: delivery("green", "amber"),
      status: "amber",
      next: NEXT_ACTIONS.postureAmber,
      issues: ["delivery posture: posture says so"],
    },
    {
      name: "pinned rollout",
      rows: [row("a:monitor")],
      coverage: { status: "amber", error: PINNED_MESSAGE },
      status: "amber",
      next: NEXT_ACTIONS.coverageAmber,
      issues: [`bucket coverage: ${PINNED_MESSAGE}`],
    },
    {
      name: "amber process",
      rows: [row("a:monitor", { health_status: "amber" })],
      status: "amber",
      next: NEXT_ACTIONS.amberProcesses,
    },
  ];

  test.each(cases)("$name", (c) => {
    const processes = fleet(c.rows);
    const got = summarizeFleet({
      processes,
      coverage: { ...green.coverage, ...c.coverage },
      drift: c.drift ?? green.drift,
      delivery: c.delivery ?? green.delivery,
      dependencies: rollupDependencies(processes),
    });
    expect(got.status).toBe(c.status as "green");
    expect(got.suggested_next_action).toBe(c.next);
    if (c.issues) expect(got.issues).toEqual(c.issues);
    if (c.status === "green") expect(got).not.toHaveProperty("issues");
  });

  test("unknown health counts amber; dependency counters add no issues", () => {
    const rows = [
      row("a:monitor", { dependency_health: [{ name: "wpcom", status: "red", checked_at: "x" }] }),
    ];
    rows[0]!.health_status = "purple" as "green";
    const processes = fleet(rows);
    const got = summarizeFleet({ ...green, processes, dependencies: rollupDependencies(processes) });
    expect(got.issues).toEqual(['a:monitor health_status="purple"']);
    expect(got).toMatchObject({ amber_processes: 1, dependency_red_count: 1, dependency_amber_count: 0 });
  });
});

describe("options", () => {
  test.each([
    [
      { bucketTotal: 10, heartbeatGraceSec: 0 },
      { graceSec: 600, retainStoppedSec: 86400, cacheTtlMs: 5000, queryTimeoutMs: 3000 },
    ],
    [
      { bucketTotal: 10, heartbeatGraceSec: 30, retainStoppedHours: 0, cacheTtlMs: -1, queryTimeoutMs: 500 },
      { graceSec: 30, retainStoppedSec: 0, cacheTtlMs: -1, queryTimeoutMs: 500 },
    ],
    [
      { bucketTotal: 10, heartbeatGraceSec: -5, retainStoppedHours: 2, cacheTtlMs: 0 },
      { graceSec: 600, retainStoppedSec: 7200, cacheTtlMs: 5000 },
    ],
  ])("%o", (input, want) => {
    expect(resolveFleetOptions(input)).toMatchObject(want);
  });

  test("from config", () => {
    expect(
      fleetOptionsFromConfig({
        BUCKET_TOTAL: 1000,
        BUCKET_HEARTBEAT_GRACE_SEC: 600,
        FLEET_RETAIN_STOPPED_HOURS: 24,
      }),
    ).toEqual({ bucketTotal: 1000, heartbeatGraceSec: 600, retainStoppedHours: 24 });
  });

  test("ago() helper sanity", () => {
    expect(ago(60).toISOString()).toBe("2026-04-30T11:59:00.000Z");
  });
});

/**
 * Seeded fleets in a real MariaDB, read through `GET /api/fleet`, against their expected
 * summaries and next actions (issue 8).
 */
import { describe, expect, test } from "bun:test";
import { createFleetRoutes } from "../../src/fleet/routes.ts";
import { NEXT_ACTIONS } from "../../src/fleet/summary.ts";
import type { FleetSnapshot } from "../../src/fleet/types.ts";
import { silentLogger } from "../../src/log.ts";
import { useTestDatabase } from "../support/db.ts";
import { type FleetSeed, greenFleet, seedFleet } from "./seed.ts";
import { NOW } from "./support.ts";

const t = useTestDatabase();

async function fleetOf(seed: FleetSeed): Promise<FleetSnapshot> {
  await seedFleet(t.db, seed);
  const app = createFleetRoutes({
    db: t.db,
    now: () => NOW,
    options: { bucketTotal: 10, heartbeatGraceSec: 60, retainStoppedHours: 24 },
    log: silentLogger,
  });
  const res = await app.handle(new Request("http://localhost/api/fleet"));
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/json");
  const body = await res.text();
  expect(body.endsWith("}\n")).toBe(true);
  return JSON.parse(body);
}

function withProcess(seed: FleetSeed, hostId: string, over: Record<string, unknown>): FleetSeed {
  return {
    ...seed,
    processes: seed.processes.map((p) =>
      p.host_id === hostId && p.process_type === "monitor" ? { ...p, ...over } : p,
    ),
  };
}

describe("seeded fleets", () => {
  test("all green", async () => {
    const f = await fleetOf(greenFleet());
    expect(f.generated_at).toBe("2026-04-30T12:00:00Z");
    expect(f.summary).toEqual({
      status: "green",
      message: "fleet checks are green",
      suggested_next_action: NEXT_ACTIONS.healthy,
      red_issue_count: 0,
      red_processes: 0,
      amber_processes: 0,
      green_processes: 3,
      stale_processes: 0,
      stopped_processes: 0,
      monitor_processes: 2,
      deliverer_processes: 1,
      dependency_red_count: 0,
      dependency_amber_count: 0,
    });
    expect(f.processes.map((p) => p.process_id)).toEqual([
      "host-a:monitor",
      "host-b:monitor",
      "host-c:deliverer",
    ]);
    expect(f.process_counts).toEqual({ monitor: 2, deliverer: 1 });
    expect(f.hidden_stopped_processes).toBe(0);
    expect(f.bucket_coverage).toMatchObject({
      status: "green",
      mode: "dynamic",
      bucket_total: 10,
      host_count: 2,
    });
    expect(f.bucket_coverage.hosts?.map((h) => [h.host_id, h.last_heartbeat_age_sec, h.stale])).toEqual([
      ["host-a", 5, false],
      ["host-b", 5, false],
    ]);
    expect(f.delivery).toMatchObject({
      status: "green",
      since: "2026-04-30T11:45:00Z",
      pending: 0,
      delivered_since: 1,
      posture: {
        status: "green",
        enabled_process_count: 1,
        enabled_hosts: ["host-a"],
        owner_hosts: ["host-a"],
        message: "delivery owner is constrained to host-a",
      },
    });
    expect(f.delivery.tables?.map((x) => x.kind)).toEqual(["webhook", "alert"]);
    expect(f.projection_drift).toEqual({ status: "green", count: 0 });
    expect(f.dependencies).toEqual([
      { name: "mysql", status: "green", red_count: 0, amber_count: 0, green_count: 3, stale_count: 0 },
      {
        name: "veriflier:v1",
        status: "green",
        red_count: 0,
        amber_count: 0,
        green_count: 2,
        stale_count: 0,
        versions: ["1.0"],
      },
    ]);
    const a = f.processes[0]!;
    expect(a).toMatchObject({
      host_id: "host-a",
      status: "green",
      stale: false,
      last_heartbeat_age_sec: 5,
      bucket_min: 0,
      bucket_max: 4,
      api_port: 8090,
      delivery_workers_enabled: true,
      rss_mem_mb: 90,
      updated_at: "2026-04-30T11:59:55Z",
    });
  });

  test("one stale monitor", async () => {
    const f = await fleetOf(withProcess(greenFleet(), "host-b", { ageSec: 120 }));
    expect(f.summary).toMatchObject({
      status: "red",
      message: "fleet has rollout-blocking issues",
      stale_processes: 1,
      red_processes: 1,
      green_processes: 2,
      issues: ["host-b:monitor heartbeat stale age=120s"],
      suggested_next_action: NEXT_ACTIONS.stale,
    });
    expect(f.processes[0]).toMatchObject({ process_id: "host-b:monitor", status: "red", stale: true });
    // Its last dependency reports still count, marked stale.
    expect(f.dependencies?.find((d) => d.name === "veriflier:v1")?.stale_count).toBe(1);
  });

  test("overlapping buckets", async () => {
    const seed = greenFleet();
    seed.hosts = [
      { host_id: "host-a", min: 0, max: 5 },
      { host_id: "host-b", min: 5, max: 9 },
    ];
    const f = await fleetOf(seed);
    expect(f.bucket_coverage).toMatchObject({
      status: "red",
      mode: "dynamic",
      error: 'dynamic bucket coverage overlaps before host "host-b" at bucket 5',
    });
    expect(f.summary).toMatchObject({
      status: "red",
      issues: ['bucket coverage: dynamic bucket coverage overlaps before host "host-b" at bucket 5'],
      suggested_next_action: NEXT_ACTIONS.coverageRed,
    });
  });

  test("gap", async () => {
    const seed = greenFleet();
    seed.hosts = [
      { host_id: "host-a", min: 0, max: 4 },
      { host_id: "host-b", min: 6, max: 9 },
    ];
    const f = await fleetOf(seed);
    expect(f.bucket_coverage.error).toBe('dynamic bucket coverage has gap 5-5 before host "host-b"');
    expect(f.summary.status).toBe("red");
    expect(f.summary.suggested_next_action).toBe(NEXT_ACTIONS.coverageRed);
  });

  test("failed deliveries", async () => {
    const seed = greenFleet();
    seed.deliveries = [
      { kind: "webhook", status: "failed", createdAgoSec: 300, lastAttemptAgoSec: 60 },
      // Failed long ago: outside the 15-minute window.
      { kind: "webhook", status: "failed", createdAgoSec: 7200, lastAttemptAgoSec: 3600 },
      { kind: "alert", status: "abandoned", createdAgoSec: 120 },
      { kind: "alert", status: "pending", createdAgoSec: 400, nextAttemptAgoSec: 30 },
      { kind: "alert", status: "pending", createdAgoSec: 50 },
      { kind: "webhook", status: "pending", createdAgoSec: 200, nextAttemptAgoSec: -300 },
    ];
    const f = await fleetOf(seed);
    expect(f.delivery).toMatchObject({
      status: "red",
      pending: 3,
      due_now: 2,
      future_retry: 1,
      delivered_since: 0,
      failed_since: 1,
      abandoned_since: 1,
      oldest_pending_age_sec: 400,
      oldest_due_age_sec: 50,
    });
    expect(f.delivery.tables).toEqual([
      {
        kind: "webhook",
        pending: 1,
        due_now: 0,
        future_retry: 1,
        delivered_since: 0,
        abandoned_since: 0,
        failed_since: 1,
        oldest_pending_age_sec: 200,
        oldest_due_age_sec: 0,
      },
      {
        kind: "alert",
        pending: 2,
        due_now: 2,
        future_retry: 0,
        delivered_since: 0,
        abandoned_since: 1,
        failed_since: 0,
        oldest_pending_age_sec: 400,
        oldest_due_age_sec: 50,
      },
    ]);
    expect(f.summary).toMatchObject({
      status: "red",
      issues: ["delivery queues: pending=3 due=2 failed_since=1 abandoned_since=1"],
      suggested_next_action: NEXT_ACTIONS.deliveryRed,
    });
  });

  test("deliveries due only", async () => {
    const seed = greenFleet();
    seed.deliveries = [{ kind: "webhook", status: "pending", createdAgoSec: 90 }];
    const f = await fleetOf(seed);
    expect(f.delivery).toMatchObject({ status: "amber", due_now: 1, oldest_due_age_sec: 90 });
    expect(f.summary.status).toBe("amber");
    expect(f.summary.suggested_next_action).toBe(NEXT_ACTIONS.deliveryAmber);
  });

  test("drift", async () => {
    const seed = greenFleet();
    // site 0 says down with no open event; site 1 has an open Down event but says up;
    // site 2 agrees with its open Seems Down event.
    seed.sites = [2, 1, 0, 1];
    seed.openEvents = [
      [1, "Down"],
      [2, "Seems Down"],
    ];
    const f = await fleetOf(seed);
    expect(f.projection_drift).toEqual({ status: "red", count: 2 });
    expect(f.summary).toMatchObject({
      status: "red",
      issues: ["projection drift: legacy projection drift=2"],
      suggested_next_action: NEXT_ACTIONS.driftRed,
    });
  });

  test("stopped-and-retired", async () => {
    const seed = greenFleet();
    // host-b was decommissioned two hours ago (host-a took its buckets); an old deliverer
    // was stopped a day and a half ago; a crashed monitor stays red however old it is.
    seed.processes = [
      ...withProcess(seed, "host-b", { state: "stopped", health_status: "amber", ageSec: 7200 }).processes,
      {
        host_id: "host-d",
        process_type: "deliverer",
        state: "stopped",
        health_status: "amber",
        ageSec: 36 * 3600,
      },
    ];
    seed.hosts = [{ host_id: "host-a", min: 0, max: 9 }];
    const f = await fleetOf(seed);
    expect(f.hidden_stopped_processes).toBe(1);
    expect(f.processes.map((p) => [p.process_id, p.status])).toEqual([
      ["host-a:monitor", "green"],
      ["host-c:deliverer", "green"],
      ["host-b:monitor", "stopped"],
    ]);
    expect(f.process_counts).toEqual({ monitor: 2, deliverer: 1 });
    expect(f.summary).toMatchObject({
      status: "green",
      stopped_processes: 1,
      stale_processes: 0,
      red_processes: 0,
      suggested_next_action: NEXT_ACTIONS.healthy,
    });
    expect(f.summary).not.toHaveProperty("issues");

    const crashed = await fleetOf(withProcess(seed, "host-b", { state: "running", health_status: "green" }));
    expect(crashed.summary.status).toBe("red");
    expect(crashed.summary.issues).toEqual(["host-b:monitor heartbeat stale age=7200s"]);
  });

  test("pinned rollout: amber with the pinned message, overlapping pinned monitors red", async () => {
    const seed = greenFleet();
    seed.hosts = [];
    seed.processes = seed.processes.map((p) =>
      p.process_type === "monitor"
        ? { ...p, bucket_ownership: `pinned range=${p.bucket_min}-${p.bucket_max}` }
        : p,
    );
    const f = await fleetOf(seed);
    expect(f.bucket_coverage).toMatchObject({ status: "amber", mode: "pinned", pinned_buckets: 10 });
    expect(f.summary.suggested_next_action).toBe(NEXT_ACTIONS.coverageAmber);

    const overlapping = await fleetOf(withProcess(seed, "host-b", { bucket_min: 4 }));
    expect(overlapping.bucket_coverage).toMatchObject({
      status: "red",
      error: 'pinned bucket ranges overlap before host "host-b" at bucket 4',
    });
  });

  test("verifiers roll up per verifier across monitors and versions", async () => {
    const seed = greenFleet();
    seed.processes = seed.processes.map((p) =>
      p.host_id === "host-b"
        ? {
            ...p,
            health_status: "red",
            dependency_health: [
              { name: "mysql", status: "green", checked_at: "2026-04-30T12:00:00Z" },
              {
                name: "veriflier:v1",
                status: "red",
                last_error: "connection refused",
                checked_at: "2026-04-30T12:00:00Z",
              },
            ],
          }
        : p,
    );
    const f = await fleetOf(seed);
    expect(f.dependencies?.[0]).toEqual({
      name: "veriflier:v1",
      status: "red",
      red_count: 1,
      amber_count: 0,
      green_count: 1,
      stale_count: 0,
      last_error: "connection refused",
      versions: ["1.0"],
    });
    expect(f.summary).toMatchObject({
      status: "red",
      dependency_red_count: 1,
      issues: ["host-b:monitor health_status=red"],
      suggested_next_action: NEXT_ACTIONS.redProcesses,
    });
  });

  test("empty database: amber, waiting for snapshots", async () => {
    const f = await fleetOf({ processes: [] });
    expect(f.processes).toEqual([]);
    expect(f).not.toHaveProperty("dependencies");
    expect(f.summary.status).toBe("amber");
    expect(f.summary.issues).toEqual([
      "no process-health snapshots found",
      "no monitor process snapshots found",
      `bucket coverage: jetmon_hosts has no dynamic ownership rows`,
    ]);
  });
});

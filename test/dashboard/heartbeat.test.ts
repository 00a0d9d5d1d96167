import { describe, expect, test } from "bun:test";
import { monitorSnapshot } from "../../src/dashboard/heartbeat.ts";
import { completeHostState } from "../../src/dashboard/state.ts";
import { validateSnapshot } from "../../src/fleethealth/snapshot.ts";

const id = {
  pid: 4242,
  version: "v1.2.3",
  buildDate: "2026-11-01",
  runtimeVersion: "bun 1.4.5",
  startedAt: new Date("2026-04-30T10:00:00Z"),
  apiPort: 8090,
  dashboardPort: 8080,
};

const state = completeHostState({
  hostname: "host-a",
  updated_at: "2026-04-30T10:01:00Z",
  worker_count: 12,
  active_checks: 3,
  queue_depth: 4,
  retry_queue_size: 5,
  held_results: 0,
  bucket_min: 0,
  bucket_max: 99,
  bucket_ownership: "pinned range=0-99",
  delivery_workers_enabled: true,
  delivery_config_eligible: true,
  delivery_owner_host: "host-a",
  wpcom_queue_depth: 2,
  go_sys_mem_mb: 88,
  rss_mem_mb: 99,
  sites_per_sec: 500,
});
const mysql = [{ name: "mysql", status: "green", checked_at: "2026-04-30T10:01:00Z" }];

describe("monitorSnapshot (TestMonitorProcessHealthSnapshot)", () => {
  test("copies the state and identity; health is the summary status", () => {
    const s = validateSnapshot(monitorSnapshot(id, state, mysql));
    expect(s).toMatchObject({
      process_id: "host-a:monitor",
      host_id: "host-a",
      process_type: "monitor",
      pid: 4242,
      go_version: "bun 1.4.5",
      state: "running",
      health_status: "green",
      bucket_min: 0,
      bucket_max: 99,
      api_port: 8090,
      dashboard_port: 8080,
      worker_count: 12,
      wpcom_queue_depth: 2,
      go_sys_mem_mb: 88,
      rss_mem_mb: 99,
      delivery_workers_enabled: true,
      delivery_owner_host: "host-a",
    });
    expect(s.dependency_health).toEqual(mysql);
    expect(s.started_at?.toISOString()).toBe("2026-04-30T10:00:00.000Z");
  });

  test("missing health makes it amber; uncovered buckets make it red", () => {
    expect(monitorSnapshot(id, state, null).health_status).toBe("amber");
    expect(monitorSnapshot(id, { ...state, uncovered_buckets: 5 }, mysql).health_status).toBe("red");
  });

  test("stopping and stopped are amber whatever the summary", () => {
    expect(monitorSnapshot(id, state, mysql, "stopping").health_status).toBe("amber");
    const red = [{ name: "mysql", status: "red", checked_at: "t" }];
    expect(monitorSnapshot(id, state, red, "stopped").health_status).toBe("amber");
  });

  test("zero ports are stored as 0, not NULL", () => {
    const s = validateSnapshot(monitorSnapshot({ ...id, apiPort: 0 }, state, mysql));
    expect(s.api_port).toBe(0);
  });
});

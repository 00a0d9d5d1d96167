/** The monitor's heartbeat unit: probe (heartbeat only) -> host state -> SSE publish -> snapshot row. */
import { describe, expect, test } from "bun:test";
import { MonitorHeartbeat } from "../../src/cli/monitor-heartbeat.ts";
import type { ProbeDeps } from "../../src/dashboard/probes.ts";
import type { HostState } from "../../src/dashboard/state.ts";
import type { Db } from "../../src/db/client.ts";
import type { MonitorFigures } from "../../src/monitor/orchestrator.ts";
import { testConfig } from "../monitor/support.ts";

const figures: MonitorFigures = {
  sites: 40,
  workerCount: 10,
  activeChecks: 3,
  queueDepth: 2,
  retryQueueSize: 1,
  sitesPerSec: 12.4,
  lastRound: { sitesPerSec: 12, durationMs: 3300, results: 40, endedAt: 1 },
  bucketMin: 0,
  bucketMax: 9,
  bucketOwnership: "dynamic jetmon_hosts",
  ownershipMode: "dynamic",
  uncoveredBuckets: "",
  uncoveredBucketCount: 0,
  totalChecked: 400,
  databaseHealthy: true,
  pendingWrites: 0,
  holdFull: false,
  writeProblem: null,
  wpcomCircuitOpen: true,
  wpcomQueueDepth: 4,
  state: "running",
};

function build(over: { statsd?: string } = {}) {
  const probes: ProbeDeps[] = [];
  const published: HostState[] = [];
  const config = testConfig({
    STATSD_ADDR: over.statsd ?? "",
    API_PORT: 8090,
    DASHBOARD_PORT: 8088,
    VERIFIERS: [{ name: "v1", host: "10.0.0.1", port: 7803, auth_token: "x" }],
  });
  const hb = new MonitorHeartbeat({
    db: {} as Db,
    hostname: "hb-host",
    config: () => config,
    figures: () => figures,
    dirs: { logs: "logs", stats: "stats" },
    wpcom: () => ({ circuitOpen: true, queueDepth: 4, dropped: 0, consecutiveFailures: 5 }),
    deliveryWorkersEnabled: false,
    hub: { publish: (s) => published.push(s) },
    startedAt: new Date(Date.UTC(2026, 11, 2, 7, 0, 0)),
    now: () => Date.UTC(2026, 11, 2, 8, 0, 0),
    memory: () => ({ heapMb: 50, rssMb: 120 }),
    pid: 4242,
    probe: async (deps) => {
      probes.push(deps);
      return [
        { name: "mysql", status: "green", latency_ms: 1, last_error: "", checked_at: "2026-12-02T08:00:00Z" },
      ];
    },
  });
  return { hb, probes, published };
}

describe("MonitorHeartbeat", () => {
  test("before the first beat: refresh builds the state from the figures; no health yet", () => {
    const { hb, probes, published } = build();
    const s = hb.refresh();
    expect(hb.state).toBe(s);
    expect(s).toMatchObject({
      hostname: "hb-host",
      worker_count: 10,
      active_checks: 3,
      sites_per_sec: 12,
      rss_mem_mb: 120,
    });
    expect(s.updated_at).toStartWith("2026-12-02T08:00:00");
    expect(hb.health).toBeNull();
    expect(probes).toHaveLength(0);
    expect(published).toHaveLength(0);
  });

  test("a heartbeat probes the dependencies, publishes the state to SSE and returns a running row", async () => {
    const { hb, probes, published } = build();
    const row = await hb.build("heartbeat");
    expect(probes).toHaveLength(1);
    const p = probes[0]!;
    expect(p.wpcom?.()).toEqual({ circuit_open: true, queue_depth: 4 });
    expect(p.statsd).toBeNull();
    expect(p.verifliers.map((v) => v.host)).toEqual(["10.0.0.1"]);
    expect(published).toHaveLength(1);
    expect(published[0]).toBe(hb.state!);
    expect(row).toMatchObject({
      host_id: "hb-host",
      process_type: "monitor",
      pid: 4242,
      state: "running",
      api_port: 8090,
      dashboard_port: 8088,
      worker_count: 10,
      wpcom_queue_depth: 4,
    });
    expect(row.dependency_health?.map((d) => d.name)).toEqual(["mysql"]);
    expect(hb.health?.map((d) => d.name)).toEqual(["mysql"]);
  });

  test("the stopping row skips the probes, keeps the last health, and is amber", async () => {
    const { hb, probes, published } = build({ statsd: "127.0.0.1:8125" });
    await hb.build("heartbeat");
    expect(probes[0]!.statsd).not.toBeNull();
    const row = await hb.build("stopping");
    expect(probes).toHaveLength(1);
    expect(published).toHaveLength(2);
    expect(row).toMatchObject({ state: "stopping", health_status: "amber" });
    expect(row.dependency_health?.map((d) => d.name)).toEqual(["mysql"]);
  });
});

/**
 * The monitor's heartbeat, one beat at a time: probe the dependencies (heartbeat phase only),
 * build the host state from the orchestrator's figures, publish it to the dashboard's SSE
 * clients, and turn it into the jetmon_process_health row the LifecyclePublisher writes.
 * The dashboard's figures therefore refresh at the heartbeat cadence (STATS_UPDATE_INTERVAL_MS).
 */
import type { Config } from "../config/schema.ts";
import { monitorSnapshot } from "../dashboard/heartbeat.ts";
import type { DashboardHub } from "../dashboard/hub.ts";
import { probeDependencies } from "../dashboard/probes.ts";
import type { HostHealth, HostState } from "../dashboard/state.ts";
import type { Db } from "../db/client.ts";
import type { BuildPhase } from "../fleethealth/publisher.ts";
import type { SnapshotInput } from "../fleethealth/snapshot.ts";
import { type ProcessMemory, processMemory } from "../metrics/memory.ts";
import type { MonitorFigures } from "../monitor/orchestrator.ts";
import { BUILD_DATE, RUNTIME_VERSION, VERSION } from "../version.ts";
import type { WpcomState } from "../wpcom/client.ts";
import { buildHostState } from "./host-state.ts";

export interface MonitorHeartbeatDeps {
  db: Db;
  hostname: string;
  config: () => Config;
  figures: () => MonitorFigures;
  wpcom: () => WpcomState;
  /** The logs and stats folders, resolved from config at start. */
  dirs: { logs: string; stats: string };
  /** Decided once at startup. */
  deliveryWorkersEnabled: boolean;
  hub: Pick<DashboardHub, "publish">;
  startedAt: Date;
  now?: () => number;
  memory?: () => ProcessMemory;
  /** Dependency probes (default dashboard/probes.ts:probeDependencies). */
  probe?: typeof probeDependencies;
  pid?: number;
}

export class MonitorHeartbeat {
  /** The latest host state (the dashboard's /api/state); null before the first refresh. */
  state: HostState | null = null;
  /** The latest dependency probes; null until the first heartbeat. */
  health: HostHealth | null = null;

  constructor(private readonly d: MonitorHeartbeatDeps) {}

  /** Rebuilds the host state from the current figures. */
  refresh(): HostState {
    const d = this.d;
    this.state = buildHostState({
      figures: d.figures(),
      config: d.config(),
      hostname: d.hostname,
      memory: (d.memory ?? processMemory)(),
      deliveryWorkersEnabled: d.deliveryWorkersEnabled,
      now: (d.now ?? Date.now)(),
    });
    return this.state;
  }

  /** The LifecyclePublisher's `build`: one beat (or the final `stopping` row, which skips the probes). */
  async build(phase: BuildPhase): Promise<SnapshotInput> {
    const d = this.d;
    const c = d.config();
    if (phase === "heartbeat") {
      this.health = await (d.probe ?? probeDependencies)({
        db: d.db,
        writeProblem: () => d.figures().writeProblem,
        wpcom: () => {
          const w = d.wpcom();
          return { circuit_open: w.circuitOpen, queue_depth: w.queueDepth };
        },
        statsd: c.STATSD_ADDR ? () => ({}) : null,
        dirs: d.dirs,
        verifliers: c.VERIFIERS,
      });
    }
    const state = this.refresh();
    d.hub.publish(state);
    const identity = {
      pid: d.pid ?? process.pid,
      version: VERSION,
      buildDate: BUILD_DATE,
      runtimeVersion: RUNTIME_VERSION,
      startedAt: d.startedAt,
      apiPort: c.API_PORT,
      dashboardPort: c.DASHBOARD_PORT,
    };
    return monitorSnapshot(identity, state, this.health, phase === "stopping" ? "stopping" : "running");
  }
}

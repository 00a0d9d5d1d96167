/** Builders shared by the fleet tests. */

import { assessProcesses } from "../../src/fleet/processes.ts";
import type { FleetProcess } from "../../src/fleet/types.ts";
import { type Snapshot, type SnapshotInput, validateSnapshot } from "../../src/fleethealth/snapshot.ts";

export const NOW = Date.parse("2026-04-30T12:00:00Z");
export const GRACE_SEC = 60;
export const RETAIN_SEC = 24 * 3600;

export const ago = (sec: number) => new Date(NOW - sec * 1000);

/** A process-health row; `ageSec` sets updated_at, everything else defaults to a green monitor. */
export function row(id: string, over: SnapshotInput & { ageSec?: number } = {}): Snapshot {
  const [host, type] = id.split(":") as [string, string];
  const { ageSec = 5, ...rest } = over;
  return validateSnapshot(
    {
      host_id: host,
      process_type: type,
      state: "running",
      health_status: "green",
      started_at: ago(3600),
      updated_at: ago(ageSec),
      ...rest,
    },
    NOW,
  );
}

export function fleet(
  rows: Snapshot[],
  rules = { graceSec: GRACE_SEC, retainStoppedSec: RETAIN_SEC },
): FleetProcess[] {
  return assessProcesses(rows, NOW, rules).processes;
}

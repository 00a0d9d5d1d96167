/**
 * The standalone deliverer's heartbeat health (docs/reference/dashboard-fleethealth.md §4.6): the rollup of its dependencies,
 * but amber when it runs delivery workers with no DELIVERY_OWNER_HOST (every deliverer would
 * deliver), and amber while stopping or stopped.
 */
import {
  type DependencyHealth,
  type HealthStatus,
  type ProcessState,
  rollupHealthStatus,
} from "./snapshot.ts";

export function delivererHealthStatus(
  deps: readonly DependencyHealth[],
  workersEnabled: boolean,
  ownerHost: string,
  state: ProcessState,
): HealthStatus {
  if (state === "stopping" || state === "stopped") return "amber";
  const rolled = rollupHealthStatus(deps);
  if (workersEnabled && ownerHost.trim() === "" && rolled === "green") return "amber";
  return rolled;
}

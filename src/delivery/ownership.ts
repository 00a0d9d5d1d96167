/**
 * Who runs delivery workers (docs/reference/deliverer.md §1.4, §2). The owner is `DELIVERY_OWNER_HOST` trimmed,
 * compared exactly and case-sensitively with the hostname. The messages are what operators and
 * the rollout runbooks grep for, so their wording is fixed.
 */
import type { HealthStatus, ProcessState } from "../fleethealth/snapshot.ts";

export type OwnerLevel = "INFO" | "WARN";

export interface OwnerDecision {
  /** Whether this process should run delivery workers. */
  enabled: boolean;
  level: OwnerLevel;
  message: string;
}

/** Both rules agree when the owner names this host. */
const matched = (owner: string): OwnerDecision => ({
  enabled: true,
  level: "INFO",
  message: `delivery_owner_host="${owner}" matched; delivery workers enabled on this host`,
});

/** The standalone `--mode=deliverer` rule: API_PORT plays no part. */
export function delivererOwnerStatus(ownerRaw: string, host: string): OwnerDecision {
  const owner = ownerRaw.trim();
  if (owner === "") {
    return {
      enabled: true,
      level: "WARN",
      message: `delivery_owner_host is unset; standalone deliverer on host "${host}" will run delivery workers`,
    };
  }
  if (owner === host) return matched(owner);
  return {
    enabled: false,
    level: "INFO",
    message: `delivery_owner_host="${owner}"; standalone deliverer idle on host "${host}"`,
  };
}

/** The monitor's embedded rule: workers also need API_PORT > 0. */
export function embeddedOwnerStatus(apiPort: number, ownerRaw: string, host: string): OwnerDecision {
  const owner = ownerRaw.trim();
  if (!(apiPort > 0)) {
    return owner === ""
      ? { enabled: false, level: "INFO", message: "delivery_workers=disabled api_port=disabled" }
      : {
          enabled: false,
          level: "INFO",
          message: `delivery_owner_host="${owner}" ignored because API_PORT is disabled`,
        };
  }
  if (owner === "") {
    return {
      enabled: true,
      level: "WARN",
      message: `delivery_owner_host is unset; host "${host}" will run delivery workers because API_PORT is enabled`,
    };
  }
  if (owner === host) return matched(owner);
  return {
    enabled: false,
    level: "INFO",
    message: `delivery_owner_host="${owner}"; delivery workers disabled on host "${host}"`,
  };
}

export interface DeliveryHealthInput {
  /** The rollup of the process's dependency health. */
  rollup: HealthStatus;
  /** The decision made at startup. */
  workersEnabled: boolean;
  /** DELIVERY_OWNER_HOST of the current config, untrimmed. */
  ownerRaw: string;
  host: string;
  state: ProcessState;
}

/**
 * The standalone deliverer's heartbeat health (docs/reference/deliverer.md §1.5, §4.6): amber while stopping or
 * stopped; else a red or amber rollup as it is; a green one turns amber when workers run with no
 * owner set (every deliverer would deliver) or when the current config would decide ownership
 * differently from the decision the workers started under (a restart is due).
 */
export function deliveryHealth(i: DeliveryHealthInput): HealthStatus {
  if (i.state === "stopping" || i.state === "stopped") return "amber";
  if (i.rollup !== "green") return i.rollup;
  if (i.workersEnabled && i.ownerRaw.trim() === "") return "amber";
  if (delivererOwnerStatus(i.ownerRaw, i.host).enabled !== i.workersEnabled) return "amber";
  return "green";
}

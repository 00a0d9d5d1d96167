/**
 * Who runs delivery workers (docs/reference/deliverer.md §1.4, §2). The owner is `DELIVERY_OWNER_HOST` trimmed,
 * compared exactly and case-sensitively with the hostname. The messages are what operators and
 * the rollout runbooks grep for, so their wording is fixed.
 */

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

/**
 * The heartbeat's health for a process running delivery (docs/reference/deliverer.md §1.5): running workers
 * with no owner set turn a green rollup amber, so the fleet view shows unconstrained delivery.
 */
export function deliveryHealth(
  rollup: "green" | "amber" | "red",
  workersEnabled: boolean,
  ownerRaw: string,
): "green" | "amber" | "red" {
  if (rollup === "green" && workersEnabled && ownerRaw.trim() === "") return "amber";
  return rollup;
}

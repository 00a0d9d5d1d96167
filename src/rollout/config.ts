import type { Config } from "../config/schema.ts";
import { embeddedOwnerStatus } from "../delivery/ownership.ts";

/** The config keys the rollout gates read; a loaded `Config` is one. */
export type RolloutConfig = Pick<
  Config,
  | "BUCKET_TOTAL"
  | "BUCKET_HEARTBEAT_GRACE_SEC"
  | "LEGACY_STATUS_PROJECTION_ENABLE"
  | "API_PORT"
  | "DELIVERY_OWNER_HOST"
  | "DASHBOARD_PORT"
  | "DASHBOARD_BIND_ADDR"
  | "PINNED_BUCKET_MIN"
  | "PINNED_BUCKET_MAX"
  | "BUCKET_NO_MIN"
  | "BUCKET_NO_MAX"
  | "CHECK_HISTORY_MODE"
  | "CHECK_HISTORY_SAMPLE_MIN"
>;

/** docs/reference/cli-rollout-api.md §1.5 delivery-owner line for this host (the monitor's embedded-worker rule). */
export function deliveryOwnerStatus(
  cfg: RolloutConfig,
  hostname: string,
): { level: "INFO" | "WARN"; message: string } {
  const d = embeddedOwnerStatus(cfg.API_PORT, cfg.DELIVERY_OWNER_HOST, hostname);
  return { level: d.level, message: d.message };
}

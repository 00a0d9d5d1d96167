/**
 * The rollout gate command lines an operator runs next, for this host's config
 * (docs/reference/dashboard-fleethealth.md §4.5, flags as docs/reference/cli-rollout-api.md §2). The dashboard shows them under Operator Commands and
 * `validate-config` prints them as advice lines.
 */
import type { HostState } from "./state.ts";

export interface CommandConfig {
  /** How the operator invokes the binary; default `./jetmon2`. */
  binary?: string;
  /** The pinned bucket range (PINNED_BUCKET_* or the legacy BUCKET_NO_*), or null in dynamic mode. */
  pinned: { min: number; max: number } | null;
  /** BUCKET_TOTAL; appended to the pinned preflight when > 0. */
  bucketTotal: number;
}

export interface RolloutCommands {
  stateReport: string;
  preflight: string;
  /** "" in dynamic mode. */
  cutover: string;
  activity: string;
  /** "" in dynamic mode. */
  rollback: string;
  driftReport: string;
  /** "" in dynamic mode. */
  staticPlan: string;
}

export function rolloutCommands(c: CommandConfig): RolloutCommands {
  const bin = c.binary?.trim() || "./jetmon2";
  const r = (rest: string) => `${bin} rollout ${rest}`;
  const common = {
    stateReport: r("state-report --since=15m"),
    activity: r("activity-check --since=15m"),
    driftReport: r("projection-drift"),
  };
  if (!c.pinned) {
    return { ...common, preflight: r("dynamic-check"), cutover: "", rollback: "", staticPlan: "" };
  }
  const total = c.bucketTotal > 0 ? ` --bucket-total=${c.bucketTotal}` : "";
  return {
    ...common,
    preflight: r(
      `host-preflight --file=<ranges.csv> --host=<v1-hostname> --runtime-host=<v2-hostname> ` +
        `--bucket-min=${c.pinned.min} --bucket-max=${c.pinned.max}${total}`,
    ),
    cutover: r("cutover-check --since=15m"),
    rollback: r("rollback-check"),
    staticPlan: r("static-plan-check --file=<ranges.csv>"),
  };
}

/** The command fields of the host state (docs/reference/dashboard-fleethealth.md §1.2). */
export function commandStateFields(
  c: RolloutCommands,
): Pick<
  HostState,
  | "rollout_preflight_command"
  | "rollout_cutover_command"
  | "rollout_activity_command"
  | "rollout_rollback_command"
  | "rollout_state_report_command"
  | "projection_drift_command"
> {
  return {
    rollout_preflight_command: c.preflight,
    rollout_cutover_command: c.cutover,
    rollout_activity_command: c.activity,
    rollout_rollback_command: c.rollback,
    rollout_state_report_command: c.stateReport,
    projection_drift_command: c.driftReport,
  };
}

/** `validate-config` advice lines (docs/reference/cli-rollout-api.md §1.5 step 5): 7 when pinned, 4 when dynamic. */
export function rolloutAdviceLines(c: CommandConfig): string[] {
  const cmd = rolloutCommands(c);
  const lines: string[] = [];
  if (cmd.staticPlan) lines.push(`INFO rollout_static_plan=${cmd.staticPlan}`);
  lines.push(`INFO rollout_preflight=${cmd.preflight}`);
  lines.push(`INFO rollout_activity_check=${cmd.activity}`);
  if (cmd.cutover) lines.push(`INFO rollout_cutover_check=${cmd.cutover}`);
  if (cmd.rollback) lines.push(`INFO rollout_rollback_check=${cmd.rollback}`);
  lines.push(`INFO rollout_state_report=${cmd.stateReport}`);
  lines.push(`INFO rollout_drift_report=${cmd.driftReport}`);
  return lines;
}

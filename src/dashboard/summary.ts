/**
 * The host's red/amber/green answer to "is this host safe to advance?" (docs/reference/dashboard-fleethealth.md §1.7), with
 * this project's changes (docs/design.md defects 4 and 14): a missing host state counts as amber, an
 * unknown dependency status counts as amber with an issue, and uncovered buckets are red.
 * The server computes it; the page only renders it.
 */
import { type DependencyHealth, DISABLED, type HealthStatus } from "../fleethealth/snapshot.ts";
import { type HostHealth, type HostState, isUnpublished } from "./state.ts";

export interface HostSummary {
  status: HealthStatus;
  message: string;
  /** Red issues first, then amber; omitted when there are none. */
  issues?: string[];
  red_count: number;
  amber_count: number;
  green_count: number;
  /** Dependencies the config turns off; they count neither amber nor red. */
  disabled_count: number;
}

export const SUMMARY_MESSAGES = {
  green: "host checks are green",
  amber: "operator attention needed before rollout",
  red: "rollout-blocking dependency or circuit issue",
} as const;

function issueText(d: Pick<DependencyHealth, "name" | "status" | "last_error">): string {
  return `${d.name} ${d.status}: ${d.last_error || "no detail reported"}`;
}

export function summarizeHost(
  state: HostState | null | undefined,
  health: HostHealth | null | undefined,
): HostSummary {
  let red = 0;
  let amber = 0;
  let green = 0;
  let disabled = 0;
  const redIssues: string[] = [];
  const amberIssues: string[] = [];

  const published = !isUnpublished(state);
  if (!published) {
    amber++;
    amberIssues.push("host state has not been published yet");
  }

  if (!health || health.length === 0) {
    amber++;
    amberIssues.push("dependency health has not been published yet");
  }

  let wpcomRed = false;
  for (const d of health ?? []) {
    if (d.status === "red") {
      red++;
      redIssues.push(issueText(d));
      if (d.name === "wpcom") wpcomRed = true;
    } else if (d.status === "amber") {
      amber++;
      amberIssues.push(issueText(d));
    } else if (d.status === "green") {
      green++;
    } else if (d.status === DISABLED) {
      disabled++;
    } else {
      amber++;
      const detail = d.last_error ? `; ${d.last_error}` : "";
      amberIssues.push(`${d.name} amber: unknown status ${JSON.stringify(d.status)}${detail}`);
    }
  }

  if (state) {
    if (state.wpcom_circuit_open && !wpcomRed) {
      red++;
      redIssues.push("wpcom red: circuit open");
    }
    if (state.uncovered_buckets > 0) {
      red++;
      const of = state.bucket_total > 0 ? ` of ${state.bucket_total}` : "";
      const where = state.uncovered_bucket_ranges ? ` (${state.uncovered_bucket_ranges})` : "";
      redIssues.push(`buckets red: ${state.uncovered_buckets}${of} buckets have no live host${where}`);
    }
    const missing = state.schema_missing_columns;
    if (missing.length > 0) {
      amber++;
      amberIssues.push(
        `schema amber: database lacks ${missing.join(", ")}; checks run without them — run jetmon2 migrate`,
      );
    }
    if (state.delivery_workers_enabled && state.delivery_owner_host === "") {
      amber++;
      amberIssues.push("delivery amber: runtime workers are enabled without DELIVERY_OWNER_HOST");
    }
    if (state.delivery_workers_enabled !== state.delivery_config_eligible) {
      amber++;
      amberIssues.push(
        "delivery amber: runtime worker state differs from current config; restart to apply ownership changes",
      );
    }
  }

  const status: HealthStatus = red > 0 ? "red" : amber > 0 ? "amber" : "green";
  const issues = [...redIssues, ...amberIssues];
  return {
    status,
    message: SUMMARY_MESSAGES[status],
    ...(issues.length > 0 ? { issues } : {}),
    red_count: red,
    amber_count: amber,
    green_count: green,
    disabled_count: disabled,
  };
}

/**
 * The coverage rules as the rollout gates use them: monitor/coverage.ts finds the problem, a
 * gate fails with it.
 */
import {
  dynamicCoverageProblem,
  type HostRange,
  type HostRow,
  staticPlanProblem,
} from "../monitor/coverage.ts";
import { GateError } from "./report.ts";

/** Throws GateError with the first problem of a static plan. */
export function validateStaticPlan(ranges: HostRange[], total: number): void {
  const problem = staticPlanProblem(ranges, total);
  if (problem) throw new GateError(problem);
}

/** Throws GateError with the first problem of live dynamic ownership. */
export function validateDynamicCoverage(
  hosts: HostRow[],
  total: number,
  graceSec: number,
  nowMs: number,
): void {
  const problem = dynamicCoverageProblem(hosts, total, graceSec, nowMs);
  if (problem) throw new GateError(problem);
}

/** `<host>=<min>-<max> status=<status>` joined by `, `, as gate errors list host rows. */
export function formatHostRows(rows: HostRow[]): string {
  return rows.map((r) => `${r.hostId}=${r.bucketMin}-${r.bucketMax} status=${r.status}`).join(", ");
}

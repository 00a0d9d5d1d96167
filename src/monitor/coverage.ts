/**
 * Bucket coverage rules: a static plan or the live `jetmon_hosts` rows must cover
 * 0..BUCKET_TOTAL-1 exactly once (docs/reference/cli-rollout-api.md §2.11, §2.13). Pure functions; a problem is a
 * value (the text an operator reads), which the rollout gates wrap in their GateError.
 */
import type { BucketRange } from "../config/validate.ts";
import { goQuote } from "../go-format.ts";
import { formatGoSeconds, rfc3339Nano } from "../time.ts";

export interface HostRange {
  hostId: string;
  bucketMin: number;
  bucketMax: number;
}

/** A `jetmon_hosts` row as the gates read it. */
export interface HostRow extends HostRange {
  /** epoch ms */
  lastHeartbeat: number;
  status: string;
}

/**
 * A `jetmon_hosts` row as the JSON reports show it (`rollout state-report`, docs/reference/cli-rollout-api.md §2.10;
 * the fleet view, docs/reference/dashboard-fleethealth.md §6.4, adds `stale`). The field names are the contract.
 */
export interface HostRowSummary {
  host_id: string;
  bucket_min: number;
  bucket_max: number;
  status: string;
  /** RFC3339Nano, UTC. */
  last_heartbeat: string;
  /** now - last_heartbeat, rounded to seconds, never negative. */
  last_heartbeat_age_sec: number;
}

export function summarizeHostRow(h: HostRow, nowMs: number): HostRowSummary {
  return {
    host_id: h.hostId,
    bucket_min: h.bucketMin,
    bucket_max: h.bucketMax,
    status: h.status,
    last_heartbeat: rfc3339Nano(h.lastHeartbeat),
    last_heartbeat_age_sec: Math.max(0, Math.round((nowMs - h.lastHeartbeat) / 1000)),
  };
}

/** Sorts ranges by bucket_min, then host id. */
export const byMinThenHost = (a: HostRange, b: HostRange) =>
  a.bucketMin - b.bucketMin || (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0);

/**
 * The empty range cannot be stored in SMALLINT UNSIGNED columns; (1, 0) stands for it. Such a row
 * holds no bucket: a joining host that waits for a live peer to give its share up, or a host
 * beyond BUCKET_TOTAL. Coverage walks skip it; its status and heartbeat are still checked.
 */
export const STORED_EMPTY_RANGE = { min: 1, max: 0 } as const;

export function holdsNothing(r: HostRange): boolean {
  return r.bucketMin === STORED_EMPTY_RANGE.min && r.bucketMax === STORED_EMPTY_RANGE.max;
}

/** Why a range does not fit 0..total-1, or null when 0 <= min <= max < total. */
export function rangeProblem(r: HostRange, total: number): string | null {
  return r.bucketMin >= 0 && r.bucketMax >= r.bucketMin && r.bucketMax < total
    ? null
    : `host ${goQuote(r.hostId)} has invalid bucket range ${r.bucketMin}-${r.bucketMax} for BUCKET_TOTAL=${total}`;
}

/**
 * The first problem walking `ranges` sorted by (bucket_min, host) over 0..total-1: what `check`
 * says of a host (asked before its range is walked), a gap, an overlap, or a trailing gap. Null
 * when the ranges cover every bucket exactly once.
 */
export function firstCoverageProblem<R extends HostRange>(
  ranges: readonly R[],
  total: number,
  what: string,
  check: (r: R) => string | null = () => null,
): string | null {
  let next = 0;
  for (const r of [...ranges].sort(byMinThenHost)) {
    const problem = check(r);
    if (problem) return problem;
    if (r.bucketMin > next)
      return `${what} has gap ${next}-${r.bucketMin - 1} before host ${goQuote(r.hostId)}`;
    if (r.bucketMin < next)
      return `${what} overlaps before host ${goQuote(r.hostId)} at bucket ${r.bucketMin}`;
    next = r.bucketMax + 1;
  }
  return next < total ? `${what} has trailing gap ${next}-${total - 1}` : null;
}

/** A static plan: unique hosts, valid ranges, exact cover of 0..total-1. Null when it holds. */
export function staticPlanProblem(ranges: HostRange[], total: number): string | null {
  if (total <= 0) return "BUCKET_TOTAL must be > 0";
  if (ranges.length === 0) return "static bucket plan has no host ranges";
  const seen = new Set<string>();
  for (const r of ranges) {
    if (seen.has(r.hostId)) return `host ${goQuote(r.hostId)} is listed more than once`;
    seen.add(r.hostId);
    const invalid = rangeProblem(r, total);
    if (invalid) return invalid;
  }
  return firstCoverageProblem(ranges, total, "static bucket plan");
}

/** Live dynamic ownership: every row active and fresh, valid ranges, exact cover. Null when it holds. */
export function dynamicCoverageProblem(
  hosts: HostRow[],
  total: number,
  graceSec: number,
  nowMs: number,
): string | null {
  if (total <= 0) return "BUCKET_TOTAL must be > 0";
  if (graceSec <= 0) return "BUCKET_HEARTBEAT_GRACE_SEC must be > 0";
  if (hosts.length === 0) return "jetmon_hosts has no rows; dynamic ownership is not established";
  const rowProblem = (h: HostRow): string | null => {
    if (h.status !== "active") {
      return `host ${goQuote(h.hostId)} has status=${goQuote(h.status)}; all dynamic ownership rows must be active`;
    }
    const ageMs = nowMs - h.lastHeartbeat;
    if (ageMs > graceSec * 1000) {
      return `host ${goQuote(h.hostId)} heartbeat is stale age=${formatGoSeconds(ageMs / 1000)} grace=${formatGoSeconds(graceSec)}`;
    }
    return holdsNothing(h) ? null : rangeProblem(h, total);
  };
  for (const h of hosts.filter(holdsNothing)) {
    const problem = rowProblem(h);
    if (problem) return problem;
  }
  const holding = hosts.filter((h) => !holdsNothing(h));
  return firstCoverageProblem(holding, total, "dynamic bucket coverage", rowProblem);
}

export interface CoverageOverlap extends BucketRange {
  hosts: string[];
}

export interface CoverageMap {
  /** Hosts that count as covering: status active and heartbeat within the grace period. */
  liveHosts: string[];
  /** Buckets no live host covers, as maximal ranges. */
  gaps: BucketRange[];
  uncoveredBuckets: number;
  /** Buckets more than one live host covers, with the hosts (sorted). */
  overlaps: CoverageOverlap[];
}

export function isLive(h: HostRow, graceSec: number, nowMs: number): boolean {
  return h.status === "active" && nowMs - h.lastHeartbeat <= graceSec * 1000;
}

/**
 * Every gap and overlap at once, where validation stops at the first problem. A stale or
 * draining row covers nothing here, so the buckets a crashed host still holds show as a gap.
 */
export function mapCoverage(hosts: HostRow[], total: number, graceSec: number, nowMs: number): CoverageMap {
  const live = hosts.filter((h) => isLive(h, graceSec, nowMs));
  const clamped = live
    .map((h) => ({ hostId: h.hostId, min: Math.max(0, h.bucketMin), max: Math.min(total - 1, h.bucketMax) }))
    .filter((r) => r.min <= r.max);
  const cuts = new Set<number>([0, Math.max(total, 0)]);
  for (const r of clamped) {
    cuts.add(r.min);
    cuts.add(r.max + 1);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const gaps: BucketRange[] = [];
  const overlaps: CoverageOverlap[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const min = points[i];
    const next = points[i + 1];
    if (min === undefined || next === undefined) continue;
    const max = next - 1;
    if (min > max || min >= total) continue;
    const owners = clamped
      .filter((r) => r.min <= min && r.max >= max)
      .map((r) => r.hostId)
      .sort();
    if (owners.length === 0) {
      const last = gaps.at(-1);
      if (last && last.max + 1 === min) last.max = max;
      else gaps.push({ min, max });
    } else if (owners.length > 1) {
      const last = overlaps.at(-1);
      if (last && last.max + 1 === min && last.hosts.join(",") === owners.join(",")) last.max = max;
      else overlaps.push({ min, max, hosts: owners });
    }
  }
  return {
    liveHosts: live.map((h) => h.hostId).sort(),
    gaps,
    uncoveredBuckets: gaps.reduce((n, g) => n + g.max - g.min + 1, 0),
    overlaps,
  };
}

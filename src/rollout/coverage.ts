/**
 * Bucket coverage rules: a static plan or the live `jetmon_hosts` rows must cover
 * 0..BUCKET_TOTAL-1 exactly once (reference §2.11, §2.13). Pure functions.
 */
import type { BucketRange } from "./config.ts";
import { goQuote } from "./format.ts";
import { GateError } from "./report.ts";
import { formatGoSeconds } from "./time.ts";

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

const byMinThenHost = (a: HostRange, b: HostRange) =>
  a.bucketMin - b.bucketMin || (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0);

function walkContiguous(sorted: HostRange[], total: number, what: string): void {
  let next = 0;
  for (const r of sorted) {
    if (r.bucketMin > next) {
      throw new GateError(`${what} has gap ${next}-${r.bucketMin - 1} before host ${goQuote(r.hostId)}`);
    }
    if (r.bucketMin < next) {
      throw new GateError(`${what} overlaps before host ${goQuote(r.hostId)} at bucket ${r.bucketMin}`);
    }
    next = r.bucketMax + 1;
  }
  if (next < total) throw new GateError(`${what} has trailing gap ${next}-${total - 1}`);
}

const validRange = (r: HostRange, total: number) =>
  r.bucketMin >= 0 && r.bucketMax >= r.bucketMin && r.bucketMax < total;

const invalidRange = (r: HostRange, total: number) =>
  new GateError(
    `host ${goQuote(r.hostId)} has invalid bucket range ${r.bucketMin}-${r.bucketMax} for BUCKET_TOTAL=${total}`,
  );

/** A static plan: unique hosts, valid ranges, exact cover of 0..total-1. */
export function validateStaticPlan(ranges: HostRange[], total: number): void {
  if (total <= 0) throw new GateError("BUCKET_TOTAL must be > 0");
  if (ranges.length === 0) throw new GateError("static bucket plan has no host ranges");
  const seen = new Set<string>();
  for (const r of ranges) {
    if (seen.has(r.hostId)) throw new GateError(`host ${goQuote(r.hostId)} is listed more than once`);
    seen.add(r.hostId);
    if (!validRange(r, total)) throw invalidRange(r, total);
  }
  walkContiguous([...ranges].sort(byMinThenHost), total, "static bucket plan");
}

/** Live dynamic ownership: every row active and fresh, valid ranges, exact cover. */
export function validateDynamicCoverage(
  hosts: HostRow[],
  total: number,
  graceSec: number,
  nowMs: number,
): void {
  if (total <= 0) throw new GateError("BUCKET_TOTAL must be > 0");
  if (graceSec <= 0) throw new GateError("BUCKET_HEARTBEAT_GRACE_SEC must be > 0");
  if (hosts.length === 0)
    throw new GateError("jetmon_hosts has no rows; dynamic ownership is not established");
  const sorted = [...hosts].sort(byMinThenHost);
  let next = 0;
  for (const h of sorted) {
    if (h.status !== "active") {
      throw new GateError(
        `host ${goQuote(h.hostId)} has status=${goQuote(h.status)}; all dynamic ownership rows must be active`,
      );
    }
    const ageMs = nowMs - h.lastHeartbeat;
    if (ageMs > graceSec * 1000) {
      throw new GateError(
        `host ${goQuote(h.hostId)} heartbeat is stale age=${formatGoSeconds(ageMs / 1000)} grace=${formatGoSeconds(graceSec)}`,
      );
    }
    if (!validRange(h, total)) throw invalidRange(h, total);
    if (h.bucketMin > next) {
      throw new GateError(
        `dynamic bucket coverage has gap ${next}-${h.bucketMin - 1} before host ${goQuote(h.hostId)}`,
      );
    }
    if (h.bucketMin < next) {
      throw new GateError(
        `dynamic bucket coverage overlaps before host ${goQuote(h.hostId)} at bucket ${h.bucketMin}`,
      );
    }
    next = h.bucketMax + 1;
  }
  if (next < total) throw new GateError(`dynamic bucket coverage has trailing gap ${next}-${total - 1}`);
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
    const min = points[i]!;
    const max = points[i + 1]! - 1;
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

/** `<host>=<min>-<max> status=<status>` joined by `, `, as gate errors list host rows. */
export function formatHostRows(rows: HostRow[]): string {
  return rows.map((r) => `${r.hostId}=${r.bucketMin}-${r.bucketMax} status=${r.status}`).join(", ");
}

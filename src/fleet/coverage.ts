/**
 * Bucket coverage across the fleet (docs/reference/dashboard-fleethealth.md §6.4): the ownership mode the fresh monitors
 * report, then, for dynamic ownership, whether the `jetmon_hosts` rows cover
 * 0..BUCKET_TOTAL-1 exactly once with active, fresh rows. In pinned mode the buckets not held by
 * Bun/Go v2 monitors belong to v1 hosts that publish nothing, so gaps are expected (amber), but
 * two v2 monitors reporting overlapping pinned ranges check the same sites twice (red). Pure.
 */

import { goQuote } from "../go-format.ts";
import {
  byMinThenHost,
  firstCoverageProblem,
  type HostRange,
  type HostRow,
  holdsNothing,
  rangeProblem,
  summarizeHostRow,
} from "../monitor/coverage.ts";
import { ageMs, isActive, isStale } from "./processes.ts";
import { settlingOverlap } from "./settling.ts";
import type { BucketCoverage, CoverageHost, FleetProcess, OwnershipMode } from "./types.ts";

export const PINNED_MESSAGE =
  "monitor process snapshots report pinned bucket ranges; dynamic jetmon_hosts coverage is not active";
export const MIXED_MESSAGE = "monitor process snapshots report mixed pinned and dynamic bucket ownership";
export const NO_HOSTS_MESSAGE = "jetmon_hosts has no dynamic ownership rows";
const NO_TOTAL_MESSAGE = "BUCKET_TOTAL is not configured";

/** From the lowercased `bucket_ownership` of active monitors; unknown with host rows is dynamic. */
export function ownershipMode(processes: readonly FleetProcess[], hostCount: number): OwnershipMode {
  let pinned = false;
  let dynamic = false;
  for (const p of processes) {
    if (p.process_type !== "monitor" || !isActive(p)) continue;
    const label = p.bucket_ownership.toLowerCase();
    if (label.includes("pinned")) pinned = true;
    if (label.includes("dynamic")) dynamic = true;
  }
  if (pinned && dynamic) return "mixed";
  if (pinned) return "pinned";
  if (dynamic || hostCount > 0) return "dynamic";
  return "unknown";
}

/** Pinned ranges may leave gaps (v1 hosts own them); an invalid range or an overlap is an error. */
function walkPinnedRanges(ranges: readonly HostRange[], total: number): string | null {
  let expected = 0;
  for (const r of [...ranges].sort(byMinThenHost)) {
    const invalid = rangeProblem(r, total);
    if (invalid) return invalid;
    if (r.bucketMin < expected) {
      return `pinned bucket ranges overlap before host ${goQuote(r.hostId)} at bucket ${r.bucketMin}`;
    }
    expected = r.bucketMax + 1;
  }
  return null;
}

function pinnedRanges(processes: readonly FleetProcess[]): HostRange[] {
  const out: HostRange[] = [];
  for (const p of processes) {
    if (p.process_type !== "monitor" || !isActive(p)) continue;
    if (!p.bucket_ownership.toLowerCase().includes("pinned")) continue;
    if (p.bucket_min === undefined || p.bucket_max === undefined) continue;
    out.push({ hostId: p.host_id, bucketMin: p.bucket_min, bucketMax: p.bucket_max });
  }
  return out;
}

export interface CoverageInput {
  /** The `jetmon_hosts` rows in query order, or the query's error. */
  hosts: readonly HostRow[] | Error;
  processes: readonly FleetProcess[];
  bucketTotal: number;
  graceSec: number;
  nowMs: number;
}

/** docs/reference/dashboard-fleethealth.md §6.4 rules, first match wins, plus the pinned overlap check described above. */
export function summarizeCoverage(input: CoverageInput): BucketCoverage {
  const { hosts, processes, bucketTotal: total, graceSec, nowMs } = input;
  if (hosts instanceof Error) {
    return { status: "red", mode: "unknown", bucket_total: total, host_count: 0, error: hosts.message };
  }
  if (total <= 0) {
    return {
      status: "amber",
      mode: "unknown",
      bucket_total: total,
      host_count: hosts.length,
      error: NO_TOTAL_MESSAGE,
    };
  }
  const rows: CoverageHost[] = hosts.map((h) => ({
    ...summarizeHostRow(h, nowMs),
    stale: isStale(ageMs(h.lastHeartbeat, nowMs), graceSec),
  }));
  const mode = ownershipMode(processes, rows.length);
  const base = { mode, bucket_total: total, host_count: rows.length };
  const withHosts = rows.length > 0 ? { hosts: rows } : {};

  if (mode === "pinned") {
    const ranges = pinnedRanges(processes);
    const error = walkPinnedRanges(ranges, total);
    const pinned_buckets = ranges.reduce((n, r) => n + (r.bucketMax - r.bucketMin + 1), 0);
    return error
      ? { status: "red", ...base, pinned_buckets, error, ...withHosts }
      : { status: "amber", ...base, pinned_buckets, error: PINNED_MESSAGE, ...withHosts };
  }
  if (mode === "mixed") return { status: "amber", ...base, error: MIXED_MESSAGE, ...withHosts };
  if (rows.length === 0) return { status: "amber", ...base, error: NO_HOSTS_MESSAGE };

  // A row that holds nothing (a joiner waiting for its share) covers no bucket and is no gap.
  const holding = hosts.filter((h) => !holdsNothing(h));
  const gap = firstCoverageProblem(holding, total, "dynamic bucket coverage", (r) => rangeProblem(r, total));
  // A join's overlap is amber while it settles (./settling.ts); a gap, or a lasting overlap, is red.
  const settling = gap ? settlingOverlap(hosts, processes, total, graceSec, nowMs) : null;
  if (gap && !settling) return { status: "red", ...base, error: gap, ...withHosts };
  for (const h of rows) {
    if (h.status !== "active") {
      return {
        status: "red",
        ...base,
        error: `host ${goQuote(h.host_id)} has status=${goQuote(h.status)}`,
        ...withHosts,
      };
    }
    if (h.stale) {
      return { status: "red", ...base, error: `host ${goQuote(h.host_id)} heartbeat is stale`, ...withHosts };
    }
  }
  if (settling) return { status: "amber", ...base, error: settling, settling: true, ...withHosts };
  return { status: "green", ...base, ...withHosts };
}

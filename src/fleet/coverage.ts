/**
 * Bucket coverage across the fleet (reference §6.4): the ownership mode the fresh monitors
 * report, then, for dynamic ownership, whether the `jetmon_hosts` rows cover
 * 0..BUCKET_TOTAL-1 exactly once with active, fresh rows. In pinned mode the buckets not held by
 * Bun/Go v2 monitors belong to v1 hosts that publish nothing, so gaps are expected (amber), but
 * two v2 monitors reporting overlapping pinned ranges check the same sites twice (red). Pure.
 */

import { rfc3339 } from "../fleethealth/snapshot.ts";
import type { HostRow } from "../rollout/coverage.ts";
import { goQuote } from "../rollout/format.ts";
import { ageMs, isActive, isStale } from "./processes.ts";
import type { BucketCoverage, CoverageHost, FleetProcess, OwnershipMode } from "./types.ts";

export const PINNED_MESSAGE =
  "monitor process snapshots report pinned bucket ranges; dynamic jetmon_hosts coverage is not active";
export const MIXED_MESSAGE = "monitor process snapshots report mixed pinned and dynamic bucket ownership";
export const NO_HOSTS_MESSAGE = "jetmon_hosts has no dynamic ownership rows";
export const NO_TOTAL_MESSAGE = "BUCKET_TOTAL is not configured";

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

interface Range {
  host: string;
  min: number;
  max: number;
}

const byMinThenHost = (a: Range, b: Range) =>
  a.min - b.min || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0);

function invalidRange(r: Range, total: number): string | null {
  return r.min < 0 || r.max < r.min || r.max >= total
    ? `host ${goQuote(r.host)} has invalid bucket range ${r.min}-${r.max} for BUCKET_TOTAL=${total}`
    : null;
}

/** First gap, overlap or invalid range over 0..total-1, or null when covered exactly once. */
export function walkDynamicCoverage(ranges: readonly Range[], total: number): string | null {
  let expected = 0;
  for (const r of [...ranges].sort(byMinThenHost)) {
    const invalid = invalidRange(r, total);
    if (invalid) return invalid;
    if (r.min > expected) {
      return `dynamic bucket coverage has gap ${expected}-${r.min - 1} before host ${goQuote(r.host)}`;
    }
    if (r.min < expected) {
      return `dynamic bucket coverage overlaps before host ${goQuote(r.host)} at bucket ${r.min}`;
    }
    expected = r.max + 1;
  }
  return expected < total ? `dynamic bucket coverage has trailing gap ${expected}-${total - 1}` : null;
}

/** Pinned ranges may leave gaps (v1 hosts own them); an invalid range or an overlap is an error. */
export function walkPinnedRanges(ranges: readonly Range[], total: number): string | null {
  let expected = 0;
  for (const r of [...ranges].sort(byMinThenHost)) {
    const invalid = invalidRange(r, total);
    if (invalid) return invalid;
    if (r.min < expected) {
      return `pinned bucket ranges overlap before host ${goQuote(r.host)} at bucket ${r.min}`;
    }
    expected = r.max + 1;
  }
  return null;
}

function pinnedRanges(processes: readonly FleetProcess[]): Range[] {
  const out: Range[] = [];
  for (const p of processes) {
    if (p.process_type !== "monitor" || !isActive(p)) continue;
    if (!p.bucket_ownership.toLowerCase().includes("pinned")) continue;
    if (p.bucket_min === undefined || p.bucket_max === undefined) continue;
    out.push({ host: p.host_id, min: p.bucket_min, max: p.bucket_max });
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

/** Reference §6.4 rules, first match wins, plus the pinned overlap check described above. */
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
  const rows: CoverageHost[] = hosts.map((h) => {
    const age = ageMs(h.lastHeartbeat, nowMs);
    return {
      host_id: h.hostId,
      bucket_min: h.bucketMin,
      bucket_max: h.bucketMax,
      status: h.status,
      last_heartbeat: rfc3339(new Date(h.lastHeartbeat)),
      last_heartbeat_age_sec: Math.round(age / 1000),
      stale: isStale(age, graceSec),
    };
  });
  const mode = ownershipMode(processes, rows.length);
  const base = { mode, bucket_total: total, host_count: rows.length };
  const withHosts = rows.length > 0 ? { hosts: rows } : {};

  if (mode === "pinned") {
    const ranges = pinnedRanges(processes);
    const error = walkPinnedRanges(ranges, total);
    const pinned_buckets = ranges.reduce((n, r) => n + (r.max - r.min + 1), 0);
    return error
      ? { status: "red", ...base, pinned_buckets, error, ...withHosts }
      : { status: "amber", ...base, pinned_buckets, error: PINNED_MESSAGE, ...withHosts };
  }
  if (mode === "mixed") return { status: "amber", ...base, error: MIXED_MESSAGE, ...withHosts };
  if (rows.length === 0) return { status: "amber", ...base, error: NO_HOSTS_MESSAGE };

  const gap = walkDynamicCoverage(
    rows.map((h) => ({ host: h.host_id, min: h.bucket_min, max: h.bucket_max })),
    total,
  );
  if (gap) return { status: "red", ...base, error: gap, ...withHosts };
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
  return { status: "green", ...base, ...withHosts };
}

import type { BucketRange } from "../config/validate.ts";

/** Closed ranges; `max < min` is the empty range. */

export const EMPTY_RANGE: BucketRange = { min: 0, max: -1 };

export function isEmptyRange(r: BucketRange): boolean {
  return r.max < r.min;
}

/**
 * Water-fill (docs/reference/monitor-core.md §1.5): hosts sorted by byte order, each takes
 * ceil(remaining / hostsRemaining) buckets capped at `target`. Coverage is
 * min(total, hosts × target); the rest is reported by `uncoveredRanges`.
 */
export function assignBucketRanges(hosts: string[], total: number, target: number): Map<string, BucketRange> {
  const sorted = [...new Set(hosts)].sort(byteOrder);
  const out = new Map<string, BucketRange>();
  let next = 0;
  sorted.forEach((host, i) => {
    const remainingHosts = sorted.length - i;
    if (next >= total) {
      out.set(host, EMPTY_RANGE);
      return;
    }
    const size = Math.min(Math.ceil((total - next) / remainingHosts), target);
    if (size < 1) {
      out.set(host, EMPTY_RANGE);
      return;
    }
    out.set(host, { min: next, max: next + size - 1 });
    next += size;
  });
  return out;
}

function byteOrder(a: string, b: string): number {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return Buffer.compare(ba, bb);
}

/** Bucket ranges in [0, total) that none of `ranges` covers, merged and ascending. */
export function uncoveredRanges(ranges: BucketRange[], total: number): BucketRange[] {
  const live = ranges
    .filter((r) => !isEmptyRange(r))
    .map((r) => ({ min: Math.max(0, r.min), max: Math.min(total - 1, r.max) }))
    .filter((r) => !isEmptyRange(r))
    .sort((a, b) => a.min - b.min);
  const gaps: BucketRange[] = [];
  let expected = 0;
  for (const r of live) {
    if (r.min > expected) gaps.push({ min: expected, max: r.min - 1 });
    expected = Math.max(expected, r.max + 1);
  }
  if (expected < total) gaps.push({ min: expected, max: total - 1 });
  return gaps;
}

/**
 * The part of `want` (this host's water-fill share) that no range in `held` (live peers' rows)
 * covers, as one range: a host never takes a bucket a peer still holds. When peers' rows split
 * `want` into pieces, the piece that keeps most of `prev` (the host's current range) wins, so
 * the host does not drop buckets it checks now; else the largest, then the lowest.
 */
export function claimableRange(
  want: BucketRange,
  held: BucketRange[],
  prev: BucketRange | null,
): BucketRange {
  if (isEmptyRange(want)) return EMPTY_RANGE;
  const pieces: BucketRange[] = [];
  let next = want.min;
  for (const h of held.filter((r) => !isEmptyRange(r)).sort((a, b) => a.min - b.min)) {
    if (h.max < next) continue;
    if (h.min > want.max) break;
    if (h.min > next) pieces.push({ min: next, max: h.min - 1 });
    next = Math.max(next, h.max + 1);
    if (next > want.max) break;
  }
  if (next <= want.max) pieces.push({ min: next, max: want.max });
  const size = (r: BucketRange) => r.max - r.min + 1;
  const kept = (r: BucketRange) =>
    prev && !isEmptyRange(prev) ? Math.max(0, Math.min(r.max, prev.max) - Math.max(r.min, prev.min) + 1) : 0;
  let best: BucketRange = EMPTY_RANGE;
  for (const p of pieces) {
    if (isEmptyRange(best) || kept(p) > kept(best) || (kept(p) === kept(best) && size(p) > size(best))) {
      best = p;
    }
  }
  return best;
}

export function countBuckets(ranges: BucketRange[]): number {
  return ranges.reduce((n, r) => n + Math.max(0, r.max - r.min + 1), 0);
}

/** "500-999" style text for logs and the dashboard; "" when there is none. */
export function formatRanges(ranges: BucketRange[]): string {
  return ranges.map((r) => (r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`)).join(",");
}

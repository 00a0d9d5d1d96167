/**
 * Which buckets and which time window a gate looks at (docs/reference/cli-rollout-api.md §2.4). Pure functions;
 * errors are GateErrors worded as the reference words them.
 */
import { type BucketRange, pinnedBucketRange } from "../config/validate.ts";
import { goQuote } from "../go-format.ts";
import { parseGoDuration, parseRfc3339 } from "../time.ts";
import type { RolloutConfig } from "./config.ts";
import { GateError } from "./report.ts";

export const UNSET = -1;

function checkBounds(min: number, max: number, total: number): BucketRange {
  if (max < min) throw new GateError("bucket-max must be >= bucket-min");
  if (max >= total) throw new GateError(`bucket-max must be < BUCKET_TOTAL (${total})`);
  return { min, max };
}

/** activity-check, projection-drift: explicit pair, else the pinned range, else the whole ring. */
export function resolveRolloutRange(cfg: RolloutConfig, min: number, max: number): BucketRange {
  if (min < UNSET || max < UNSET) throw new GateError("bucket-min and bucket-max must be >= 0");
  if ((min === UNSET) !== (max === UNSET))
    throw new GateError("bucket-min and bucket-max must be set together");
  if (min !== UNSET) return checkBounds(min, max, cfg.BUCKET_TOTAL);
  const pinned = pinnedBucketRange(cfg);
  if (pinned) return pinned;
  return fullRange(cfg);
}

/** rollback-check: explicit pair, else the pinned range; dynamic config needs explicit bounds. */
export function resolvePinnedOrExplicitRange(cfg: RolloutConfig, min: number, max: number): BucketRange {
  if (min < UNSET || max < UNSET) throw new GateError("bucket-min and bucket-max must be >= 0");
  if (min >= 0 || max >= 0) {
    if (min < 0 || max < 0) throw new GateError("bucket-min and bucket-max must be set together");
    return checkBounds(min, max, cfg.BUCKET_TOTAL);
  }
  const pinned = pinnedBucketRange(cfg);
  if (pinned) return pinned;
  throw new GateError("rollback-check needs a pinned bucket config or explicit --bucket-min/--bucket-max");
}

export function fullRange(cfg: RolloutConfig): BucketRange {
  if (cfg.BUCKET_TOTAL <= 0) throw new GateError("BUCKET_TOTAL must be > 0");
  return { min: 0, max: cfg.BUCKET_TOTAL - 1 };
}

/** `--since`: a positive Go duration before `now`, or an RFC3339 instant. Returns epoch ms. */
export function resolveCutoff(since: string, nowMs: number): number {
  const s = since.trim();
  if (s === "") throw new GateError("since must not be empty");
  const d = parseGoDuration(s);
  if (d !== undefined) {
    if (d <= 0) throw new GateError("since duration must be > 0");
    return nowMs - d;
  }
  const t = parseRfc3339(s);
  if (t !== undefined) return t;
  throw new GateError(`since ${goQuote(s)} must be a duration like 15m or an RFC3339 timestamp`);
}

export const formatRange = (r: BucketRange): string => `${r.min}-${r.max}`;

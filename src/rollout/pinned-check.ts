/**
 * Pinned safety (docs/reference/cli-rollout-api.md §2.5): a pinned v2 host must own exactly its configured range with
 * the legacy projection on, and no dynamic `jetmon_hosts` row may claim any of it.
 * Embedded in host-preflight and cutover-check.
 */
import { type BucketRange, pinnedBucketRange } from "../config/validate.ts";
import { goQuote } from "../go-format.ts";
import type { RolloutConfig } from "./config.ts";
import { formatHostRows } from "./coverage.ts";
import { type GateContext, query, resolveHost } from "./gate-context.ts";
import { formatRange } from "./ranges.ts";
import { GateError } from "./report.ts";

export const NOT_PINNED =
  "pinned bucket range is not configured; set PINNED_BUCKET_MIN/PINNED_BUCKET_MAX or BUCKET_NO_MIN/BUCKET_NO_MAX";

export function requirePinned(cfg: RolloutConfig): BucketRange {
  const r = pinnedBucketRange(cfg);
  if (!r) throw new GateError(NOT_PINNED);
  return r;
}

export async function pinnedSafetyCheck(ctx: GateContext, hostOverride: string): Promise<void> {
  const cfg = await ctx.config();
  const store = await ctx.store();
  const { lines } = ctx;
  const range = requirePinned(cfg);
  const r = formatRange(range);
  lines.pass(`pinned_range=${r}`);
  if (!cfg.LEGACY_STATUS_PROJECTION_ENABLE) {
    throw new GateError("LEGACY_STATUS_PROJECTION_ENABLE must be true during pinned v1-to-v2 rollout");
  }
  lines.pass("legacy_status_projection=enabled");
  if (cfg.API_PORT > 0) {
    lines.warn(`api_port=${cfg.API_PORT}; confirm the API/delivery ownership plan before monitor cutover`);
  } else {
    lines.pass("api_port=disabled");
  }
  const host = resolveHost(ctx, hostOverride);
  const exists = await query(`check jetmon_hosts row for ${goQuote(host)}`, () => store.hostRowExists(host));
  if (exists) {
    throw new GateError(
      `host ${goQuote(host)} still has a jetmon_hosts row; pinned hosts must not participate in dynamic bucket ownership`,
    );
  }
  lines.pass(`jetmon_hosts row absent host=${goQuote(host)}`);
  const overlapping = await query(`list jetmon_hosts rows overlapping pinned range ${r}`, () =>
    store.hostRowsOverlapping(range.min, range.max),
  );
  if (overlapping.length > 0) {
    throw new GateError(
      `jetmon_hosts has ${overlapping.length} row(s) overlapping pinned range ${r}: ${formatHostRows(overlapping)}`,
    );
  }
  lines.pass("jetmon_hosts overlap=0");
  const active = await query(`count active sites in pinned range ${r}`, () =>
    store.countActiveSites(range.min, range.max),
  );
  lines.info(`active_sites_in_pinned_range=${active}`);
  if (active === 0)
    lines.warn("active_sites_in_pinned_range=0; confirm this v1 host range is intentionally empty");
  const drift = await query(`count legacy projection drift in pinned range ${r}`, () =>
    store.countProjectionDrift(range.min, range.max),
  );
  if (drift > 0) throw new GateError(`legacy projection drift=${drift} in pinned range ${r}`);
  lines.pass("legacy_projection_drift=0");
  lines.text("pinned rollout check passed");
}

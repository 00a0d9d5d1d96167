/**
 * Pinned safety (docs/reference/cli-rollout-api.md §2.5): a pinned v2 host must own exactly its configured range with
 * the legacy projection on, and no dynamic `jetmon_hosts` row may claim any of it.
 * Embedded in host-preflight and cutover-check.
 */
import { type BucketRange, pinnedBucketRange } from "../config/validate.ts";
import type { RolloutConfig } from "./config.ts";
import { type GateContext, resolveHost } from "./gate-context.ts";
import { checkSitesAndDrift, requireNoDynamicRows } from "./range-checks.ts";
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
  await requireNoDynamicRows(
    lines,
    store,
    host,
    range,
    "pinned range",
    "pinned hosts must not participate in dynamic bucket ownership",
  );
  await checkSitesAndDrift(lines, store, range, {
    rangeName: "pinned range",
    activeKey: "active_sites_in_pinned_range",
    emptyAdvice: "confirm this v1 host range is intentionally empty",
  });
  lines.text("pinned rollout check passed");
}

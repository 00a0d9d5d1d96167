/**
 * Rollback gate (docs/reference/cli-rollout-api.md §2.9): before v1 takes a range back, no dynamic `jetmon_hosts` row
 * may claim it (the v2 host's row gone, no overlap) and the legacy projection must not drift,
 * since v1 resumes from `site_status`.
 */

import { type GateContext, resolveHost } from "./gate-context.ts";
import { checkSitesAndDrift, requireNoDynamicRows } from "./range-checks.ts";
import { formatRange, resolvePinnedOrExplicitRange } from "./ranges.ts";

export interface RollbackOptions {
  host: string;
  bucketMin: number;
  bucketMax: number;
}

export async function rollbackCheck(ctx: GateContext, opts: RollbackOptions): Promise<void> {
  const cfg = await ctx.config();
  const store = await ctx.store();
  const { lines } = ctx;
  const range = resolvePinnedOrExplicitRange(cfg, opts.bucketMin, opts.bucketMax);
  const r = formatRange(range);
  lines.pass(`rollback_range=${r}`);
  const host = resolveHost(ctx, opts.host);
  await requireNoDynamicRows(
    lines,
    store,
    host,
    range,
    "rollback range",
    "stop v2 or clear dynamic ownership before restarting v1",
  );
  await checkSitesAndDrift(lines, store, range, {
    rangeName: "rollback range",
    activeKey: "active_sites_in_rollback_range",
    emptyAdvice: "confirm this v1 host range is intentionally empty",
    driftAdvice: "fix drift before restarting v1 readers",
  });
  lines.text("rollback check passed");
}

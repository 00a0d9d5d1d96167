/**
 * Rollback gate (docs/reference/cli-rollout-api.md §2.9): before v1 takes a range back, no dynamic `jetmon_hosts` row
 * may claim it (the v2 host's row gone, no overlap) and the legacy projection must not drift,
 * since v1 resumes from `site_status`.
 */

import { goQuote } from "../go-format.ts";
import { formatHostRows } from "./coverage.ts";
import { type GateContext, query, resolveHost } from "./gate-context.ts";
import { formatRange, resolvePinnedOrExplicitRange } from "./ranges.ts";
import { GateError } from "./report.ts";

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
  const exists = await query(`check jetmon_hosts row for ${goQuote(host)}`, () => store.hostRowExists(host));
  if (exists) {
    throw new GateError(
      `host ${goQuote(host)} still has a jetmon_hosts row; stop v2 or clear dynamic ownership before restarting v1`,
    );
  }
  lines.pass(`jetmon_hosts row absent host=${goQuote(host)}`);
  const overlapping = await query(`list jetmon_hosts rows overlapping rollback range ${r}`, () =>
    store.hostRowsOverlapping(range.min, range.max),
  );
  if (overlapping.length > 0) {
    throw new GateError(
      `jetmon_hosts has ${overlapping.length} row(s) overlapping rollback range ${r}: ${formatHostRows(overlapping)}`,
    );
  }
  lines.pass("jetmon_hosts overlap=0");
  const active = await query(`count active sites in rollback range ${r}`, () =>
    store.countActiveSites(range.min, range.max),
  );
  lines.info(`active_sites_in_rollback_range=${active}`);
  if (active === 0)
    lines.warn("active_sites_in_rollback_range=0; confirm this v1 host range is intentionally empty");
  const drift = await query(`count legacy projection drift in rollback range ${r}`, () =>
    store.countProjectionDrift(range.min, range.max),
  );
  if (drift > 0) {
    throw new GateError(
      `legacy projection drift=${drift} in rollback range ${r}; fix drift before restarting v1 readers`,
    );
  }
  lines.pass("legacy_projection_drift=0");
  lines.text("rollback check passed");
}

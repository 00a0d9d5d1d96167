/**
 * Post-cutover activity (docs/reference/cli-rollout-api.md §2.8): the active sites of a range must show fresh
 * `last_checked_at` writes, proof that a check loop owns those buckets. An idle range fails.
 */

import { rfc3339 } from "../time.ts";
import { type GateContext, query } from "./gate-context.ts";
import { historyNoteLine } from "./history-note.ts";
import { formatRange, resolveCutoff, resolveRolloutRange } from "./ranges.ts";
import { GateError } from "./report.ts";

export interface ActivityOptions {
  bucketMin: number;
  bucketMax: number;
  since: string;
  requireAll: boolean;
}

export async function activityCheck(ctx: GateContext, opts: ActivityOptions): Promise<void> {
  const cfg = await ctx.config();
  const store = await ctx.store();
  const { lines } = ctx;
  const range = resolveRolloutRange(cfg, opts.bucketMin, opts.bucketMax);
  const cutoffMs = resolveCutoff(opts.since, ctx.now());
  const r = formatRange(range);
  const cutoff = rfc3339(cutoffMs);
  const active = await query(`count active sites in activity range ${r}`, () =>
    store.countActiveSites(range.min, range.max),
  );
  const checked = await query(`count recently checked active sites in range ${r} since ${cutoff}`, () =>
    store.countRecentlyChecked(range.min, range.max, cutoffMs),
  );
  lines.info(`activity_range=${r}`);
  lines.info(`activity_since=${cutoff}`);
  lines.info(`active_sites=${active}`);
  lines.info(`active_sites_checked_since=${checked}`);
  const history = historyNoteLine(cfg);
  if (history) lines.info(history);
  if (active === 0) {
    lines.warn("active_sites=0; confirm this range is intentionally empty");
    lines.text("post-cutover activity check passed");
    return;
  }
  if (checked === 0) throw new GateError(`no active sites in range ${r} have last_checked_at >= ${cutoff}`);
  if (opts.requireAll && checked < active) {
    throw new GateError(
      `only ${checked}/${active} active sites in range ${r} have last_checked_at >= ${cutoff}`,
    );
  }
  lines.pass(
    opts.requireAll ? "rollout_activity=all_active_sites_checked" : "rollout_activity=recent_checks_present",
  );
  lines.text("post-cutover activity check passed");
}

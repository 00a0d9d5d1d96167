/**
 * Post-start gate for a pinned v2 host (docs/reference/cli-rollout-api.md §2.7): pinned safety, fresh checks in the
 * range, the dashboard answering, and no projection drift. Stops at the first failure.
 */
import { activityCheck } from "./activity-check.ts";
import { dashboardStateUrl, probeDashboard } from "./dashboard-probe.ts";
import type { GateContext } from "./gate-context.ts";
import { pinnedSafetyCheck } from "./pinned-check.ts";
import { projectionDrift } from "./projection-drift.ts";
import { GateError } from "./report.ts";

export interface CutoverOptions {
  host: string;
  bucketMin: number;
  bucketMax: number;
  since: string;
  requireAll: boolean;
  limit: number;
  /** -1 means DASHBOARD_PORT from config. */
  statusPort: number;
  skipStatus: boolean;
}

export async function cutoverCheck(ctx: GateContext, opts: CutoverOptions): Promise<void> {
  const cfg = await ctx.config();
  await ctx.store();
  const { lines } = ctx;

  lines.section("pinned preflight");
  await pinnedSafetyCheck(ctx, opts.host);

  lines.section("activity check");
  await activityCheck(ctx, opts);

  lines.section("dashboard status");
  if (opts.skipStatus) {
    lines.info("dashboard_status=skipped reason=operator");
  } else {
    const port = opts.statusPort === -1 ? cfg.DASHBOARD_PORT : opts.statusPort;
    if (port < 0) throw new GateError("status-port must be >= 0");
    if (port === 0) {
      lines.info("dashboard_status=skipped dashboard_port=disabled");
    } else {
      const url = dashboardStateUrl(cfg.DASHBOARD_BIND_ADDR, port);
      const state = await probeDashboard(ctx.fetch, url, port);
      lines.pass(`dashboard_status=${url}`);
      if (state !== "") lines.info(`dashboard_state=${state}`);
    }
  }

  lines.section("projection drift");
  await projectionDrift(ctx, {
    bucketMin: opts.bucketMin,
    bucketMax: opts.bucketMax,
    limit: opts.limit,
    repair: false,
    yes: false,
  });
  lines.text("cutover check passed");
}

/**
 * Dynamic ownership gate (docs/reference/cli-rollout-api.md §2.13): with no pinned range left in config, the live
 * `jetmon_hosts` rows must cover every bucket exactly once and the projection must not drift.
 */

import { pinnedBucketRange } from "../config/validate.ts";
import { validateDynamicCoverage } from "./coverage.ts";
import { type GateContext, query } from "./gate-context.ts";
import { checkSitesAndDrift } from "./range-checks.ts";
import { formatRange, fullRange } from "./ranges.ts";
import { GateError } from "./report.ts";

export async function dynamicCheck(ctx: GateContext): Promise<void> {
  const cfg = await ctx.config();
  const store = await ctx.store();
  const { lines } = ctx;
  const pinned = pinnedBucketRange(cfg);
  if (pinned) {
    throw new GateError(
      `pinned bucket range ${formatRange(pinned)} is still configured; remove PINNED_BUCKET_*/BUCKET_NO_* before dynamic ownership cutover`,
    );
  }
  lines.pass("bucket_ownership=dynamic");
  if (!cfg.LEGACY_STATUS_PROJECTION_ENABLE) {
    throw new GateError(
      "LEGACY_STATUS_PROJECTION_ENABLE must remain true until legacy readers have migrated",
    );
  }
  lines.pass("legacy_status_projection=enabled");
  const hosts = await query("query jetmon_hosts", () => store.allHosts());
  lines.info(`jetmon_hosts_rows=${hosts.length}`);
  validateDynamicCoverage(hosts, cfg.BUCKET_TOTAL, cfg.BUCKET_HEARTBEAT_GRACE_SEC, ctx.now());
  const range = fullRange(cfg);
  const r = formatRange(range);
  lines.pass(`dynamic_bucket_coverage=${r} hosts=${hosts.length}`);
  await checkSitesAndDrift(lines, store, range, {
    rangeName: "dynamic range",
    activeKey: "active_sites_dynamic_range",
    emptyAdvice: "confirm the production site table is intentionally empty",
  });
  lines.text("dynamic rollout check passed");
}

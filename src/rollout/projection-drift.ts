/**
 * Legacy projection drift (docs/reference/cli-rollout-api.md §2.12): sites whose v1 `site_status` disagrees with the
 * status their open http event implies. v1 readers trust `site_status`, so drift must be zero
 * before a range moves in either direction. Read-only unless `--repair --yes`.
 */

import { DRIFT_CAUSES, type DriftCause, type DriftRow } from "../events/drift.ts";
import { type GateContext, query } from "./gate-context.ts";
import { formatRange, resolveRolloutRange } from "./ranges.ts";
import { GateError } from "./report.ts";

export interface DriftOptions {
  bucketMin: number;
  bucketMax: number;
  limit: number;
  repair: boolean;
  yes: boolean;
}

const CAUSE_EXPECTS: Record<DriftCause, number> = {
  open_down_event: 2,
  open_seems_down_event: 0,
  open_other_event: 1,
  no_open_event: 1,
};

const row = ([blog, bucket, status, expected, event, state]: [
  string,
  string,
  string,
  string,
  string,
  string,
]) =>
  `${blog.padEnd(12)} ${bucket.padEnd(8)} ${status.padEnd(11)} ${expected.padEnd(9)} ${event.padEnd(10)} ${state}`;

export function driftTable(rows: DriftRow[]): string[] {
  return [
    row(["BLOG_ID", "BUCKET", "SITE_STATUS", "EXPECTED", "EVENT_ID", "EVENT_STATE"]),
    ...rows.map((r) =>
      row([
        String(r.blogId),
        String(r.bucketNo),
        String(r.siteStatus),
        String(r.expectedStatus),
        r.eventId === null ? "-" : String(r.eventId),
        r.eventState ?? "-",
      ]),
    ),
  ];
}

export async function projectionDrift(ctx: GateContext, opts: DriftOptions): Promise<void> {
  const cfg = await ctx.config();
  const store = await ctx.store();
  const { lines } = ctx;
  if (opts.limit <= 0) throw new GateError("limit must be > 0");
  if (opts.yes && !opts.repair)
    throw new GateError("--yes only confirms --repair; add --repair to rewrite site_status");
  const range = resolveRolloutRange(cfg, opts.bucketMin, opts.bucketMax);
  const r = formatRange(range);
  const drift = await query(`count legacy projection drift in range ${r}`, () =>
    store.countProjectionDrift(range.min, range.max),
  );
  lines.info(`projection_drift_range=${r}`);
  lines.info(`legacy_projection_drift=${drift}`);
  if (drift === 0) {
    lines.pass("legacy_projection_drift=0");
    return;
  }
  const causes = await query(`count legacy projection drift by cause in range ${r}`, () =>
    store.countProjectionDriftByCause(range.min, range.max),
  );
  for (const cause of DRIFT_CAUSES) {
    const n = causes.get(cause);
    if (n)
      lines.info(`projection_drift_cause=${cause} count=${n} expected_site_status=${CAUSE_EXPECTS[cause]}`);
  }
  const rows = await query(`list legacy projection drift in range ${r}`, () =>
    store.listProjectionDrift(range.min, range.max, opts.limit),
  );
  for (const line of driftTable(rows)) lines.text(line);
  if (drift > rows.length) lines.info(`projection_drift_rows_truncated=${drift - rows.length}`);

  if (!opts.repair) throw new GateError(`legacy projection drift=${drift} in range ${r}`);
  if (!opts.yes) {
    lines.warn("projection_drift_repair=skipped reason=confirmation_required");
    throw new GateError(`legacy projection drift=${drift} in range ${r}; --repair writes only with --yes`);
  }
  const result = await query(`repair legacy projection drift in range ${r}`, () =>
    store.repairProjectionDrift(range.min, range.max, {
      nowMs: ctx.now(),
      source: ctx.hostname().trim() || "rollout",
    }),
  );
  lines.pass(`projection_drift_repaired=${result.repaired} range=${r}`);
  if (result.conflicts.length > 0) {
    lines.warn(
      `projection_drift_repair_conflicts=${result.conflicts.length} blog_ids=${result.conflicts.join(",")} reason=open_http_events_disagree`,
    );
  }
  const after = await query(`count legacy projection drift in range ${r}`, () =>
    store.countProjectionDrift(range.min, range.max),
  );
  lines.info(`legacy_projection_drift_after_repair=${after}`);
  if (after > 0) throw new GateError(`legacy projection drift=${after} in range ${r} after repair`);
  lines.pass("legacy_projection_drift=0");
}

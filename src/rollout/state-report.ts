/**
 * `rollout state-report` (docs/reference/cli-rollout-api.md §2.10): where the rollout stands and what to do next.
 * Informational: it exits 0 whenever the report is built, even when `ok` is false. Besides the
 * reference's first-error coverage validation it maps every bucket no live host covers (gaps)
 * and every bucket two live hosts claim (overlaps).
 */
import { type BucketRange, pinnedBucketRange } from "../config/validate.ts";
import { errorText } from "../error-text.ts";
import { ZERO_TIME } from "../fleethealth/snapshot.ts";
import { goQuote } from "../go-format.ts";
import {
  type CoverageOverlap,
  type HostRowSummary,
  mapCoverage,
  summarizeHostRow,
} from "../monitor/coverage.ts";
import { rfc3339, rfc3339Nano } from "../time.ts";
import { deliveryOwnerStatus, type RolloutConfig } from "./config.ts";
import { validateDynamicCoverage } from "./coverage.ts";
import { query } from "./gate-context.ts";
import { type HistoryNote, historyNote, renderHistoryNote } from "./history-note.ts";
import { formatRange, fullRange, resolveCutoff } from "./ranges.ts";
import type { RolloutStore } from "./store.ts";

export interface StateReport {
  ok: boolean;
  command: "rollout state-report";
  generated_at: string;
  host?: string;
  ownership: { mode: "" | "pinned" | "dynamic"; bucket_min: number; bucket_max: number };
  bucket_coverage: {
    status: "" | "pinned_config" | "complete" | "invalid";
    bucket_total: number;
    host_count: number;
    error?: string;
    hosts?: HostRowSummary[];
    /** Dynamic mode: buckets no active, fresh host covers. */
    gaps?: BucketRange[];
    uncovered_buckets?: number;
    /** Dynamic mode: buckets more than one active, fresh host covers. */
    overlaps?: CoverageOverlap[];
  };
  activity: {
    since: string;
    active_sites: number;
    checked_since: number;
    unchecked_since: number;
    checked_percent: number;
  };
  /** CHECK_HISTORY_MODE when it is not `all`: what jetmon_check_history holds; activity is unaffected. */
  check_history?: HistoryNote;
  projection_drift: { count: number };
  /** Blogs with more than one active site row (the lowest site id is the one checked). */
  duplicate_sites?: { blog_id: number; site_ids: number[] }[];
  delivery_owner: { level: string; message: string };
  suggested_next_action?: string;
  issues?: string[];
}

/** The report printed when config, DB or the build fails: zero values and the one issue. */
export function failedStateReport(nowMs: number, issue: string): StateReport {
  return {
    ok: false,
    command: "rollout state-report",
    generated_at: rfc3339Nano(nowMs),
    ownership: { mode: "", bucket_min: 0, bucket_max: 0 },
    bucket_coverage: { status: "", bucket_total: 0, host_count: 0 },
    activity: { since: ZERO_TIME, active_sites: 0, checked_since: 0, unchecked_since: 0, checked_percent: 0 },
    projection_drift: { count: 0 },
    delivery_owner: { level: "", message: "" },
    issues: [issue],
  };
}

export interface StateReportInput {
  cfg: RolloutConfig;
  store: RolloutStore;
  nowMs: number;
  hostname: string;
  since: string;
}

export async function buildStateReport({
  cfg,
  store,
  nowMs,
  hostname,
  since,
}: StateReportInput): Promise<StateReport> {
  const cutoffMs = resolveCutoff(since, nowMs);
  const host = hostname.trim() || "unknown";
  const pinned = pinnedBucketRange(cfg);
  const range = pinned ?? fullRange(cfg);
  const r = formatRange(range);
  const issues: string[] = [];

  const coverage: StateReport["bucket_coverage"] = {
    status: "pinned_config",
    bucket_total: cfg.BUCKET_TOTAL,
    host_count: 0,
  };
  if (!pinned) {
    const rows = await query("query jetmon_hosts", () => store.allHosts());
    coverage.host_count = rows.length;
    coverage.hosts = rows.map((h) => summarizeHostRow(h, nowMs));
    try {
      validateDynamicCoverage(rows, cfg.BUCKET_TOTAL, cfg.BUCKET_HEARTBEAT_GRACE_SEC, nowMs);
      coverage.status = "complete";
    } catch (err) {
      coverage.status = "invalid";
      coverage.error = errorText(err);
      issues.push(coverage.error);
    }
    const map = mapCoverage(rows, cfg.BUCKET_TOTAL, cfg.BUCKET_HEARTBEAT_GRACE_SEC, nowMs);
    coverage.gaps = map.gaps;
    coverage.uncovered_buckets = map.uncoveredBuckets;
    coverage.overlaps = map.overlaps;
    if (map.gaps.length > 0) {
      issues.push(
        `${map.uncoveredBuckets} bucket(s) not covered by any live jetmon_hosts row: ${map.gaps.map(formatRange).join(", ")}`,
      );
    }
    for (const o of map.overlaps) {
      issues.push(`buckets ${formatRange(o)} are covered by more than one live host: ${o.hosts.join(", ")}`);
    }
  }

  const active = await query(`count active sites in range ${r}`, () =>
    store.countActiveSites(range.min, range.max),
  );
  const checked = await query(
    `count recently checked active sites in range ${r} since ${rfc3339(cutoffMs)}`,
    () => store.countRecentlyChecked(range.min, range.max, cutoffMs),
  );
  const drift = await query(`count legacy projection drift in range ${r}`, () =>
    store.countProjectionDrift(range.min, range.max),
  );
  const duplicates = await query(`list duplicate active site rows in range ${r}`, () =>
    store.duplicateActiveBlogs(range.min, range.max),
  );
  for (const d of duplicates) {
    issues.push(
      `blog_id ${d.blog_id} has ${d.site_ids.length} active site rows (${d.site_ids.join(", ")}); site ${d.site_ids[0]} is checked`,
    );
  }
  const unchecked = Math.max(0, active - checked);
  const delivery = deliveryOwnerStatus(cfg, host);
  const history = historyNote(cfg);

  if (drift > 0) issues.push(`legacy projection drift=${drift}`);
  if (active > 0 && checked === 0) issues.push(`no active sites checked since ${rfc3339(cutoffMs)}`);
  else if (unchecked > 0) issues.push(`${checked}/${active} active sites checked since ${rfc3339(cutoffMs)}`);
  if (delivery.level === "WARN") issues.push(delivery.message);

  const report: StateReport = {
    ok: issues.length === 0,
    command: "rollout state-report",
    generated_at: rfc3339Nano(nowMs),
    host,
    ownership: { mode: pinned ? "pinned" : "dynamic", bucket_min: range.min, bucket_max: range.max },
    bucket_coverage: coverage,
    activity: {
      since: rfc3339Nano(cutoffMs),
      active_sites: active,
      checked_since: checked,
      unchecked_since: unchecked,
      checked_percent: active > 0 ? (checked * 100) / active : 0,
    },
    ...(history ? { check_history: history } : {}),
    projection_drift: { count: drift },
    ...(duplicates.length > 0 ? { duplicate_sites: duplicates } : {}),
    delivery_owner: delivery,
    suggested_next_action: nextAction({
      invalid: coverage.status === "invalid",
      drift,
      active,
      checked,
      unchecked,
      deliveryWarn: delivery.level === "WARN",
      pinned: pinned !== null,
    }),
  };
  if (issues.length > 0) report.issues = issues;
  return report;
}

function nextAction(s: {
  invalid: boolean;
  drift: number;
  active: number;
  checked: number;
  unchecked: number;
  deliveryWarn: boolean;
  pinned: boolean;
}): string {
  if (s.invalid) return "Fix jetmon_hosts bucket coverage before relying on dynamic ownership.";
  if (s.drift > 0)
    return "Run rollout projection-drift --limit=100 and fix legacy projection drift before continuing.";
  if (s.active === 0) return "Confirm this range is intentionally empty before continuing.";
  if (s.checked === 0)
    return "Investigate the check loop; no active sites have fresh last_checked_at writes.";
  if (s.unchecked > 0)
    return "Wait one full expected round, then run rollout cutover-check --require-all before moving on.";
  if (s.deliveryWarn) {
    return "Set DELIVERY_OWNER_HOST or explicitly approve multi-owner delivery before enabling API delivery workers.";
  }
  if (s.pinned)
    return "Continue with the next pinned host; after every host is on v2, plan dynamic ownership cutover.";
  return "Dynamic ownership looks healthy; continue normal v2 rolling updates and monitoring.";
}

/** The text rendering of docs/reference/cli-rollout-api.md §2.10, plus one line per host row, gap and overlap. */
export function renderStateReport(rep: StateReport): string[] {
  const out: string[] = [];
  const a = rep.activity;
  const c = rep.bucket_coverage;
  out.push(`INFO rollout_state_generated_at=${rfc3339(Date.parse(rep.generated_at))}`);
  out.push(`INFO host=${goQuote(rep.host ?? "")}`);
  out.push(
    `INFO ownership_mode=${rep.ownership.mode} bucket_range=${rep.ownership.bucket_min}-${rep.ownership.bucket_max}`,
  );
  if (c.status === "invalid") out.push(`WARN bucket_coverage=invalid error=${goQuote(c.error ?? "")}`);
  else out.push(`PASS bucket_coverage=${c.status} bucket_total=${c.bucket_total} host_count=${c.host_count}`);
  for (const h of c.hosts ?? []) {
    out.push(
      `INFO jetmon_host=${goQuote(h.host_id)} bucket_range=${h.bucket_min}-${h.bucket_max} status=${h.status} last_heartbeat_age_sec=${h.last_heartbeat_age_sec}`,
    );
  }
  for (const g of c.gaps ?? [])
    out.push(`WARN bucket_coverage_gap=${formatRange(g)} buckets=${g.max - g.min + 1}`);
  for (const o of c.overlaps ?? [])
    out.push(`WARN bucket_coverage_overlap=${formatRange(o)} hosts=${o.hosts.join(",")}`);
  out.push(`INFO activity_since=${rfc3339(Date.parse(a.since))}`);
  out.push(
    `INFO active_sites=${a.active_sites} checked_since=${a.checked_since} unchecked_since=${a.unchecked_since} checked_percent=${a.checked_percent.toFixed(1)}`,
  );
  if (rep.check_history) out.push(`INFO ${renderHistoryNote(rep.check_history)}`);
  if (rep.projection_drift.count > 0) out.push(`WARN legacy_projection_drift=${rep.projection_drift.count}`);
  else out.push("PASS legacy_projection_drift=0");
  for (const d of rep.duplicate_sites ?? []) {
    out.push(
      `WARN duplicate_site_rows blog_id=${d.blog_id} site_ids=${d.site_ids.join(",")} checked=${d.site_ids[0]}`,
    );
  }
  out.push(`${rep.delivery_owner.level} ${rep.delivery_owner.message}`);
  for (const issue of rep.issues ?? []) out.push(`WARN rollout_state_issue=${goQuote(issue)}`);
  if (rep.suggested_next_action) out.push(`INFO suggested_next_action=${goQuote(rep.suggested_next_action)}`);
  return out;
}

/**
 * The read-only delivery queue report behind `jetmon2 delivery-check` (docs/reference/deliverer.md §1.8): the
 * per-table counts of queue-counts.ts, their total, and the thresholds an operator or a systemd
 * gate sets on them.
 */

import type { Executor } from "../db/sql.ts";
import { parseGoDuration, parseRfc3339, rfc3339, rfc3339Nano } from "../time.ts";
import type { DeliveryKind } from "./kinds.ts";
import type { OwnerDecision } from "./ownership.ts";
import { type QueueSummary, queueCounts, sumCounts } from "./queue-counts.ts";

/** One table's row of the report. */
export async function summarizeQueue(
  ex: Executor,
  kind: DeliveryKind,
  now: number,
  cutoff: number,
): Promise<QueueSummary> {
  return { kind, ...(await queueCounts(ex, kind, now, cutoff)) };
}

/** The `total` row: counts summed, ages the largest. */
export function totalOf(rows: readonly QueueSummary[]): QueueSummary {
  return { kind: "total", ...sumCounts(rows) };
}

export interface ReportLimits {
  /** -1 turns a limit off. */
  maxPending: number;
  maxDue: number;
  maxAbandoned: number;
  maxFailed: number;
  requireRecentDelivery: boolean;
  requireRecentWebhookDelivery: boolean;
  requireRecentAlertDelivery: boolean;
}

/** The failures, in the reference order; empty means ok. `since` is the cutoff as RFC3339. */
export function reportFailures(tables: readonly QueueSummary[], l: ReportLimits, since: string): string[] {
  const t = totalOf(tables);
  const byKind = (k: string) => tables.find((r) => r.kind === k);
  const out: string[] = [];
  const over = (m: number, n: number) => m >= 0 && n > m;
  if (over(l.maxPending, t.pending))
    out.push(`pending deliveries total=${t.pending} exceeds max-pending=${l.maxPending}`);
  if (over(l.maxDue, t.due_now)) out.push(`due deliveries total=${t.due_now} exceeds max-due=${l.maxDue}`);
  if (over(l.maxAbandoned, t.abandoned_since)) {
    out.push(
      `abandoned deliveries since ${since} total=${t.abandoned_since} exceeds max-abandoned=${l.maxAbandoned}`,
    );
  }
  if (over(l.maxFailed, t.failed_since)) {
    out.push(`failed deliveries since ${since} total=${t.failed_since} exceeds max-failed=${l.maxFailed}`);
  }
  if (l.requireRecentDelivery && t.delivered_since === 0) out.push(`no delivered rows since ${since}`);
  if (l.requireRecentWebhookDelivery && (byKind("webhook")?.delivered_since ?? 0) === 0) {
    out.push(`no webhook deliveries since ${since}`);
  }
  if (l.requireRecentAlertDelivery && (byKind("alert")?.delivered_since ?? 0) === 0) {
    out.push(`no alert-contact deliveries since ${since}`);
  }
  return out;
}

export interface DeliveryReport {
  ok: boolean;
  host: string;
  generated_at: string;
  since: string;
  owner_level: string;
  owner_message?: string;
  tables: QueueSummary[];
  total: QueueSummary;
  failures?: string[];
}

export function buildReport(o: {
  host: string;
  now: number;
  cutoff: number;
  owner: Pick<OwnerDecision, "level" | "message">;
  tables: QueueSummary[];
  limits: ReportLimits;
}): DeliveryReport {
  const failures = reportFailures(o.tables, o.limits, rfc3339(o.cutoff));
  // Key order is the JSON field order (docs/reference/deliverer.md §1.8); empty optional fields are left out.
  return {
    ok: failures.length === 0,
    host: o.host,
    generated_at: rfc3339Nano(o.now),
    since: rfc3339Nano(o.cutoff),
    owner_level: o.owner.level,
    ...(o.owner.message ? { owner_message: o.owner.message } : {}),
    tables: o.tables,
    total: totalOf(o.tables),
    ...(failures.length > 0 ? { failures } : {}),
  };
}

const COLUMNS: [string, keyof QueueSummary][] = [
  ["KIND", "kind"],
  ["PENDING", "pending"],
  ["DUE_NOW", "due_now"],
  ["FUTURE_RETRY", "future_retry"],
  ["DELIVERED_SINCE", "delivered_since"],
  ["ABANDONED_SINCE", "abandoned_since"],
  ["FAILED_SINCE", "failed_since"],
  ["OLDEST_PENDING_SEC", "oldest_pending_age_sec"],
  ["OLDEST_DUE_SEC", "oldest_due_age_sec"],
];

/** A left-aligned table, columns two spaces apart (Go's tabwriter with padding 2). */
export function renderTable(rows: readonly QueueSummary[]): string[] {
  const cells = [COLUMNS.map(([h]) => h), ...rows.map((r) => COLUMNS.map(([, k]) => String(r[k])))];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((c) => (c[i] ?? "").length)));
  return cells.map((c) =>
    c.map((v, i) => (i === c.length - 1 ? v : v.padEnd((widths[i] ?? 0) + 2))).join(""),
  );
}

export function renderText(r: DeliveryReport): string[] {
  const lines = [
    `INFO deliverer_host="${r.host}"`,
    `INFO delivery_check_generated_at=${rfc3339(Date.parse(r.generated_at))}`,
    `INFO delivery_check_since=${rfc3339(Date.parse(r.since))}`,
  ];
  if (r.owner_message) lines.push(`${r.owner_level} ${r.owner_message}`);
  lines.push(...renderTable([...r.tables, r.total]));
  if (r.failures?.length) for (const f of r.failures) lines.push(`FAIL ${f}`);
  else lines.push("PASS delivery_check=ok");
  return lines;
}

export function renderJson(r: DeliveryReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

/**
 * The cutoff for `--since`: a Go duration back from now, or an RFC3339 time not in the future.
 * Throws with the reference's messages.
 */
export function parseSince(raw: string, now: number): number {
  const s = raw.trim();
  if (s === "") throw new Error("--since must not be empty");
  const d = parseGoDuration(s);
  if (d !== undefined) {
    if (d <= 0) throw new Error("--since duration must be > 0");
    return now - d;
  }
  const t = parseRfc3339(s);
  if (t === undefined) throw new Error("--since must be a duration or RFC3339 timestamp");
  if (t > now) throw new Error("--since timestamp must not be in the future");
  return t;
}

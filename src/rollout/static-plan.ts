/**
 * The static bucket plan: a CSV of `host,bucket_min,bucket_max` rows naming which v1 host owns
 * which buckets during a pinned rollout (docs/reference/cli-rollout-api.md §2.11).
 */

import { errorText } from "../error-text.ts";
import { goQuote } from "../go-format.ts";
import type { HostRange } from "../monitor/coverage.ts";
import { validateStaticPlan } from "./coverage.ts";
import { CsvError, readCsv } from "./csv.ts";
import type { GateContext } from "./gate-context.ts";
import { UNSET } from "./ranges.ts";
import { GateError, type Lines } from "./report.ts";

const HEADER_ALIASES: Record<string, string> = {
  bucket_no_min: "bucket_min",
  min: "bucket_min",
  bucket_no_max: "bucket_max",
  max: "bucket_max",
};

const headerField = (f: string) => {
  const v = f.trim().toLowerCase();
  return HEADER_ALIASES[v] ?? v;
};

const isBlank = (r: string[]) => r.every((f) => f.trim() === "");
const isComment = (r: string[]) => r[0]?.trim().startsWith("#") === true;
const isHeader = (r: string[]) =>
  r.length === 3 &&
  headerField(r[0] ?? "") === "host" &&
  headerField(r[1] ?? "") === "bucket_min" &&
  headerField(r[2] ?? "") === "bucket_max";

function planInt(row: number, field: string, value: string): number {
  const v = value.trim();
  if (!/^[+-]?\d+$/.test(v)) throw new GateError(`row ${row}: ${field} ${goQuote(v)} is not an integer`);
  return Number(v);
}

export function parseStaticPlan(text: string): HostRange[] {
  let records: string[][];
  try {
    records = readCsv(text);
  } catch (err) {
    if (err instanceof CsvError) throw new GateError(`read static bucket plan CSV: ${err.message}`);
    throw err;
  }
  const ranges: HostRange[] = [];
  let seenData = false;
  records.forEach((record, i) => {
    const row = i + 1;
    if (isBlank(record) || isComment(record)) return;
    if (!seenData && isHeader(record)) {
      seenData = true;
      return;
    }
    seenData = true;
    if (record.length !== 3) throw new GateError(`row ${row}: expected host,bucket_min,bucket_max`);
    const [host = "", bucketMin = "", bucketMax = ""] = record;
    const hostId = host.trim();
    if (hostId === "") throw new GateError(`row ${row}: host is required`);
    ranges.push({
      hostId,
      bucketMin: planInt(row, "bucket_min", bucketMin),
      bucketMax: planInt(row, "bucket_max", bucketMax),
    });
  });
  if (ranges.length === 0) throw new GateError("static bucket plan has no host ranges");
  return ranges;
}

/** "This host must be in the plan", optionally "with exactly this range". */
export interface PlanAssertion {
  hostId: string;
  bucketMin: number;
  bucketMax: number;
}

/** static-plan-check's --host/--bucket-min/--bucket-max; null when no assertion was asked for. */
export function planAssertionFromFlags(host: string, min: number, max: number): PlanAssertion | null {
  const hostId = host.trim();
  if (min < UNSET || max < UNSET) throw new GateError("--bucket-min and --bucket-max must be >= 0");
  if (hostId === "") {
    if (min >= 0 || max >= 0)
      throw new GateError("--host is required when --bucket-min or --bucket-max is set");
    return null;
  }
  if (min >= 0 !== max >= 0) throw new GateError("--bucket-min and --bucket-max must be set together");
  return { hostId, bucketMin: min, bucketMax: max };
}

function checkAssertion(ranges: HostRange[], a: PlanAssertion): HostRange {
  const found = ranges.find((r) => r.hostId === a.hostId);
  if (!found) throw new GateError(`host ${goQuote(a.hostId)} is not present in static bucket plan`);
  const checksRange = a.bucketMin >= 0 || a.bucketMax >= 0;
  if (checksRange && (found.bucketMin !== a.bucketMin || found.bucketMax !== a.bucketMax)) {
    throw new GateError(
      `host ${goQuote(a.hostId)} has bucket range ${found.bucketMin}-${found.bucketMax} in plan, want ${a.bucketMin}-${a.bucketMax}`,
    );
  }
  return found;
}

/** Parses, validates and asserts a plan, printing the PASS lines of docs/reference/cli-rollout-api.md §2.11. */
export function checkStaticPlan(
  lines: Lines,
  fileName: string,
  text: string,
  bucketTotal: number,
  assertion: PlanAssertion | null,
): void {
  const ranges = parseStaticPlan(text);
  validateStaticPlan(ranges, bucketTotal);
  const asserted = assertion ? checkAssertion(ranges, assertion) : null;
  lines.pass(`static_plan_file=${fileName} ranges=${ranges.length}`);
  lines.pass(`static_bucket_coverage=0-${bucketTotal - 1} hosts=${ranges.length}`);
  if (asserted)
    lines.pass(
      `static_plan_host=${goQuote(asserted.hostId)} range=${asserted.bucketMin}-${asserted.bucketMax}`,
    );
  lines.text("static rollout plan check passed");
}

export interface StaticPlanCheckOptions {
  file: string;
  bucketTotal: number;
  assertion: PlanAssertion | null;
}

/** `rollout static-plan-check`: no database; the config is read only when --bucket-total is 0. */
export async function staticPlanCheck(ctx: GateContext, opts: StaticPlanCheckOptions): Promise<void> {
  if (opts.bucketTotal < 0) throw new GateError("bucket-total must be > 0");
  const total = opts.bucketTotal > 0 ? opts.bucketTotal : (await ctx.config({ quiet: true })).BUCKET_TOTAL;
  const file = opts.file.trim();
  let text: string;
  try {
    text = file === "-" ? await ctx.readStdin() : await ctx.readFile(file);
  } catch (err) {
    throw new GateError(`open static bucket plan: ${errorText(err)}`);
  }
  checkStaticPlan(ctx.lines, file, text, total, opts.assertion);
}

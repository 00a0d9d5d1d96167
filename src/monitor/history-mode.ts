/**
 * Which check results become jetmon_check_history rows (CHECK_HISTORY_MODE). Pure: the caller
 * keeps one number per site (`HistoryMark`) and passes the clock in the record.
 *
 * - `all`: every result (Jetmon 2's behaviour).
 * - `changes`: every failure; a success whose outcome differs from the site's previous result
 *   (down -> up, another error code, another HTTP status class); the first result this process
 *   sees for a site; and otherwise one success per site per CHECK_HISTORY_SAMPLE_MIN minutes.
 * - `off`: none.
 *
 * last_checked_at is written for every result in every mode; only history rows are filtered.
 */
import { isFailure } from "../check/errors.ts";
import type { Config } from "../config/schema.ts";

export const HISTORY_MODES = ["all", "changes", "off"] as const;
export type HistoryMode = (typeof HISTORY_MODES)[number];

export function isHistoryMode(v: string): v is HistoryMode {
  return (HISTORY_MODES as readonly string[]).includes(v);
}

/** CHECK_HISTORY_MODE (validated at load; `all` if somehow not) and its sample period. */
export function historySettings(c: Pick<Config, "CHECK_HISTORY_MODE" | "CHECK_HISTORY_SAMPLE_MIN">): {
  mode: HistoryMode;
  sampleMin: number;
} {
  return {
    mode: isHistoryMode(c.CHECK_HISTORY_MODE) ? c.CHECK_HISTORY_MODE : "all",
    sampleMin: c.CHECK_HISTORY_SAMPLE_MIN,
  };
}

/**
 * The dashboard's line for the mode: what jetmon_check_history holds and what that limits.
 * The dashboard's own figures are counted in memory and do not depend on it.
 */
export function describeHistoryMode(mode: HistoryMode, sampleMin: number): string {
  if (mode === "changes") {
    return `changes: failures, state changes and one sample per site per ${sampleMin} min; the API's response-time and timing-breakdown cover those rows only`;
  }
  if (mode === "off") return "off: no rows; the API's response-time and timing-breakdown report no checks";
  return "all: one row per check";
}

/** What the decision reads of one result. */
export interface HistoryInput {
  errorCode: number;
  httpCode: number;
  /** The check's own verdict when known (CheckResult.success inverted); else derived from the codes. */
  failed?: boolean;
  /** When the check started. */
  checkedAt: Date;
}

/**
 * A site's last outcome and last written row, packed in one number so the per-site memory is
 * one Map entry: `writtenMinute * 2^21 + outcome`. Minutes since the epoch fit in 2^25 for
 * centuries, so the whole stays below 2^53.
 */
export type HistoryMark = number;

const OUTCOME_SPACE = 2 ** 21;

/** 0 for a success of class 2xx..., otherwise a code that differs when the outcome differs. */
export function outcomeOf(r: HistoryInput): number {
  const failed = r.failed ?? isFailedCodes(r.errorCode, r.httpCode);
  const httpClass = Math.min(9, Math.max(0, Math.trunc(r.httpCode / 100)));
  const err = Math.min(0xffff, Math.max(0, Math.trunc(r.errorCode)));
  // bit 0: failed; bits 1-4: status class; bits 5-20: error code.
  return (failed ? 1 : 0) + httpClass * 2 + err * 32;
}

function isFailedCodes(errorCode: number, httpCode: number): boolean {
  return isFailure(errorCode) || httpCode < 200 || httpCode >= 400;
}

export function isFailedOutcome(outcome: number): boolean {
  return outcome % 2 === 1;
}

export function markOf(outcome: number, writtenMinute: number): HistoryMark {
  return writtenMinute * OUTCOME_SPACE + outcome;
}

export function unpackMark(m: HistoryMark): { outcome: number; writtenMinute: number } {
  const outcome = m % OUTCOME_SPACE;
  return { outcome, writtenMinute: (m - outcome) / OUTCOME_SPACE };
}

export type HistoryReason = "all" | "off" | "failure" | "first" | "change" | "sample" | "skip";

export interface HistoryDecision {
  write: boolean;
  reason: HistoryReason;
  /** The site's mark after this result; undefined when the mode keeps none (`all`, `off`). */
  next: HistoryMark | undefined;
}

/**
 * The decision for one result given the site's previous mark. A sample is due when at least
 * `sampleMin` whole minutes passed since the last written row (minute resolution: the mark
 * stores minutes).
 */
export function decideHistory(
  mode: HistoryMode,
  sampleMin: number,
  prev: HistoryMark | undefined,
  r: HistoryInput,
): HistoryDecision {
  if (mode === "all") return { write: true, reason: "all", next: undefined };
  if (mode === "off") return { write: false, reason: "off", next: undefined };
  const outcome = outcomeOf(r);
  const minute = Math.floor(r.checkedAt.getTime() / 60_000);
  const written = (reason: HistoryReason): HistoryDecision => ({
    write: true,
    reason,
    next: markOf(outcome, minute),
  });
  if (isFailedOutcome(outcome)) return written("failure");
  if (prev === undefined) return written("first");
  const p = unpackMark(prev);
  if (p.outcome !== outcome) return written("change");
  if (minute - p.writtenMinute >= Math.max(1, sampleMin)) return written("sample");
  return { write: false, reason: "skip", next: markOf(outcome, p.writtenMinute) };
}

/** The per-site marks of one writer. */
export class HistoryFilter {
  private readonly marks = new Map<number, HistoryMark>();

  constructor(private readonly settings: () => { mode: HistoryMode; sampleMin: number }) {}

  /** Whether this result gets a history row; remembers the site's outcome. */
  keep(siteId: number, r: HistoryInput): boolean {
    const { mode, sampleMin } = this.settings();
    if (mode !== "changes") {
      if (this.marks.size > 0) this.marks.clear();
      return mode === "all";
    }
    const d = decideHistory(mode, sampleMin, this.marks.get(siteId), r);
    if (d.next !== undefined) this.marks.set(siteId, d.next);
    return d.write;
  }

  /** The site left this host: its mark goes (a later return starts with a written row). */
  forget(siteId: number): void {
    this.marks.delete(siteId);
  }

  get size(): number {
    return this.marks.size;
  }
}

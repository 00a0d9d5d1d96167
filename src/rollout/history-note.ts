/**
 * What CHECK_HISTORY_MODE means for the gates. The gates count checks from last_checked_at,
 * which the monitor writes for every check in every mode, so no verdict depends on the mode;
 * with `changes` or `off` they say that jetmon_check_history is not a per-check record.
 * `all` (the default) adds nothing, so the output stays the reference's.
 */
import type { RolloutConfig } from "./config.ts";

export interface HistoryNote {
  mode: "changes" | "off";
  sample_min?: number;
  note: string;
}

export function historyNote(cfg: RolloutConfig): HistoryNote | null {
  if (cfg.CHECK_HISTORY_MODE === "changes") {
    const n = cfg.CHECK_HISTORY_SAMPLE_MIN;
    return {
      mode: "changes",
      sample_min: n,
      note: `jetmon_check_history holds failures, state changes and one sample per site per ${n} min; checks are counted from last_checked_at`,
    };
  }
  if (cfg.CHECK_HISTORY_MODE === "off") {
    return {
      mode: "off",
      note: "jetmon_check_history gets no rows; checks are counted from last_checked_at",
    };
  }
  return null;
}

/** The INFO line the gates print, or null for `all`. */
export function historyNoteLine(cfg: RolloutConfig): string | null {
  const h = historyNote(cfg);
  return h ? renderHistoryNote(h) : null;
}

export function renderHistoryNote(h: HistoryNote): string {
  const sample = h.sample_min === undefined ? "" : ` sample_min=${h.sample_min}`;
  return `check_history_mode=${h.mode}${sample}; ${h.note}`;
}

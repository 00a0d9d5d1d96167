/**
 * How a running monitor tells `jetmon2 reload` what its SIGHUP did: after every reload it
 * writes `<pid file>.reload` (JSON, atomic rename) with a sequence number that grows per reload,
 * the outcome and the reason. The command waits for a sequence newer than the one it saw.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type { ReloadResult } from "../config/store.ts";
import { errorText } from "../error-text.ts";
import type { Logger } from "../log.ts";

export interface ReloadOutcome {
  pid: number;
  seq: number;
  outcome: "accepted" | "rejected";
  /** Why a reload was rejected (the config error). */
  reason?: string;
  changed?: string[];
  restart_required?: string[];
  at: string;
}

export function reloadOutcomePath(pidPath: string): string {
  return `${pidPath}.reload`;
}

/** The last outcome written, or null when there is none or it cannot be read. */
export function readReloadOutcome(path: string): ReloadOutcome | null {
  try {
    const o = JSON.parse(readFileSync(path, "utf8")) as ReloadOutcome;
    return typeof o?.pid === "number" && typeof o.seq === "number" ? o : null;
  } catch {
    return null;
  }
}

/** Records one reload of this process; returns what was written. */
export function writeReloadOutcome(
  path: string,
  r: ReloadResult,
  pid: number = process.pid,
  now: Date = new Date(),
): ReloadOutcome {
  const prev = readReloadOutcome(path);
  const seq = prev?.pid === pid ? prev.seq + 1 : 1;
  const o: ReloadOutcome = r.ok
    ? {
        pid,
        seq,
        outcome: "accepted",
        changed: r.changed,
        restart_required: r.restartRequired,
        at: now.toISOString(),
      }
    : { pid, seq, outcome: "rejected", reason: errorText(r.error), at: now.toISOString() };
  const tmp = `${path}.${pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(o)}\n`, { mode: 0o644 });
  renameSync(tmp, path);
  return o;
}

/** writeReloadOutcome for the SIGHUP handler: a failed write is logged, never thrown. */
export function reportReload(path: string, r: ReloadResult, log: Logger): void {
  try {
    const o = writeReloadOutcome(path, r);
    log.info({ outcome: o.outcome, seq: o.seq, path }, "config reload outcome recorded");
  } catch (err) {
    log.warn({ path, err: errorText(err) }, "could not record the config reload outcome");
  }
}

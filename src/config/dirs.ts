/**
 * The monitor's working folders, LOG_DIR and STATS_DIR. A relative value is relative to the
 * process's working directory (systemd's WorkingDirectory, the demo's checkout), as in Jetmon 2.
 * "" turns a folder off: its disk probe then reads `disabled`. Start-up creates a missing folder;
 * a problem is reported with the path and the fix, by the disk probes and by validate-config.
 */
import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { osErrorText } from "../error-text.ts";

export const DIR_KEYS = { logs: "LOG_DIR", stats: "STATS_DIR" } as const;
export type DirName = keyof typeof DIR_KEYS;

/** The absolute folder, or "" when the key is "" (off). */
export function resolveDir(value: string, cwd: string = process.cwd()): string {
  const v = value.trim();
  return v === "" ? "" : resolve(cwd, v);
}

/**
 * Makes sure `dir` exists and is a writable directory, creating it (and its parents, 0755)
 * when missing; with `create: false` (validate-config) a missing folder only needs a writable
 * nearest ancestor. Returns null when fine, else what is wrong with the path and the fix.
 */
export function ensureDir(dir: string, key: string, opts: { create?: boolean } = {}): string | null {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") {
      return `${dir}: ${osErrorText(err)}: fix the path or set ${key} to a writable directory`;
    }
    try {
      assertCreatable(dir);
      if (opts.create !== false) mkdirSync(dir, { recursive: true, mode: 0o755 });
      return null;
    } catch (mkErr) {
      return `cannot create ${dir}: ${osErrorText(mkErr)}: create it writable for the jetmon2 user or set ${key}`;
    }
  }
  if (!isDir) return `${dir} is not a directory: remove the file or set ${key} to a directory`;
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    return `${dir} is not writable: ${osErrorText(err)}: chown it to the jetmon2 user or set ${key}`;
  }
  return null;
}

/** Throws unless the nearest existing ancestor of `dir` is a writable directory. */
function assertCreatable(dir: string): void {
  let at = dirname(dir);
  for (;;) {
    try {
      if (!statSync(at).isDirectory()) throw new Error(`${at} is not a directory`);
      accessSync(at, constants.W_OK);
      return;
    } catch (err) {
      const parent = dirname(at);
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== "ENOENT" && code !== "ENOTDIR") || parent === at) throw err;
      at = parent;
    }
  }
}

/** LOG_DIR and STATS_DIR, resolved against the working directory. */
export function configuredDirs(
  cfg: { LOG_DIR: string; STATS_DIR: string },
  cwd?: string,
): Record<DirName, string> {
  return { logs: resolveDir(cfg.LOG_DIR, cwd), stats: resolveDir(cfg.STATS_DIR, cwd) };
}

/** Creates the folders that are on; returns one problem line per folder that is not usable. */
export function prepareDirs(dirs: Record<DirName, string>): string[] {
  const problems: string[] = [];
  for (const which of Object.keys(DIR_KEYS) as DirName[]) {
    if (dirs[which] === "") continue;
    const p = ensureDir(dirs[which], DIR_KEYS[which]);
    if (p) problems.push(p);
  }
  return problems;
}

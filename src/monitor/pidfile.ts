import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export const DEFAULT_PID_FILE = "/run/jetmon2/jetmon2.pid";

/** JETMON_PID_FILE, else /run/jetmon2/jetmon2.pid; an empty value counts as unset. */
export function pidFilePath(env: Record<string, string | undefined>): string {
  return env.JETMON_PID_FILE?.trim() || DEFAULT_PID_FILE;
}

/** Writes "<pid>\n" (0644), creating the directory (0755); atomic via rename. */
export function writePidFile(path: string, pid: number = process.pid): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = `${path}.${pid}.tmp`;
  writeFileSync(tmp, `${pid}\n`, { mode: 0o644 });
  renameSync(tmp, path);
}

/**
 * Reads the pid. Errors carry the operator-facing text of reference
 * docs/reference/cli-rollout-api.md §1.8: `read pid file <path>: <err> (is jetmon2 running?)` and
 * `invalid pid in <path>`.
 */
export function readPidFile(path: string): number {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`read pid file ${path}: ${(err as Error).message} (is jetmon2 running?)`);
  }
  const trimmed = text.trim();
  const pid = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`invalid pid in ${path}`);
  return pid;
}

/** Removes the file only if it still names `pid`, so a newer instance's file survives. */
export function removePidFile(path: string, pid: number = process.pid): boolean {
  try {
    if (readPidFile(path) !== pid) return false;
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}

/** True when a process with this pid exists (EPERM means it exists but is not ours). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export type PidFileStatus =
  | { state: "missing"; path: string; message: string }
  | { state: "invalid"; path: string; message: string }
  | { state: "stale"; path: string; pid: number; message: string }
  | { state: "running"; path: string; pid: number; message: string };

/** What `jetmon2 status/drain/reload` need to say about the pid file. */
export function inspectPidFile(path: string, alive: (pid: number) => boolean = processAlive): PidFileStatus {
  let pid: number;
  try {
    pid = readPidFile(path);
  } catch (err) {
    const message = (err as Error).message;
    if (message.startsWith("invalid pid")) return { state: "invalid", path, message };
    return { state: "missing", path, message };
  }
  if (!alive(pid)) {
    return {
      state: "stale",
      path,
      pid,
      message: `stale pid file ${path}: pid ${pid} is not running (jetmon2 exited without cleanup; remove the file)`,
    };
  }
  return { state: "running", path, pid, message: `jetmon2 running with pid ${pid} (${path})` };
}

/** The command line of a local process: /proc on Linux, `ps` elsewhere; null when unknown. */
export function processCommandLine(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return raw.split("\0").filter((a) => a !== "");
  } catch {
    const p = Bun.spawnSync(["ps", "-o", "args=", "-p", String(pid)], { stderr: "ignore" });
    const line = p.exitCode === 0 ? p.stdout.toString().trim() : "";
    return line ? line.split(/\s+/) : null;
  }
}

/**
 * True when the command line is a jetmon2: the executable is named jetmon2 (jetmon2,
 * jetmon2-linux-x64, ...), or a Bun running this project's src/main.ts. A pid file names a
 * process of this host's pid namespace, so a live pid that passes this is this host's jetmon2.
 */
export function isJetmon2CommandLine(argv: readonly string[] | null): boolean {
  const first = argv?.[0];
  if (!argv || first === undefined) return false;
  const base = first.slice(first.lastIndexOf("/") + 1);
  if (base.startsWith("jetmon2")) return true;
  return (
    base.startsWith("bun") && argv.slice(1, 3).some((a) => a === "src/main.ts" || a.endsWith("/src/main.ts"))
  );
}

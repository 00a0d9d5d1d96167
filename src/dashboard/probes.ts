/**
 * Dependency probes for the host dashboard and the heartbeat row (docs/reference/dashboard-fleethealth.md §4.3, issue 5):
 * mysql, wpcom, statsd, disk:logs, disk:stats and one entry per veriflier. Every probe is
 * bounded by `timeoutMs`; all run at once and come back in that fixed order.
 */
import { randomBytes } from "node:crypto";
import { open, rm, statfs } from "node:fs/promises";
import { join } from "node:path";
import { DIR_KEYS, type DirName, ensureDir } from "../config/dirs.ts";
import type { Db } from "../db/client.ts";
import { pingMysql } from "../db/ping.ts";
import { errorText } from "../error-text.ts";
import {
  type DependencyHealth,
  DISABLED,
  type HealthStatus,
  normaliseDependency,
} from "../fleethealth/snapshot.ts";
import { rfc3339Nano } from "../time.ts";
import { withTimeout } from "../timeout.ts";

export interface WpcomStatus {
  circuit_open: boolean;
  queue_depth: number;
}

export interface StatsdStatus {
  /** Last send error, if the client reported one. */
  last_error?: string;
}

export interface VeriflierTarget {
  name?: string;
  host?: string;
  /** `port`, falling back to the deprecated `grpc_port`, as configured. */
  port?: number | string;
}

export interface FsStats {
  blocks: number;
  bavail: number;
  bsize: number;
}

export interface ProbeDeps {
  /** null when the pool is not up. */
  db: Db | null;
  /**
   * Why the monitor's result writes fail right now (the server's message), null while they
   * succeed: a server that answers reads but refuses writes is still red.
   */
  writeProblem?: () => string | null;
  /** Circuit and queue of the WPCOM client; null when there is no client. */
  wpcom: (() => WpcomStatus) | null;
  /** null when StatsD is not initialised. */
  statsd: (() => StatsdStatus) | null;
  /** LOG_DIR and STATS_DIR resolved (src/config/dirs.ts): free space and writability; "" is off. */
  dirs: { logs: string; stats: string };
  verifliers: VeriflierTarget[];
  /** Per-probe bound; default 2000 ms. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
  /** Filesystem figures; node:fs statfs unless a test needs a nearly full disk. */
  statfs?: (dir: string) => Promise<FsStats>;
}

/** Free-space thresholds (issue 5): amber under 10 %, red under 2 %. */
export function diskStatus(freeBytes: number, totalBytes: number): HealthStatus {
  if (!(totalBytes > 0)) return "red";
  const pct = (freeBytes / totalBytes) * 100;
  if (pct < 2) return "red";
  if (pct < 10) return "amber";
  return "green";
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

type Entry = Omit<DependencyHealth, "checked_at">;

function probeWpcom(get: ProbeDeps["wpcom"]): Entry {
  if (!get) return { name: "wpcom", status: "red", last_error: "wpcom client is not initialized" };
  try {
    const w = get();
    if (w.circuit_open) {
      return {
        name: "wpcom",
        status: "red",
        last_error: `circuit open, queued notifications=${w.queue_depth}`,
      };
    }
    if (w.queue_depth > 0) {
      return { name: "wpcom", status: "amber", last_error: `queued notifications=${w.queue_depth}` };
    }
    return { name: "wpcom", status: "green" };
  } catch (err) {
    return { name: "wpcom", status: "red", last_error: errorText(err) };
  }
}

function probeStatsd(get: ProbeDeps["statsd"]): Entry {
  if (!get) return { name: "statsd", status: DISABLED, last_error: 'STATSD_ADDR is "" (StatsD off)' };
  try {
    const s = get();
    return s.last_error
      ? { name: "statsd", status: "amber", last_error: s.last_error }
      : { name: "statsd", status: "green" };
  } catch (err) {
    return { name: "statsd", status: "amber", last_error: errorText(err) };
  }
}

async function probeDisk(
  which: DirName,
  dir: string,
  ms: number,
  fsStats: (dir: string) => Promise<FsStats>,
): Promise<Entry> {
  const name = `disk:${which}`;
  const key = DIR_KEYS[which];
  if (dir === "") return { name, status: DISABLED, last_error: `${key} is "" (not watched)` };
  try {
    return await withTimeout(
      ms,
      (async (): Promise<Entry> => {
        // Red only for a folder that cannot be made or written; a missing one is created.
        const problem = ensureDir(dir, key);
        if (problem) return { name, status: "red", last_error: problem };
        // Writable: create, close and remove a temp file (docs/reference/dashboard-fleethealth.md §4.3).
        const probe = join(dir, `.jetmon-health-${randomBytes(6).toString("hex")}`);
        try {
          const fh = await open(probe, "wx");
          await fh.close();
          await rm(probe, { force: true });
        } catch (err) {
          return {
            name,
            status: "red",
            last_error: `${dir} is not writable: ${errorText(err)}: fix its owner or mount, or set ${key}`,
          };
        }
        const fs = await fsStats(dir);
        const total = fs.blocks * fs.bsize;
        const free = fs.bavail * fs.bsize;
        const status = diskStatus(free, total);
        if (status === "green") return { name, status };
        const pct = total > 0 ? ((free / total) * 100).toFixed(1) : "0.0";
        return { name, status, last_error: `${dir} free space ${pct}% (${gib(free)} of ${gib(total)})` };
      })(),
    );
  } catch (err) {
    return { name, status: "red", last_error: errorText(err) };
  }
}

async function probeVeriflier(v: VeriflierTarget, ms: number, doFetch: typeof fetch): Promise<Entry> {
  const host = (v.host ?? "").trim();
  const port = String(v.port ?? "").trim();
  const base = `veriflier:${(v.name ?? "").trim() || `${host}:${port}`}`;
  if (!host || !port) return { name: base, status: "red", last_error: "host or port is not configured" };
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  try {
    const hostPart = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
    const res = await doFetch(`http://${hostPart}:${port}/status`, { signal: AbortSignal.timeout(ms) });
    if (res.status !== 200) {
      await res.body?.cancel();
      return {
        name: base,
        status: "red",
        latency_ms: latency(),
        last_error: `veriflier status returned ${res.status}`,
      };
    }
    let version = "";
    try {
      const body = (await res.json()) as { version?: unknown };
      if (typeof body?.version === "string") version = body.version;
    } catch {
      // The reference ignores an undecodable body: reachable is green.
    }
    return { name: version ? `${base} (${version})` : base, status: "green", latency_ms: latency() };
  } catch (err) {
    const text =
      err instanceof Error && err.name === "TimeoutError" ? `timed out after ${ms}ms` : errorText(err);
    return { name: base, status: "red", latency_ms: latency(), last_error: text };
  }
}

/** Runs every probe; each entry carries the same `checked_at` (the time the round began). */
export async function probeDependencies(deps: ProbeDeps): Promise<DependencyHealth[]> {
  const ms = deps.timeoutMs ?? 2000;
  const checkedAt = rfc3339Nano((deps.now ?? Date.now)());
  const fsStats = deps.statfs ?? ((dir: string) => statfs(dir));
  const doFetch = deps.fetch ?? fetch;
  const verifliers: Promise<Entry>[] =
    deps.verifliers.length === 0
      ? [
          Promise.resolve({
            name: "verifliers",
            status: DISABLED,
            last_error: "VERIFIERS is empty (local checks only)",
          }),
        ]
      : deps.verifliers.map((v) => probeVeriflier(v, ms, doFetch));
  const entries = await Promise.all([
    pingMysql(deps.db, ms, undefined, deps.writeProblem),
    probeWpcom(deps.wpcom),
    probeStatsd(deps.statsd),
    probeDisk("logs", deps.dirs.logs, ms, fsStats),
    probeDisk("stats", deps.dirs.stats, ms, fsStats),
    ...verifliers,
  ]);
  return entries.map((e) => normaliseDependency({ ...e, checked_at: checkedAt }));
}

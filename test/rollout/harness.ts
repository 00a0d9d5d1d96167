/**
 * Seeds and runners for the rollout gate tests: rows in a real test database, the gate run
 * in-process through the real `rollout` command with a fixed clock and hostname.
 */
import { sql } from "drizzle-orm";
import { createRolloutCommand } from "../../src/cli/rollout.ts";
import type { Db } from "../../src/db/client.ts";
import { events, hosts, sites } from "../../src/db/schema.ts";
import type { RolloutConfig } from "../../src/rollout/config.ts";
import type { RolloutDeps, SystemdVerifyResult } from "../../src/rollout/gate-context.ts";
import { createRolloutStore } from "../../src/rollout/store.ts";

export const NOW = Date.parse("2026-04-28T12:00:00Z");
export const minutesAgo = (m: number) => new Date(NOW - m * 60_000);

export function rolloutConfig(over: Partial<RolloutConfig> = {}): RolloutConfig {
  return {
    BUCKET_TOTAL: 10,
    BUCKET_HEARTBEAT_GRACE_SEC: 60,
    LEGACY_STATUS_PROJECTION_ENABLE: true,
    API_PORT: 0,
    DELIVERY_OWNER_HOST: "",
    DASHBOARD_PORT: 0,
    DASHBOARD_BIND_ADDR: "127.0.0.1",
    PINNED_BUCKET_MIN: null,
    PINNED_BUCKET_MAX: null,
    BUCKET_NO_MIN: null,
    BUCKET_NO_MAX: null,
    CHECK_HISTORY_MODE: "all",
    CHECK_HISTORY_SAMPLE_MIN: 15,
    ...over,
  };
}

export const pinned = (min: number, max: number, over: Partial<RolloutConfig> = {}) =>
  rolloutConfig({ PINNED_BUCKET_MIN: min, PINNED_BUCKET_MAX: max, ...over });

export async function resetTables(db: Db): Promise<void> {
  for (const t of ["jetmon_hosts", "jetpack_monitor_sites", "jetmon_events", "jetmon_audit_log"]) {
    await db.execute(sql.raw(`DELETE FROM ${t}`));
  }
}

let nextBlog = 1000;

export interface SiteSeed {
  bucket: number;
  active?: boolean;
  status?: number;
  /** minutes before NOW; undefined = never checked */
  checkedMinutesAgo?: number;
  blogId?: number;
}

/** Inserts sites; returns their blog ids. */
export async function seedSites(db: Db, list: SiteSeed[]): Promise<number[]> {
  const rows = list.map((s) => ({
    blogId: s.blogId ?? nextBlog++,
    bucketNo: s.bucket,
    monitorUrl: "https://example.test/",
    monitorActive: s.active === false ? 0 : 1,
    siteStatus: s.status ?? 1,
    lastCheckedAt: s.checkedMinutesAgo === undefined ? null : minutesAgo(s.checkedMinutesAgo),
  }));
  if (rows.length > 0) await db.insert(sites).values(rows);
  return rows.map((r) => r.blogId);
}

/** `count` active sites spread over [min,max], all checked `checkedMinutesAgo` minutes ago. */
export function spread(min: number, max: number, count: number, checkedMinutesAgo?: number): SiteSeed[] {
  return Array.from({ length: count }, (_, i) => ({
    bucket: min + (i % (max - min + 1)),
    checkedMinutesAgo,
  }));
}

export async function seedHost(
  db: Db,
  hostId: string,
  bucketMin: number,
  bucketMax: number,
  opts: { heartbeatMinutesAgo?: number; heartbeatAt?: Date; status?: "active" | "draining" } = {},
): Promise<void> {
  await db.insert(hosts).values({
    hostId,
    bucketMin,
    bucketMax,
    lastHeartbeat: opts.heartbeatAt ?? minutesAgo(opts.heartbeatMinutesAgo ?? 0),
    status: opts.status ?? "active",
  });
}

export async function seedOpenEvent(
  db: Db,
  blogId: number,
  state: string,
  checkType = "http",
): Promise<number> {
  const [res] = await db
    .insert(events)
    .values({ blogId, checkType, severity: state === "Down" ? 4 : 3, state });
  return res.insertId;
}

export interface RunResult {
  code: number;
  out: string[];
  err: string[];
  stdout: string;
  json: () => any;
}

export interface RunOptions {
  cfg?: RolloutConfig;
  configError?: string;
  /** Run against this db (defaults to the suite's). */
  db?: Db;
  dbError?: string;
  now?: number;
  hostname?: string;
  fetch?: RolloutDeps["fetch"];
  systemd?: (unit: string) => SystemdVerifyResult;
  files?: Record<string, string>;
  stdin?: string;
  /** The config path the gate reports reading (RolloutDeps.configPath). */
  configPath?: string;
}

export function runner(getDb: () => Db) {
  return async function run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const out: string[] = [];
    const err: string[] = [];
    const systemdCalls: string[] = [];
    const deps: RolloutDeps = {
      async loadConfig() {
        if (opts.configError) throw new Error(opts.configError);
        return opts.cfg ?? rolloutConfig();
      },
      async openStore() {
        if (opts.dbError) throw new Error(opts.dbError);
        return createRolloutStore(opts.db ?? getDb());
      },
      now: () => opts.now ?? NOW,
      hostname: () => opts.hostname ?? "v2-host",
      fetch: opts.fetch ?? ((url, init) => fetch(url, init)),
      async systemdVerify(unit) {
        systemdCalls.push(unit);
        return opts.systemd ? opts.systemd(unit) : { output: "" };
      },
      async readFile(path) {
        const text = opts.files?.[path];
        if (text === undefined) throw new Error(`open ${path}: no such file or directory`);
        return text;
      },
      async listDir(path) {
        const prefix = `${path}/`;
        const names = Object.keys(opts.files ?? {})
          .filter((f) => f.startsWith(prefix))
          .map((f) => f.slice(prefix.length).split("/")[0] ?? "");
        return [...new Set(names)];
      },
      async readStdin() {
        return opts.stdin ?? "";
      },
      ...(opts.configPath !== undefined ? { configPath: opts.configPath } : {}),
    };
    const command = createRolloutCommand(() => deps);
    const code = await command({
      args,
      configPath: "test.json",
      env: {},
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    const stdout = out.join("\n");
    return { code, out, err, stdout, json: () => JSON.parse(stdout) };
  };
}

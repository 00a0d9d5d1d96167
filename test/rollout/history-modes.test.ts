/**
 * Every rollout gate in every CHECK_HISTORY_MODE: the monitor's own writer fills the tables in
 * that mode, then each gate runs. The verdict and the lines are the same as in `all`; the gates
 * that count checks add one INFO line saying what the history table holds.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { silentLogger } from "../../src/log.ts";
import type { HistoryMode } from "../../src/monitor/history-mode.ts";
import { ResultWriter } from "../../src/monitor/writer.ts";
import type { RolloutConfig } from "../../src/rollout/config.ts";
import { rows } from "../monitor/support.ts";
import { useTestDatabase } from "../support/db.ts";
import { NOW, pinned, resetTables, rolloutConfig, runner, seedHost, seedSites, spread } from "./harness.ts";

const t = useTestDatabase();
const run = runner(() => t.db);

const PINNED = pinned(0, 4, { BUCKET_TOTAL: 10 });
const DYN = rolloutConfig({ BUCKET_TOTAL: 10 });
const PLAN = "host,bucket_min,bucket_max\njetmon-v1-a,0,4\njetmon-v1-b,5,9\n";

const NOTES: Record<HistoryMode, string | null> = {
  all: null,
  changes:
    "INFO check_history_mode=changes sample_min=15; jetmon_check_history holds failures, state changes and one sample per site per 15 min; checks are counted from last_checked_at",
  off: "INFO check_history_mode=off; jetmon_check_history gets no rows; checks are counted from last_checked_at",
};

// [gate, args, config, whether it counts checks (and so prints the note)]
const GATES: [string, string[], RolloutConfig, boolean][] = [
  ["pinned-check", ["pinned-check", "--host=v2-a"], PINNED, false],
  [
    "host-preflight",
    [
      "host-preflight",
      "--file=ranges.csv",
      "--host=jetmon-v1-a",
      "--runtime-host=v2-a",
      "--bucket-min=0",
      "--bucket-max=4",
      "--skip-systemd",
    ],
    PINNED,
    false,
  ],
  ["cutover-check", ["cutover-check", "--host=v2-a", "--skip-status", "--require-all"], PINNED, true],
  ["activity-check", ["activity-check", "--require-all"], PINNED, true],
  ["rollback-check", ["rollback-check", "--host=v2-a"], PINNED, false],
  ["projection-drift", ["projection-drift"], PINNED, false],
  ["state-report", ["state-report"], PINNED, true],
  ["dynamic-check", ["dynamic-check"], DYN, false],
];

const MODES: HistoryMode[] = ["all", "changes", "off"];

interface ModeRun {
  historyRows: number;
  outputs: Map<string, { code: number; out: string[]; err: string[] }>;
  json: Record<string, unknown>;
}
const runs = new Map<HistoryMode, ModeRun>();

/** Ten sites in 0-4 checked by the writer every 5 minutes over the last 14 minutes, one failing once. */
async function fillInMode(mode: HistoryMode): Promise<number> {
  await resetTables(t.db);
  await t.db.execute(sql`DELETE FROM jetmon_check_history`);
  const blogs = await seedSites(t.db, spread(0, 4, 10));
  const ids = await rows<{ id: number; blog_id: number }>(
    t.db,
    sql`SELECT jetpack_monitor_site_id AS id, blog_id FROM jetpack_monitor_sites ORDER BY blog_id`,
  );
  const w = new ResultWriter({ db: t.db, log: silentLogger, historyMode: () => ({ mode, sampleMin: 15 }) });
  for (const minutesAgo of [14, 9, 4, 1]) {
    for (const r of ids) {
      const failing = Number(r.blog_id) === blogs[0] && minutesAgo === 9;
      w.add({
        siteId: Number(r.id),
        blogId: Number(r.blog_id),
        checkedAt: new Date(NOW - minutesAgo * 60_000),
        httpCode: failing ? 0 : 200,
        errorCode: failing ? 2 : 0,
        failed: failing,
        rttMs: 150,
        dnsMs: 1,
        tcpMs: 2,
        tlsMs: 3,
        ttfbMs: 100,
      });
    }
  }
  await w.flush();
  const [n] = await rows<{ n: number }>(t.db, sql`SELECT COUNT(*) AS n FROM jetmon_check_history`);
  return Number(n?.n);
}

beforeAll(async () => {
  for (const mode of MODES) {
    const historyRows = await fillInMode(mode);
    const outputs: ModeRun["outputs"] = new Map();
    const withMode = (cfg: RolloutConfig) => ({
      ...cfg,
      CHECK_HISTORY_MODE: mode,
      CHECK_HISTORY_SAMPLE_MIN: 15,
    });
    for (const [gate, args, cfg] of GATES) {
      if (gate === "dynamic-check") await seedHost(t.db, "v2-dyn", 0, 9);
      const r = await run(args, { cfg: withMode(cfg), files: { "ranges.csv": PLAN } });
      outputs.set(gate, { code: r.code, out: r.out, err: r.err });
    }
    await t.db.execute(sql`DELETE FROM jetmon_hosts`);
    const json = (await run(["state-report", "--output=json"], { cfg: withMode(PINNED) })).json();
    runs.set(mode, { historyRows, outputs, json });
  }
});

describe("rollout gates in each CHECK_HISTORY_MODE", () => {
  test("the writer kept 40, 12 and 0 history rows (all, changes, off) for the same 40 checks", () => {
    // changes: each site's first row (10), the failure and the recovery after it (2); the
    // other successes fall within 15 minutes of their site's last row.
    expect(MODES.map((m) => runs.get(m)?.historyRows)).toEqual([40, 12, 0]);
  });

  for (const [gate, , , counts] of GATES) {
    for (const mode of MODES) {
      test(`${gate} in ${mode}: the verdict of all${counts && mode !== "all" ? ", plus the history note" : ""}`, () => {
        const base = runs.get("all")?.outputs.get(gate);
        const got = runs.get(mode)?.outputs.get(gate);
        expect(base?.code).toBe(0);
        expect(got?.code).toBe(base?.code as number);
        expect(got?.err).toEqual(base?.err as string[]);
        const note = NOTES[mode];
        const notes = got?.out.filter((l) => l.includes("check_history_mode=")) ?? [];
        expect(notes).toEqual(counts && note ? [note] : []);
        expect(got?.out.filter((l) => !l.includes("check_history_mode="))).toEqual(base?.out as string[]);
      });
    }
  }

  test("state-report JSON names the mode only when it is not all; the activity figures are the same", () => {
    const strip = (j: Record<string, unknown>) => {
      const { generated_at: _g, check_history: _h, ...rest } = j;
      return rest;
    };
    const all = runs.get("all")?.json ?? {};
    expect(all.check_history).toBeUndefined();
    expect(all.activity).toMatchObject({ active_sites: 10, checked_since: 10, unchecked_since: 0 });
    expect(runs.get("changes")?.json.check_history).toEqual({
      mode: "changes",
      sample_min: 15,
      note: "jetmon_check_history holds failures, state changes and one sample per site per 15 min; checks are counted from last_checked_at",
    });
    expect(runs.get("off")?.json.check_history).toEqual({
      mode: "off",
      note: "jetmon_check_history gets no rows; checks are counted from last_checked_at",
    });
    for (const m of MODES) expect(strip(runs.get(m)?.json ?? {})).toEqual(strip(all));
  });
});

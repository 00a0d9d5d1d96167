/**
 * Check history per CHECK_HISTORY_MODE: rows written and table bytes, scaled to 3,333 checks/s
 * (1,000,000 sites at a 300 s interval).
 *
 *   bun scripts/history-size.ts [--results=1000000] [--sites=10000] [--sample-min=15] [--seed=1]
 *
 * A scratch database migrated to latest (on JETMON_TEST_DSN, default root@127.0.0.1:3306) gets
 * `sites` site rows. The monitor's own ResultWriter (src/monitor/writer.ts) then takes a
 * synthetic stream of `results` check results, each site checked every 300 s of simulated time,
 * flushed every 3,333 results, once per mode. Failures follow one of two models, both 1% of
 * checks:
 * - sticky: an up site goes down with p = 0.002 per check and a down one recovers with p = 0.2
 *   (outages of 5 checks on average, about 0.4% of checks change state);
 * - random: every check fails on its own with p = 0.01 (about 2% change state), the worst case
 *   for `changes`.
 * After each run: ANALYZE TABLE, then data_length + index_length from information_schema.
 * rows/s = rows / results x 3,333; bytes/day = bytes per row x rows/s x 86,400.
 */
import { sql } from "drizzle-orm";
import { createDb, type Db } from "../src/db/client.ts";
import { migrate } from "../src/db/migrate.ts";
import { createPool, parseDsn } from "../src/db/pool.ts";
import { run, selectRows } from "../src/db/sql.ts";
import { silentLogger } from "../src/log.ts";
import type { HistoryMode } from "../src/monitor/history-mode.ts";
import { ResultWriter } from "../src/monitor/writer.ts";

const arg = (name: string, dflt: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split("=")[1]) : dflt;
};
const RESULTS = arg("results", 1_000_000);
const SITES = arg("sites", 10_000);
const SAMPLE_MIN = arg("sample-min", 15);
const SEED = arg("seed", 1);
const INTERVAL_MS = 300_000;
const TARGET_CHECKS_PER_SEC = 1_000_000 / 300;
const T0 = Date.parse("2026-01-01T00:00:00Z");

type Model = "sticky" | "random";

/** mulberry32: the same stream for every mode. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Figures {
  mode: HistoryMode;
  model: Model;
  results: number;
  failures: number;
  rows: number;
  bytes: number;
  writeSec: number;
}

async function runMode(db: Db, ids: number[], mode: HistoryMode, model: Model): Promise<Figures> {
  await run(db, sql`TRUNCATE TABLE jetmon_check_history`);
  const rand = prng(SEED);
  const down = new Uint8Array(ids.length);
  const w = new ResultWriter({
    db,
    log: silentLogger,
    historyMode: () => ({ mode, sampleMin: SAMPLE_MIN }),
  });
  let failures = 0;
  const started = performance.now();
  for (let i = 0; i < RESULTS; i++) {
    const site = i % ids.length;
    const round = Math.floor(i / ids.length);
    let failed: boolean;
    if (model === "random") failed = rand() < 0.01;
    else {
      const r = rand();
      if (down[site]) down[site] = r < 0.2 ? 0 : 1;
      else down[site] = r < 0.002 ? 1 : 0;
      failed = down[site] === 1;
    }
    if (failed) failures++;
    const at = T0 + round * INTERVAL_MS + Math.floor((site / ids.length) * INTERVAL_MS);
    w.add({
      siteId: ids[site] as number,
      blogId: site + 1,
      checkedAt: new Date(at),
      httpCode: failed ? 0 : 200,
      errorCode: failed ? 1 : 0,
      failed,
      rttMs: failed ? 10_000 : 150 + Math.floor(rand() * 100),
      dnsMs: 2,
      tcpMs: 20,
      tlsMs: 40,
      ttfbMs: 120,
      requestMethod: "GET",
    });
    if ((i + 1) % 3333 === 0) await w.flush();
  }
  await w.flush();
  const writeSec = (performance.now() - started) / 1000;
  if (w.pending > 0) throw new Error(`${w.pending} results not written`);
  await run(db, sql`ANALYZE TABLE jetmon_check_history`);
  const [n] = await selectRows<{ n: number }>(db, sql`SELECT COUNT(*) AS n FROM jetmon_check_history`);
  const [size] = await selectRows<{ data: number; idx: number }>(
    db,
    sql`SELECT data_length AS data, index_length AS idx FROM information_schema.TABLES
        WHERE table_schema = DATABASE() AND table_name = 'jetmon_check_history'`,
  );
  const rows = Number(n?.n ?? 0);
  return {
    mode,
    model,
    results: RESULTS,
    failures,
    rows,
    bytes: rows === 0 ? 0 : Number(size?.data ?? 0) + Number(size?.idx ?? 0),
    writeSec,
  };
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits });
const gb = (b: number) => `${(b / 1e9).toFixed(2)} GB`;

const server = parseDsn(process.env.JETMON_TEST_DSN || "mysql://root:@127.0.0.1:3306/");
const name = `scratch_history_${process.pid}`;
const admin = createPool({ ...server, database: "" });
await admin.query(`CREATE DATABASE \`${name}\``);
const pool = createPool({ ...server, database: name });
const db = createDb(pool);
try {
  await migrate(pool, { print: () => {} });
  for (let start = 0; start < SITES; start += 5000) {
    const values = [];
    for (let i = start; i < Math.min(SITES, start + 5000); i++) {
      values.push(sql`(${i + 1}, ${i % 1000}, ${`https://site${i + 1}.test/`}, 1)`);
    }
    await run(
      db,
      sql`INSERT INTO jetpack_monitor_sites (blog_id, bucket_no, monitor_url, monitor_active) VALUES ${sql.join(values, sql`, `)}`,
    );
  }
  const idRows = await selectRows<{ id: number }>(
    db,
    sql`SELECT jetpack_monitor_site_id AS id FROM jetpack_monitor_sites ORDER BY blog_id`,
  );
  const ids = idRows.map((r) => Number(r.id));
  const runs: [HistoryMode, Model][] = [
    ["all", "sticky"],
    ["changes", "sticky"],
    ["changes", "random"],
    ["off", "sticky"],
  ];
  console.log(
    `${fmt(RESULTS)} results over ${fmt(SITES)} sites at 300 s (${fmt((RESULTS / SITES) * 5)} simulated minutes per site), sample every ${SAMPLE_MIN} min; scaled to ${fmt(TARGET_CHECKS_PER_SEC)} checks/s`,
  );
  console.log(
    "mode     failures   failed%  rows        rows/check  B/row  rows/s@3333  bytes/day  72h table  writer s",
  );
  for (const [mode, model] of runs) {
    const f = await runMode(db, ids, mode, model);
    const perCheck = f.rows / f.results;
    const rowsPerSec = perCheck * TARGET_CHECKS_PER_SEC;
    const bytesPerRow = f.rows > 0 ? f.bytes / f.rows : 0;
    const perDay = bytesPerRow * rowsPerSec * 86_400;
    console.log(
      [
        `${mode}/${model}`.padEnd(15),
        fmt(f.failures).padStart(9),
        `${((f.failures / f.results) * 100).toFixed(2)}%`.padStart(7),
        fmt(f.rows).padStart(10),
        perCheck.toFixed(4).padStart(10),
        fmt(bytesPerRow).padStart(5),
        fmt(rowsPerSec, 1).padStart(11),
        gb(perDay).padStart(10),
        gb(perDay * 3).padStart(10),
        f.writeSec.toFixed(1).padStart(9),
      ].join("  "),
    );
  }
} finally {
  await pool.end();
  await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.end();
}

/**
 * What one site-set refresh costs at N active sites over buckets 0-999: the full re-read the
 * monitor did before (loadSites over the whole range) against the digest refresh
 * (src/monitor/site-set.ts) when nothing changed, after one site changed, and after 100 sites
 * were added across the range.
 *
 *   bun scripts/refresh-cost.ts [--sites=1000000] [--repeat=3]
 *
 * A scratch database migrated to latest (JETMON_TEST_DSN, default root@127.0.0.1:3306). Prints
 * the median wall time of each (monitor and MySQL on the same host) and the rows read.
 */
import { sql } from "drizzle-orm";
import { createDb } from "../src/db/client.ts";
import { migrate } from "../src/db/migrate.ts";
import { createPool, parseDsn } from "../src/db/pool.ts";
import { ALL_OPTIONAL_COLUMNS } from "../src/db/schema-state.ts";
import { run } from "../src/db/sql.ts";
import { Schedule } from "../src/monitor/schedule.ts";
import { SiteSet } from "../src/monitor/site-set.ts";
import { loadSites, onePerBlog } from "../src/monitor/sites.ts";

const arg = (name: string, dflt: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split("=")[1]) : dflt;
};
const SITES = arg("sites", 1_000_000);
const REPEAT = arg("repeat", 3);
const RANGE = { min: 0, max: 999 };

const server = parseDsn(process.env.JETMON_TEST_DSN || "mysql://root:@127.0.0.1:3306/");
const name = `scratch_refresh_${process.pid}`;
const admin = createPool({ ...server, database: "" });
await admin.query(`CREATE DATABASE \`${name}\``);
const pool = createPool({ ...server, database: name });
const db = createDb(pool);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await fn();
  return [performance.now() - t0, v];
}

try {
  await migrate(pool, { print: () => {} });
  const seedStart = performance.now();
  for (let start = 0; start < SITES; start += 5000) {
    const values = [];
    for (let i = start; i < Math.min(SITES, start + 5000); i++) {
      values.push(
        `(${i + 1}, ${i % 1000}, 'https://site${i + 1}.example.test/', 1, 5, ${i % 7 === 0 ? "'welcome'" : "NULL"})`,
      );
    }
    await run(
      db,
      sql.raw(
        `INSERT INTO jetpack_monitor_sites (blog_id, bucket_no, monitor_url, monitor_active, check_interval, check_keyword) VALUES ${values.join(",")}`,
      ),
    );
  }
  console.log(
    `seeded ${SITES.toLocaleString("en-US")} sites in ${((performance.now() - seedStart) / 1000).toFixed(0)} s`,
  );

  const full: number[] = [];
  let fullRows = 0;
  for (let i = 0; i < REPEAT; i++) {
    const [ms, rows] = await timed(() => loadSites(db, RANGE, ALL_OPTIONAL_COLUMNS));
    full.push(ms);
    fullRows = rows.length;
  }
  // The refresh and then the schedule taking its delta, as the orchestrator does.
  const set = new SiteSet();
  const schedule = new Schedule(() => 300_000);
  const refresh = async () => {
    const [ms, r] = await timed(() => set.refresh(db, RANGE, ALL_OPTIONAL_COLUMNS));
    const t0 = performance.now();
    if (r.delta)
      schedule.sync(r.delta.sites, Date.now(), 1, r.delta.scope === "all" ? undefined : r.delta.scope);
    return { ms, syncMs: performance.now() - t0, r };
  };
  const first = await refresh();
  // Refreshes 1-3 compare membership only, refresh 4 content too (DEFAULT_CONTENT_EVERY).
  const steady: number[] = [];
  for (let i = 0; i < 3; i++) steady.push((await refresh()).ms);
  const steadyContent = (await refresh()).ms;
  await run(
    db,
    sql`UPDATE jetpack_monitor_sites SET monitor_url = 'https://moved.example.test/' WHERE blog_id = 4242`,
  );
  // A setting changed in place is seen by the next content refresh.
  let one = await refresh();
  while (!one.r.content) one = await refresh();
  const added = Array.from(
    { length: 100 },
    (_, i) => `(${SITES + i + 1}, ${(i * 37) % 1000}, 'https://new${i}.example.test/', 1, 5)`,
  );
  await run(
    db,
    sql.raw(
      `INSERT INTO jetpack_monitor_sites (blog_id, bucket_no, monitor_url, monitor_active, check_interval) VALUES ${added.join(",")}`,
    ),
  );
  const hundred = await refresh();
  // Before: one per blog and a sync over every row, after every refresh.
  const before = new Schedule(() => 300_000);
  const rowsNow = set.all();
  before.sync(onePerBlog(rowsNow).sites, Date.now(), 1);
  const fullSync: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    before.sync(onePerBlog(rowsNow).sites, Date.now(), 1);
    fullSync.push(performance.now() - t0);
  }

  const line = (what: string, ms: number, rows: number, slices: string) =>
    console.log(
      `${what.padEnd(44)} ${`${ms.toFixed(0)} ms`.padStart(9)} ${rows.toLocaleString("en-US").padStart(10)} rows  ${slices}`,
    );
  console.log(`${"refresh".padEnd(44)} ${"wall".padStart(9)} ${"read".padStart(15)}`);
  line("before: full re-read, median", median(full), fullRows, "");
  line("before: then onePerBlog + sync of all, median", median(fullSync), 0, "JS");
  line("digest refresh, first (reads all)", first.ms, first.r.rowsRead, `${first.r.slicesRead} slices`);
  line("membership digest, nothing changed, median", median(steady), 0, "digest only");
  line("content digest, nothing changed", steadyContent, 0, "digest only");
  line("content digest, one site's URL changed", one.ms, one.r.rowsRead, `${one.r.slicesRead} slice`);
  line("  then the schedule takes the delta", one.syncMs, 0, "JS");
  line(
    "membership digest, 100 sites added",
    hundred.ms,
    hundred.r.rowsRead,
    `${hundred.r.slicesRead} slices`,
  );
  line("  then the schedule takes the delta", hundred.syncMs, 0, "JS");
} finally {
  await pool.end();
  await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.end();
}

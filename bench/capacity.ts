/**
 * Capacity: how many sites one monitor keeps fresh at a given interval, and what it costs.
 *
 *   bun bench/capacity.ts [--sites=10000] [--interval=60] [--warmup=60] [--window=210]
 *                         [--workers=auto] [--addresses=200] [--binary=dist/jetmon2]
 *   bun bench/capacity.ts --ladder=1000,10000,50000,100000
 *
 * Per step: a fresh database migrated to latest; N sites seeded with last_checked_at spread
 * over the past interval (steady state, not a cold-start stampede); a site fixture in its own
 * process serving them from many 127.0.0.x origins with a realistic mix (93% answer in
 * 150-250 ms, 5% in ~2 s, 1% hang until the check timeout, 1% answer 500); a local WPCOM
 * receiver; then the monitor (the compiled binary if it exists, else `bun src/main.ts`) in
 * its own process. After a warm-up, a measured window:
 *
 *   missed %      per site, checks expected in the window (floor(window/interval)) minus the
 *                 checks found in jetmon_check_history, over all sites
 *   age p50/p95   now - last_checked_at over all sites, sampled every 15 s
 *   checks/min    history rows in the window per minute
 *   CPU           monitor, MySQL (mariadbd/mysqld) and fixture, % of one core over the window
 *   RSS           monitor peak RSS (VmHWM) and RSS at the end
 *
 * The window should be an interval and a half past a whole number of intervals (the default
 * 210 s at 60 s) so a check that is a few seconds late is not counted as missed.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { createDb, type Db } from "../src/db/client.ts";
import { migrate } from "../src/db/migrate.ts";
import { createPool } from "../src/db/pool.ts";
import { selectRows } from "../src/db/sql.ts";
import { createDatabase, dropDatabase } from "../test/support/db.ts";
import { type SiteBehaviour, startSiteFixture } from "../test/support/sites.ts";

function flag(name: string, fallback: string): string {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}

const ROOT = join(import.meta.dir, "..");

// ---- the site fixture process ----

/** Site i's behaviour: a fixed pseudo-random mix so every run sees the same sites fail. */
function behaviourOf(i: number): SiteBehaviour {
  const r = (Math.imul(i + 1, 2654435761) >>> 0) % 1000;
  if (r < 10) return { kind: "hang" };
  if (r < 20) return { kind: "status", status: 500 };
  if (r < 70) return { kind: "slow", ms: 1800 + (r % 5) * 100 };
  return { kind: "slow", ms: 150 + (r % 5) * 25, body: "<html><body>jetpack site</body></html>" };
}

async function runFixture(): Promise<void> {
  const n = Number(flag("sites", "1000"));
  const fixture = await startSiteFixture({ addresses: Number(flag("addresses", "200")) });
  const urls: string[] = [];
  for (let i = 0; i < n; i++) {
    fixture.set(`b${i}`, behaviourOf(i));
    urls.push(fixture.url(`b${i}`));
  }
  writeFileSync(flag("out", ""), urls.join("\n"));
  process.stdout.write("ready\n");
  await new Promise(() => {});
}

// ---- measuring processes ----

const CLK_TCK = 100;

function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return Number.NaN;
  }
}

function statusKb(pid: number, key: "VmRSS" | "VmHWM"): number {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** The MySQL server's pid, read from /proc (for its CPU figure only). */
function mysqlPid(): number | null {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, "utf8").trim();
      if (comm === "mariadbd" || comm === "mysqld") return Number(entry);
    } catch {}
  }
  return null;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function waitForLine(stream: ReadableStream<Uint8Array>, match: (line: string) => boolean, ms: number) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  const deadline = Date.now() + ms;
  try {
    while (Date.now() < deadline) {
      const { value, done } = await Promise.race([
        reader.read(),
        Bun.sleep(Math.max(1, deadline - Date.now())).then(() => ({ value: undefined, done: true })),
      ]);
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      if (lines.some(match)) return;
    }
  } finally {
    reader.releaseLock();
  }
  throw new Error("timed out waiting for the process to be ready");
}

/** Drains a stream in the background so a chatty child never blocks on a full pipe. */
function drain(stream: ReadableStream<Uint8Array> | null | undefined, keep?: string[]): void {
  if (!stream) return;
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
      if (keep) {
        for (const l of decoder.decode(chunk).split("\n")) {
          if (l.includes('"level":"error"') || l.includes('"level":"warn"')) keep.push(l);
        }
        if (keep.length > 200) keep.splice(0, keep.length - 200);
      }
    }
  })();
}

// ---- one ladder step ----

interface StepResult {
  sites: number;
  interval: number;
  workers: number;
  windowSec: number;
  missedPct: number;
  ageP50: number;
  ageP95: number;
  ageMax: number;
  checksPerMin: number;
  monitorCpuPct: number;
  mysqlCpuPct: number;
  fixtureCpuPct: number;
  monitorPeakRssMb: number;
  monitorEndRssMb: number;
  binary: string;
}

async function seed(db: Db, urls: string[], intervalSec: number): Promise<void> {
  const now = Date.now();
  const chunk = 2000;
  for (let i = 0; i < urls.length; i += chunk) {
    const values = urls.slice(i, i + chunk).map((url, k) => {
      const idx = i + k;
      // Steady state: last checks spread evenly over the past interval.
      const last = new Date(now - ((idx * 7919) % (intervalSec * 1000)));
      const at = last.toISOString().slice(0, 19).replace("T", " ");
      return sql`(${idx + 1}, ${idx % 1000}, ${url}, 1, 1, 1, ${at})`;
    });
    await db.execute(
      sql`INSERT INTO jetpack_monitor_sites (blog_id, bucket_no, monitor_url, monitor_active, site_status, check_interval, last_checked_at)
          VALUES ${sql.join(values, sql`, `)}`,
    );
  }
}

async function runStep(n: number): Promise<StepResult> {
  const interval = Number(flag("interval", "60"));
  const warmup = Number(flag("warmup", String(interval)));
  const windowSec = Number(flag("window", String(Math.round(interval * 3.5))));
  const addresses = Number(flag("addresses", "200"));
  const rate = n / interval;
  // Little's law on the mix (mean ~0.39 s including the 10 s hangs), doubled for bursts.
  const workers =
    flag("workers", "auto") === "auto"
      ? Math.max(50, Math.ceil(rate * 0.39 * 2))
      : Number(flag("workers", "100"));
  const dir = mkdtempSync(join(tmpdir(), "jetmon-capacity-"));
  const settings = await createDatabase("jbench");
  const pool = createPool(settings);
  const db = createDb(pool);
  const children: { kill: (sig?: number | NodeJS.Signals) => void }[] = [];
  const monitorLog: string[] = [];
  try {
    // Migration 29 indexes blog_id, which the legacy projection updates by.
    await migrate(pool, { print: () => {} });

    // Fixture sites, in their own process.
    const urlFile = join(dir, "urls.txt");
    const fixture = Bun.spawn(
      [
        "bun",
        import.meta.path,
        "--role=fixture",
        `--sites=${n}`,
        `--addresses=${addresses}`,
        `--out=${urlFile}`,
      ],
      { stdout: "pipe", stderr: "inherit", env: { ...process.env } },
    );
    children.push(fixture);
    await waitForLine(fixture.stdout, (l) => l === "ready", 120_000);
    const urls = readFileSync(urlFile, "utf8").split("\n");
    await seed(db, urls, interval);

    // A local WPCOM receiver (1% of sites go down and get notified).
    let notifications = 0;
    const wpcom = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (req) => {
        await req.arrayBuffer();
        notifications++;
        return new Response("{}");
      },
    });

    const cfgPath = join(dir, "config.json");
    writeFileSync(
      cfgPath,
      JSON.stringify({
        AUTH_TOKEN: "bench",
        WPCOM_STATUS_ENDPOINT: `http://127.0.0.1:${wpcom.port}/status-change`,
        NUM_WORKERS: workers,
        DATASET_SIZE: 1000,
        CHECK_INTERVAL_SEC: interval,
        TIME_BETWEEN_CHECKS_SEC: 30,
        NET_COMMS_TIMEOUT: 10,
        BUCKET_TOTAL: 1000,
        BUCKET_TARGET: 1000,
        DASHBOARD_PORT: 0,
        STATSD_ADDR: "",
        WORKER_MAX_MEM_MB: 0,
        VERIFIERS: [],
      }),
    );
    const binary = flag("binary", join(ROOT, "dist/jetmon2"));
    const cmd = existsSync(binary) ? [binary] : ["bun", join(ROOT, "src/main.ts")];
    const monitor = Bun.spawn([...cmd, "--config", cfgPath, "--mode=monitor"], {
      stdout: "pipe",
      stderr: "pipe",
      cwd: dir,
      env: {
        ...process.env,
        DB_HOST: settings.host,
        DB_PORT: String(settings.port),
        DB_USER: settings.user,
        DB_PASSWORD: settings.password,
        DB_NAME: settings.database,
        JETMON_PID_FILE: join(dir, "jetmon2.pid"),
        JETMON_HOSTNAME: "bench-host",
        JETMON_LOG_LEVEL: "info",
      },
    });
    children.push(monitor);
    await waitForLine(monitor.stdout, (l) => l.includes('"msg":"monitor running"'), 120_000);
    drain(monitor.stdout, monitorLog);
    drain(monitor.stderr, monitorLog);
    process.stderr.write(
      `  ${n} sites: monitor running (${cmd[0]}), warm-up ${warmup}s, window ${windowSec}s\n`,
    );
    await Bun.sleep(warmup * 1000);

    // Measured window.
    const mysql = mysqlPid();
    const startAt = Date.now();
    const startSql = new Date(startAt).toISOString().slice(0, 19).replace("T", " ");
    const cpu0 = {
      mon: cpuTicks(monitor.pid),
      db: mysql ? cpuTicks(mysql) : Number.NaN,
      fx: cpuTicks(fixture.pid),
    };
    const ages: number[] = [];
    let maxAge = 0;
    while (Date.now() - startAt < windowSec * 1000) {
      await Bun.sleep(Math.min(15_000, windowSec * 1000 - (Date.now() - startAt)));
      const r = await selectRows<{ age: number }>(
        db,
        sql`SELECT TIMESTAMPDIFF(SECOND, last_checked_at, UTC_TIMESTAMP()) AS age FROM jetpack_monitor_sites WHERE monitor_active = 1`,
      );
      for (const x of r) {
        const a = x.age === null ? Number.POSITIVE_INFINITY : Number(x.age);
        ages.push(a);
        if (a > maxAge) maxAge = a;
      }
    }
    const endAt = Date.now();
    const endSql = new Date(endAt).toISOString().slice(0, 19).replace("T", " ");
    const cpu1 = {
      mon: cpuTicks(monitor.pid),
      db: mysql ? cpuTicks(mysql) : Number.NaN,
      fx: cpuTicks(fixture.pid),
    };
    const peak = statusKb(monitor.pid, "VmHWM");
    const endRss = statusKb(monitor.pid, "VmRSS");
    const elapsed = (endAt - startAt) / 1000;

    // Expected vs found checks per site in the window.
    const expected = Math.floor(elapsed / interval);
    const perSite = await selectRows<{ blog_id: number; n: number }>(
      db,
      sql`SELECT blog_id, COUNT(*) AS n FROM jetmon_check_history WHERE checked_at >= ${startSql} AND checked_at < ${endSql} GROUP BY blog_id`,
    );
    const found = new Map(perSite.map((r) => [Number(r.blog_id), Number(r.n)]));
    let missing = 0;
    let total = 0;
    for (let id = 1; id <= n; id++) {
      missing += Math.max(0, expected - (found.get(id) ?? 0));
    }
    for (const r of perSite) total += Number(r.n);
    ages.sort((a, b) => a - b);

    monitor.kill("SIGTERM");
    const code = await Promise.race([monitor.exited, Bun.sleep(40_000).then(() => -1)]);
    if (code !== 0) process.stderr.write(`  monitor exited ${code}\n`);
    wpcom.stop(true);
    process.stderr.write(`  ${notifications} WPCOM notifications\n`);
    if (monitorLog.length)
      process.stderr.write(`  last monitor warnings:\n    ${monitorLog.slice(-5).join("\n    ")}\n`);

    return {
      sites: n,
      interval,
      workers,
      windowSec: Math.round(elapsed),
      missedPct: (100 * missing) / (expected * n),
      ageP50: percentile(ages, 50),
      ageP95: percentile(ages, 95),
      ageMax: maxAge,
      checksPerMin: Math.round(total / (elapsed / 60)),
      monitorCpuPct: (100 * (cpu1.mon - cpu0.mon)) / CLK_TCK / elapsed,
      mysqlCpuPct: (100 * (cpu1.db - cpu0.db)) / CLK_TCK / elapsed,
      fixtureCpuPct: (100 * (cpu1.fx - cpu0.fx)) / CLK_TCK / elapsed,
      monitorPeakRssMb: Math.round(peak / 1024),
      monitorEndRssMb: Math.round(endRss / 1024),
      binary: cmd[0] === "bun" ? "bun src/main.ts" : "dist/jetmon2",
    };
  } finally {
    for (const c of children) c.kill("SIGKILL");
    await pool.end().catch(() => {});
    await dropDatabase(settings.database).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(r: StepResult): string {
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
  return `| ${r.sites.toLocaleString("en-US")} | ${r.interval} s | ${r.workers} | ${f(r.missedPct, 2)}% | ${f(r.ageP50, 0)} s | ${f(r.ageP95, 0)} s | ${f(r.ageMax, 0)} s | ${r.checksPerMin.toLocaleString("en-US")} | ${f(r.monitorCpuPct, 0)}% | ${r.monitorPeakRssMb} MB | ${f(r.mysqlCpuPct, 0)}% | ${f(r.fixtureCpuPct, 0)}% |`;
}

async function runMain(): Promise<void> {
  const ladder = flag("ladder", flag("sites", "10000"))
    .split(",")
    .map((s) => Number(s.trim()))
    .filter((x) => x > 0);
  const results: StepResult[] = [];
  for (const n of ladder) {
    process.stderr.write(`step: ${n} sites\n`);
    const r = await runStep(n);
    results.push(r);
    process.stderr.write(`${JSON.stringify(r)}\n`);
  }
  console.log(
    "| sites | interval | workers | missed | age p50 | age p95 | age max | checks/min | monitor CPU | monitor peak RSS | MySQL CPU | fixture CPU |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of results) console.log(row(r));
  console.log(`\nmonitor: ${results[0]?.binary ?? ""}; CPU is % of one core over the window.`);
  process.exit(0);
}

// Dispatch last: every module-level constant above is initialised by now.
if (flag("role", "main") === "fixture") await runFixture();
else await runMain();

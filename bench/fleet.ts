/**
 * Fleet failover: 4 monitors (the compiled dist/jetmon2) in dynamic ownership share N sites at
 * interval I; one is SIGKILLed mid-window and later started again.
 *
 *   bun run build.ts --host-only
 *   bun bench/fleet.ts [--sites=20000] [--interval=60] [--grace=30] [--hosts=4] [--warmup=I]
 *                      [--workers=auto] [--db-port=27306] [--site-port=27080] [--addresses=50]
 *
 * Everything is private to the run: its own mariadbd (own datadir under /tmp, port --db-port
 * on 127.0.0.1), a site fixture process on 127.27.0.1..A:--site-port (95% answer 200 in
 * 150-250 ms, 5% in 1.8-2.2 s), and 4 monitor processes `fleet-a`..`fleet-d` with DASHBOARD_PORT=0.
 *
 * Timeline: all monitors start; after the warm-up the window opens; at window + I/2 `fleet-b` is
 * SIGKILLed; once every one of its buckets has been claimed by a live host and one more interval
 * has passed it is started again; the window closes 1.2 intervals after the restart.
 *
 * Measured:
 *   ownership    jetmon_hosts polled every 100 ms: any bucket in two rows at once (double
 *                ownership), and per bucket of the dead host, kill -> first claim by a live host
 *   checks       the fixture records every request (site, time): the truth of "checked"
 *   worst age    per dead-host site, the gap between its last check before the kill and its
 *                first check after it; and the largest gap of any site in the window
 *   missed       per site, floor(window / I) minus the checks in the window, summed
 *   early        consecutive checks of one site less than I - 2 s apart (checked twice in one
 *                interval), by phase
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mysql from "mysql2/promise";
import { migrate } from "../src/db/migrate.ts";
import { createPool } from "../src/db/pool.ts";
import { PrivateMariadb } from "../test/support/private-mariadb.ts";
import { CLK_TCK, cpuTicks, loadAvg, statusKb } from "./proc.ts";

function flag(name: string, fallback: string): string {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}

const ROOT = join(import.meta.dir, "..");
const BUCKET_TOTAL = 1000;

// ---- the site fixture process ----

function latencyOf(id: number): number {
  const r = (Math.imul(id + 1, 2654435761) >>> 0) % 1000;
  if (r < 50) return 1800 + (r % 5) * 100;
  return 150 + (r % 5) * 25;
}

function siteAddress(id: number, addresses: number): string {
  return `127.27.0.${1 + (id % addresses)}`;
}

async function runFixture(): Promise<void> {
  const addresses = Number(flag("addresses", "50"));
  const port = Number(flag("site-port", "27080"));
  const start = Date.now();
  let ids = new Uint32Array(1 << 20);
  let times = new Float64Array(1 << 20);
  let n = 0;
  const record = (id: number) => {
    if (n === ids.length) {
      const i2 = new Uint32Array(ids.length * 2);
      i2.set(ids);
      ids = i2;
      const t2 = new Float64Array(times.length * 2);
      t2.set(times);
      times = t2;
    }
    ids[n] = id;
    times[n] = Date.now();
    n++;
  };
  const body = "<html><body>jetpack site</body></html>";
  const fetch = (req: Request): Response | Promise<Response> => {
    const url = new URL(req.url);
    if (url.pathname === "/__dump") {
      const out = url.searchParams.get("out") ?? "";
      const buf = Buffer.alloc(n * 12);
      for (let i = 0; i < n; i++) {
        buf.writeUInt32LE(ids[i] ?? 0, i * 12);
        buf.writeDoubleLE(times[i] ?? 0, i * 12 + 4);
      }
      writeFileSync(out, buf);
      return new Response(String(n));
    }
    const id = Number(url.pathname.slice(3));
    record(id);
    const ms = latencyOf(id);
    return new Promise((resolve) => setTimeout(() => resolve(new Response(body)), ms));
  };
  for (let a = 1; a <= addresses; a++) {
    Bun.serve({ hostname: `127.27.0.${a}`, port, fetch, idleTimeout: 60 });
  }
  process.stdout.write(`ready ${start}\n`);
  await new Promise(() => {});
}

// ---- helpers ----

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const log = (s: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);

async function waitForLine(stream: ReadableStream<Uint8Array>, match: (l: string) => boolean, ms: number) {
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
      const hit = lines.find(match);
      if (hit) return hit;
    }
  } finally {
    reader.releaseLock();
  }
  throw new Error("timed out waiting for the process to be ready");
}

/** Keeps warn/error lines (and a few ownership lines) of a child's JSON log. */
function drain(stream: ReadableStream<Uint8Array>, keep: string[], host: string): void {
  void (async () => {
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const l of lines) {
        if (
          l.includes('"level":40') ||
          l.includes('"level":50') ||
          l.includes('"level":"warn"') ||
          l.includes('"level":"error"') ||
          l.includes("bucket range claimed") ||
          l.includes("sites loaded")
        ) {
          keep.push(`${host} ${l}`);
        }
      }
      if (keep.length > 4000) keep.splice(0, keep.length - 4000);
    }
  })();
}

// ---- the run ----

interface HostRow {
  host_id: string;
  bucket_min: number;
  bucket_max: number;
  status: string;
}

interface OverlapEvent {
  at: number;
  hosts: string;
  buckets: number;
}

async function runMain(): Promise<void> {
  const n = Number(flag("sites", "20000"));
  const interval = Number(flag("interval", "60"));
  const grace = Number(flag("grace", String(Math.max(30, Math.round(interval / 2)))));
  const hostCount = Number(flag("hosts", "4"));
  const warmup = Number(flag("warmup", String(interval)));
  const addresses = Number(flag("addresses", "50"));
  const sitePort = Number(flag("site-port", "27080"));
  const dbPort = Number(flag("db-port", "27306"));
  const victim = flag("victim", "fleet-b");
  // Little's law on the mix (mean ~0.29 s) for the load a survivor carries after the kill, x3 for bursts.
  const workers =
    flag("workers", "auto") === "auto"
      ? Math.max(50, Math.ceil((n / (hostCount - 1) / interval) * 0.29 * 3))
      : Number(flag("workers", "100"));
  const dir = mkdtempSync(join(tmpdir(), "jetmon-fleet-"));
  const db = new PrivateMariadb({
    prefix: "jetmon-fleet-db-",
    port: dbPort,
    user: "jetmon",
    password: "fleet-pw",
    bufferPool: "1G",
    logFileSize: "256M",
    maxConnections: 400,
  });
  const children: ReturnType<typeof Bun.spawn>[] = [];
  const monitorLog: string[] = [];
  const load0 = loadAvg();
  let conn: mysql.Pool | null = null;
  try {
    log(`mariadbd on 127.0.0.1:${dbPort} (${db.dir})`);
    await db.install();
    await db.query(undefined, "CREATE DATABASE jetmon_fleet CHARACTER SET utf8mb4");
    const settings = {
      host: "127.0.0.1",
      port: dbPort,
      user: "jetmon",
      password: "fleet-pw",
      database: "jetmon_fleet",
    };
    const pool = createPool(settings);
    await migrate(pool, { print: () => {} });
    await pool.end();
    conn = mysql.createPool({ ...settings, connectionLimit: 4, timezone: "Z" });

    const fixture = Bun.spawn(
      ["bun", import.meta.path, "--role=fixture", `--addresses=${addresses}`, `--site-port=${sitePort}`],
      { stdout: "pipe", stderr: "inherit" },
    );
    children.push(fixture);
    await waitForLine(fixture.stdout, (l) => l.startsWith("ready"), 60_000);

    // Seed: steady state, last checks spread over the past interval.
    log(`seeding ${n} sites`);
    const now0 = Date.now();
    for (let i = 0; i < n; i += 5000) {
      const rows: unknown[][] = [];
      for (let id = i + 1; id <= Math.min(n, i + 5000); id++) {
        const last = new Date(now0 - ((id * 7919) % (interval * 1000)));
        const url = `http://${siteAddress(id, addresses)}:${sitePort}/s/${id}`;
        rows.push([id, id % BUCKET_TOTAL, url, 1, 1, 1, last]);
      }
      await conn.query(
        "INSERT INTO jetpack_monitor_sites (blog_id, bucket_no, monitor_url, monitor_active, site_status, check_interval, last_checked_at) VALUES ?",
        [rows],
      );
    }

    let notifications = 0;
    const wpcom = Bun.serve({
      hostname: "127.0.27.1",
      port: sitePort + 1,
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
        WPCOM_STATUS_ENDPOINT: `http://127.0.27.1:${wpcom.port}/status-change`,
        NUM_WORKERS: workers,
        DATASET_SIZE: 1000,
        CHECK_INTERVAL_SEC: interval,
        TIME_BETWEEN_CHECKS_SEC: 30,
        NET_COMMS_TIMEOUT: 10,
        BUCKET_TOTAL,
        BUCKET_TARGET: 500,
        BUCKET_HEARTBEAT_GRACE_SEC: grace,
        DASHBOARD_PORT: 0,
        STATSD_ADDR: "",
        WORKER_MAX_MEM_MB: 0,
        VERIFIERS: [],
      }),
    );
    const binary = flag("binary", join(ROOT, "dist/jetmon2"));
    const hosts = Array.from({ length: hostCount }, (_, i) => `fleet-${String.fromCharCode(97 + i)}`);
    const procs = new Map<string, ReturnType<typeof Bun.spawn>>();
    const spawnMonitor = async (host: string) => {
      const hdir = join(dir, host);
      rmSync(hdir, { recursive: true, force: true });
      Bun.spawnSync(["mkdir", "-p", hdir]);
      const p = Bun.spawn([binary, "--config", cfgPath, "--mode=monitor"], {
        stdout: "pipe",
        stderr: "pipe",
        cwd: hdir,
        env: {
          PATH: process.env.PATH ?? "",
          DB_HOST: settings.host,
          DB_PORT: String(settings.port),
          DB_USER: settings.user,
          DB_PASSWORD: settings.password,
          DB_NAME: settings.database,
          JETMON_PID_FILE: join(hdir, "jetmon2.pid"),
          JETMON_HOSTNAME: host,
          JETMON_LOG_LEVEL: "info",
        },
      });
      children.push(p);
      procs.set(host, p);
      await waitForLine(
        p.stdout as ReadableStream<Uint8Array>,
        (l) => l.includes('"msg":"monitor running"'),
        120_000,
      );
      drain(p.stdout as ReadableStream<Uint8Array>, monitorLog, host);
      drain(p.stderr as ReadableStream<Uint8Array>, monitorLog, host);
    };

    // ---- the ownership poller ----
    let rows: HostRow[] = [];
    let polls = 0;
    let pollMaxMs = 0;
    const overlaps: OverlapEvent[] = [];
    let stopPolling = false;
    let killAt = 0;
    const victimHolder: { range: { min: number; max: number } | null } = { range: null };
    const firstLiveClaim = new Map<number, number>();
    const poller = (async () => {
      while (!stopPolling) {
        const t0 = Date.now();
        try {
          const [r] = await conn.query("SELECT host_id, bucket_min, bucket_max, status FROM jetmon_hosts");
          rows = (r as HostRow[]).map((x) => ({
            ...x,
            bucket_min: Number(x.bucket_min),
            bucket_max: Number(x.bucket_max),
          }));
          polls++;
          const t = Date.now();
          pollMaxMs = Math.max(pollMaxMs, t - t0);
          const owners = new Map<number, string[]>();
          for (const row of rows) {
            for (let b = row.bucket_min; b <= row.bucket_max; b++) {
              const list = owners.get(b);
              if (list) list.push(row.host_id);
              else owners.set(b, [row.host_id]);
            }
          }
          let doubled = 0;
          const who = new Set<string>();
          for (const list of owners.values()) {
            if (list.length > 1) {
              doubled++;
              for (const h of list) who.add(h);
            }
          }
          if (doubled > 0) overlaps.push({ at: t, hosts: [...who].sort().join("+"), buckets: doubled });
          const victimRange = victimHolder.range;
          if (killAt > 0 && victimRange) {
            for (const row of rows) {
              if (row.host_id === victim) continue;
              for (
                let b = Math.max(row.bucket_min, victimRange.min);
                b <= Math.min(row.bucket_max, victimRange.max);
                b++
              ) {
                if (!firstLiveClaim.has(b)) firstLiveClaim.set(b, t);
              }
            }
          }
        } catch (err) {
          log(`poll failed: ${String(err)}`);
        }
        await Bun.sleep(Math.max(0, 100 - (Date.now() - t0)));
      }
    })();

    const startedAt = Date.now();
    log(`starting ${hostCount} monitors (${workers} workers each), interval ${interval}s, grace ${grace}s`);
    await Promise.all(hosts.map((h) => spawnMonitor(h)));
    const covered = async () => {
      const owned = new Set<number>();
      for (const r of rows) for (let b = r.bucket_min; b <= r.bucket_max; b++) owned.add(b);
      return owned.size === BUCKET_TOTAL && rows.length === hostCount;
    };
    while (!(await covered())) await Bun.sleep(200);
    log(`all buckets covered after ${((Date.now() - startedAt) / 1000).toFixed(1)}s; warm-up ${warmup}s`);
    await Bun.sleep(warmup * 1000);

    // ---- the window ----
    const winStart = Date.now();
    const cpuMon0 = new Map(hosts.map((h) => [h, cpuTicks(procs.get(h)?.pid)]));
    const cpuDb0 = cpuTicks(db.pid);
    const cpuFx0 = cpuTicks(fixture.pid);
    await Bun.sleep((interval / 2) * 1000);
    const vrow = rows.find((r) => r.host_id === victim);
    if (!vrow) throw new Error(`${victim} has no jetmon_hosts row`);
    const vrange = { min: vrow.bucket_min, max: vrow.bucket_max };
    victimHolder.range = vrange;
    const victimProc = procs.get(victim);
    const victimCpu = cpuTicks(victimProc?.pid) - (cpuMon0.get(victim) ?? 0);
    killAt = Date.now();
    victimProc?.kill("SIGKILL");
    log(`SIGKILL ${victim} (buckets ${vrange.min}-${vrange.max})`);
    const victimBuckets = vrange.max - vrange.min + 1;
    while (firstLiveClaim.size < victimBuckets) await Bun.sleep(200);
    const allClaimedAt = Math.max(...firstLiveClaim.values());
    log(
      `all ${victimBuckets} buckets claimed by live hosts ${((allClaimedAt - killAt) / 1000).toFixed(1)}s after the kill`,
    );
    await Bun.sleep(interval * 1000);
    const restartAt = Date.now();
    await spawnMonitor(victim);
    log(`${victim} started again`);
    await Bun.sleep(interval * 1.2 * 1000);
    const winEnd = Date.now();
    stopPolling = true;
    await poller;

    const cpuMon = hosts.map((h) =>
      h === victim
        ? Number.NaN
        : (100 * (cpuTicks(procs.get(h)?.pid) - (cpuMon0.get(h) ?? 0))) /
          CLK_TCK /
          ((winEnd - winStart) / 1000),
    );
    const cpuDb = (100 * (cpuTicks(db.pid) - cpuDb0)) / CLK_TCK / ((winEnd - winStart) / 1000);
    const cpuFx = (100 * (cpuTicks(fixture.pid) - cpuFx0)) / CLK_TCK / ((winEnd - winStart) / 1000);
    const rss = hosts.filter((h) => h !== victim).map((h) => statusKb(procs.get(h)?.pid ?? 0, "VmHWM"));
    const load1 = loadAvg();
    const hostTotals = await conn.query("SELECT COUNT(*) AS n FROM jetmon_check_history");

    // ---- stop and read what the fixture saw ----
    for (const h of hosts) procs.get(h)?.kill("SIGTERM");
    await Promise.all(hosts.map((h) => Promise.race([procs.get(h)?.exited, Bun.sleep(40_000)])));
    const dumpPath = join(dir, "hits.bin");
    const fxUrl = `http://${siteAddress(0, addresses)}:${sitePort}/__dump?out=${encodeURIComponent(dumpPath)}`;
    await (await fetch(fxUrl)).text();
    wpcom.stop(true);
    const buf = readFileSync(dumpPath);
    const hitCount = buf.length / 12;
    const perSite: number[][] = Array.from({ length: n + 1 }, () => []);
    for (let i = 0; i < hitCount; i++) {
      const id = buf.readUInt32LE(i * 12);
      const t = buf.readDoubleLE(i * 12 + 4);
      perSite[id]?.push(t);
    }

    // ---- analysis ----
    const I = interval * 1000;
    const inVictim = (id: number) => id % BUCKET_TOTAL >= vrange.min && id % BUCKET_TOTAL <= vrange.max;
    const victimAges: number[] = [];
    let victimNeverChecked = 0;
    const windowGaps: number[] = [];
    let missed = 0;
    const expected = Math.floor((winEnd - winStart) / I);
    const early = { startup: 0, steady: 0, failover: 0, rebalance: 0, halfInterval: 0 };
    const earlySites = new Set<number>();
    for (let id = 1; id <= n; id++) {
      const ts = (perSite[id] ?? []).sort((a, b) => a - b);
      let inWin = 0;
      let prevInWin = winStart;
      let maxGap = 0;
      for (let k = 0; k < ts.length; k++) {
        const t = ts[k] ?? 0;
        if (t >= winStart && t < winEnd) {
          inWin++;
          maxGap = Math.max(maxGap, t - prevInWin);
          prevInWin = t;
        }
        if (k > 0) {
          const gap = t - (ts[k - 1] ?? 0);
          if (gap < I - 2000) {
            earlySites.add(id);
            if (gap < I / 2) early.halfInterval++;
            if (t < winStart) early.startup++;
            else if (t < killAt) early.steady++;
            else if (t < restartAt) early.failover++;
            else early.rebalance++;
          }
        }
      }
      maxGap = Math.max(maxGap, winEnd - prevInWin);
      windowGaps.push(maxGap);
      missed += Math.max(0, expected - inWin);
      if (inVictim(id)) {
        const before = ts.filter((t) => t <= killAt).pop();
        const after = ts.find((t) => t > killAt);
        if (after === undefined || before === undefined) victimNeverChecked++;
        else victimAges.push(after - before);
      }
    }
    victimAges.sort((a, b) => a - b);
    windowGaps.sort((a, b) => a - b);
    const unowned = [...firstLiveClaim.values()].map((t) => t - killAt).sort((a, b) => a - b);
    const phase = (t: number) =>
      t < winStart ? "startup" : t < killAt ? "steady" : t < restartAt ? "failover" : "rebalance";
    const overlapBy = new Map<string, { polls: number; maxBuckets: number; first: number; last: number }>();
    for (const o of overlaps) {
      const key = phase(o.at);
      const cur = overlapBy.get(key) ?? { polls: 0, maxBuckets: 0, first: o.at, last: o.at };
      cur.polls++;
      cur.maxBuckets = Math.max(cur.maxBuckets, o.buckets);
      cur.last = o.at;
      overlapBy.set(key, cur);
    }
    const s = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : "n/a");
    const goal = interval + grace + 30;
    const worstVictim = victimAges[victimAges.length - 1] ?? Number.NaN;
    const histRows = Number((hostTotals[0] as { n: number }[])[0]?.n ?? 0);

    const out: string[] = [];
    out.push("```");
    out.push(
      `fleet failover: ${n.toLocaleString("en-US")} sites, interval ${interval} s, ${hostCount} monitors (${binary}), ${workers} workers each`,
    );
    out.push(
      `  BUCKET_TOTAL ${BUCKET_TOTAL}, BUCKET_TARGET 500, BUCKET_HEARTBEAT_GRACE_SEC ${grace} (claim every ${Math.min(30, Math.max(1, grace / 4))} s)`,
    );
    out.push(
      `  window ${s(winEnd - winStart)}: kill ${victim} at +${s(killAt - winStart)}, restart at +${s(restartAt - winStart)}`,
    );
    out.push(
      `  victim buckets ${vrange.min}-${vrange.max} (${victimBuckets}), ${victimAges.length + victimNeverChecked} sites`,
    );
    out.push("ownership (jetmon_hosts polled every 100 ms)");
    out.push(`  polls                      ${polls} (slowest ${pollMaxMs} ms)`);
    out.push(
      `  unowned after kill         max ${s(unowned[unowned.length - 1] ?? Number.NaN)}, p50 ${s(pct(unowned, 50))}, min ${s(unowned[0] ?? Number.NaN)}`,
    );
    for (const p of ["startup", "steady", "failover", "rebalance"]) {
      const o = overlapBy.get(p);
      out.push(
        `  double ownership ${p.padEnd(10)}${o ? `${o.polls} polls, up to ${o.maxBuckets} buckets, ${s(o.last - o.first)} first to last` : "0"}`,
      );
    }
    out.push("checks (every request the fixture answered)");
    out.push(
      `  victim sites worst age     ${s(worstVictim)} (goal <= ${goal} s: ${worstVictim <= goal * 1000 ? "met" : "NOT met"}), p50 ${s(pct(victimAges, 50))}, p95 ${s(pct(victimAges, 95))}, never rechecked ${victimNeverChecked}`,
    );
    out.push(
      `  any site worst gap         ${s(windowGaps[windowGaps.length - 1] ?? Number.NaN)} in the window, p99 ${s(pct(windowGaps, 99))}`,
    );
    out.push(
      `  missed checks              ${missed} of ${expected * n} expected (${((100 * missed) / (expected * n)).toFixed(3)}%)`,
    );
    out.push(
      `  checked twice (< I-2 s)    startup ${early.startup}, steady ${early.steady}, failover ${early.failover}, rebalance ${early.rebalance}; ${earlySites.size} sites; ${early.halfInterval} under I/2`,
    );
    out.push(
      `  requests                   ${hitCount}, history rows ${histRows}, WPCOM notifications ${notifications}`,
    );
    out.push("cost (window)");
    out.push(
      `  monitor CPU                ${cpuMon.map((c, i) => `${hosts[i]} ${Number.isFinite(c) ? `${c.toFixed(0)}%` : "killed"}`).join(", ")} (victim ${((100 * victimCpu) / CLK_TCK / ((killAt - winStart) / 1000)).toFixed(0)}% before the kill)`,
    );
    out.push(
      `  monitor peak RSS           ${rss.map((k) => `${Math.round(k / 1024)} MB`).join(", ")} (survivors)`,
    );
    out.push(`  MariaDB CPU ${cpuDb.toFixed(0)}%, fixture CPU ${cpuFx.toFixed(0)}% (% of one core)`);
    out.push(`  load average               ${load0} at start, ${load1} at end (2 cores, shared)`);
    out.push("```");
    console.log(out.join("\n"));
    const warn = monitorLog.filter((l) => !l.includes("sites loaded") && !l.includes("bucket range claimed"));
    if (warn.length) log(`monitor warnings (last 10 of ${warn.length}):\n  ${warn.slice(-10).join("\n  ")}`);
    if (flag("log", "")) writeFileSync(flag("log", ""), `${monitorLog.join("\n")}\n`);
    if (flag("overlaps", "")) writeFileSync(flag("overlaps", ""), JSON.stringify(overlaps.slice(0, 2000)));
  } finally {
    for (const c of children) c.kill("SIGKILL");
    await conn?.end().catch(() => {});
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

if (flag("role", "main") === "fixture") await runFixture();
else await runMain();

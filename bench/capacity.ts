/**
 * Capacity: how many sites one monitor keeps fresh at a given interval, and what it costs.
 *
 *   bun run build.ts --host-only
 *   bun bench/capacity.ts [--sites=10000] [--interval=60] [--warmup=60] [--window=210]
 *                         [--workers=auto] [--addresses=200] [--ttl=60] [--dns=on|off]
 *                         [--binary=dist/jetmon2] [--profile=DIR]
 *   bun bench/capacity.ts --ladder=100000 --interval=60
 *
 * The whole run happens in a network namespace of its own (`ip netns add jetmon-bench-<pid>`,
 * removed on exit, with /etc/netns/<name>/resolv.conf naming the benchmark's resolver), so
 * nothing outside the benchmark is touched: the process re-executes itself under
 * `ip netns exec`. Inside it, per step: a private mariadbd (own datadir and port, so its CPU
 * and write counters are the monitor's alone); a fresh database migrated to latest; N sites
 * seeded with last_checked_at spread over the past interval (steady state, not a cold-start
 * stampede), each with its own hostname `<i>.bench.test`; a UDP DNS responder (own process)
 * answering A records for those names with the fixture address and a TTL; a site fixture in
 * its own process serving them from many 127.0.0.x origins with a realistic mix (93% answer in
 * 150-250 ms, 5% in ~2 s, 1% hang until the check timeout, 1% answer 500); a local WPCOM
 * receiver; then the monitor (the compiled binary) in its own process. After a warm-up of one
 * interval, a measured window:
 *
 *   missed %      per site, checks expected in the window (floor(window/interval)) minus the
 *                 checks found in jetmon_check_history, over all sites
 *   age p50/p95   now - last_checked_at over all sites, sampled every 15 s (a histogram query)
 *   checks/s      history rows in the window per second
 *   CPU           monitor, mariadbd, fixture and DNS responder, % of one core over the window
 *   RSS           monitor RSS at the end, per site (KB), and peak (VmHWM)
 *   writes        statements/s and rows/s from the private server's counters
 *   lateness      p50/p99 of dispatch against each site's due time (the monitor's
 *                 "dispatch lateness" log line, one a minute, merged over the window)
 *   round         the last completed round (a sweep over every site) at the window's end, from
 *                 the monitor's own GET /api/host (round_duration_ms)
 *   load          `uptime` load averages at the window's end (the machine is shared)
 *
 * --profile=DIR runs the monitor under Bun's sampling CPU profiler (BUN_OPTIONS="--cpu-prof-md
 * --cpu-prof-dir=DIR"): a markdown profile per process lands in DIR when the monitor exits at the
 * end of the step. It samples the JS thread; fetch's network thread is not in it.
 *
 * The window should be an interval and a half past a whole number of intervals (the default
 * 3.5 intervals) so a check that is a few seconds late is not counted as missed.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { sql } from "drizzle-orm";
import { createDb, type Db } from "../src/db/client.ts";
import { migrate } from "../src/db/migrate.ts";
import { createPool } from "../src/db/pool.ts";
import { selectRows } from "../src/db/sql.ts";
import { PrivateMariadb } from "../test/support/private-mariadb.ts";
import { type SiteBehaviour, startSiteFixture } from "../test/support/sites.ts";
import { CLK_TCK, cpuTicks, loadAvg, statusKb } from "./proc.ts";

function flag(name: string, fallback: string): string {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}

const ROOT = join(import.meta.dir, "..");

/** The compiled monitor under test (`--binary`, default dist/jetmon2). */
function monitorBinary(): string {
  return flag("binary", join(ROOT, "dist/jetmon2"));
}

/** The benchmark's resolver, inside its own network namespace. */
const DNS_ADDR = "127.0.26.53";
const DNS_ZONE = "bench.test";
const NETNS_ENV = "JETMON_BENCH_NETNS";
/** The monitor's dashboard inside the namespace (its own loopback): the last round's figure. */
const DASHBOARD_PORT = 26091;

// ---- the network namespace ----

function sh(cmd: string[]): void {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr.toString().trim()}`);
}

/** Re-runs this script inside a fresh netns whose resolv.conf names DNS_ADDR; removes it after. */
async function runInNetns(): Promise<number> {
  const name = `jetmon-bench-${process.pid}`;
  const etcRoot = "/etc/netns";
  const hadRoot = existsSync(etcRoot);
  const etc = join(etcRoot, name);
  sh(["ip", "netns", "add", name]);
  let child: ReturnType<typeof Bun.spawn> | null = null;
  const stop = () => child?.kill("SIGTERM");
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  try {
    mkdirSync(etc, { recursive: true });
    writeFileSync(join(etc, "resolv.conf"), `nameserver ${DNS_ADDR}\noptions timeout:2 attempts:2\n`);
    sh(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"]);
    child = Bun.spawn(
      ["ip", "netns", "exec", name, process.execPath, import.meta.path, ...process.argv.slice(2)],
      {
        stdio: ["inherit", "inherit", "inherit"],
        env: { ...process.env, [NETNS_ENV]: name },
      },
    );
    return await child.exited;
  } finally {
    Bun.spawnSync(["ip", "netns", "del", name]);
    rmSync(etc, { recursive: true, force: true });
    if (!hadRoot) {
      try {
        rmdirSync(etcRoot);
      } catch {}
    }
  }
}

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

// ---- the DNS responder process ----

/**
 * A tiny authoritative responder: `<i>.bench.test IN A` answers the address of fixture URL i
 * with TTL --ttl; other types for those names answer NODATA, anything else NXDOMAIN.
 */
async function runDns(): Promise<void> {
  const urls = readFileSync(flag("urls", ""), "utf8").split("\n");
  const ips = new Uint32Array(urls.length);
  for (let i = 0; i < urls.length; i++) {
    const m = /^https?:\/\/(\d+)\.(\d+)\.(\d+)\.(\d+)[:/]/.exec(urls[i] ?? "");
    if (m) ips[i] = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  }
  const ttl = Number(flag("ttl", "60"));
  const statsFile = flag("stats", "");
  const zone = `.${DNS_ZONE}`;
  let queries = 0;
  let answered = 0;
  const byType: Record<number, number> = {};
  const answer = (q: Uint8Array): Uint8Array | null => {
    if (q.length < 17) return null;
    let o = 12;
    const labels: string[] = [];
    while (o < q.length) {
      const len = q[o] ?? 0;
      if (len === 0) break;
      if (len > 63) return null;
      labels.push(String.fromCharCode(...q.subarray(o + 1, o + 1 + len)));
      o += len + 1;
    }
    const qEnd = o + 5; // zero byte, qtype, qclass
    if (qEnd > q.length) return null;
    const qtype = ((q[o + 1] ?? 0) << 8) | (q[o + 2] ?? 0);
    byType[qtype] = (byType[qtype] ?? 0) + 1;
    const name = labels.join(".").toLowerCase();
    let ip = -1;
    let rcode = 3;
    if (name.endsWith(zone)) {
      const idx = Number(name.slice(0, -zone.length));
      if (Number.isInteger(idx) && idx >= 0 && idx < ips.length) {
        rcode = 0;
        if (qtype === 1) ip = ips[idx] ?? 0;
      }
    }
    const withAnswer = ip >= 0;
    const out = new Uint8Array(qEnd + (withAnswer ? 16 : 0));
    out.set(q.subarray(0, qEnd));
    out[2] = 0x84 | ((q[2] ?? 0) & 0x01); // QR, AA, RD copied
    out[3] = 0x80 | rcode; // RA
    out[4] = 0;
    out[5] = 1;
    out[6] = 0;
    out[7] = withAnswer ? 1 : 0;
    out.fill(0, 8, 12);
    if (withAnswer) {
      const a = qEnd;
      out.set(
        [0xc0, 0x0c, 0, 1, 0, 1, (ttl >>> 24) & 255, (ttl >>> 16) & 255, (ttl >>> 8) & 255, ttl & 255, 0, 4],
        a,
      );
      out.set([(ip >>> 24) & 255, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255], a + 12);
      answered++;
    }
    return out;
  };
  await Bun.udpSocket({
    hostname: DNS_ADDR,
    port: 53,
    socket: {
      data(sock, buf, port, addr) {
        queries++;
        const r = answer(buf);
        if (r) sock.send(r, port, addr);
      },
    },
  });
  setInterval(() => {
    if (statsFile) writeFileSync(statsFile, JSON.stringify({ queries, answered, byType }));
  }, 2000);
  process.stdout.write("ready\n");
  await new Promise(() => {});
}

// ---- the private mariadbd ----

/** mariadbd on its own datadir and port (test/support/private-mariadb.ts), sized for the step. */
async function startMariadb(): Promise<PrivateMariadb> {
  const server = new PrivateMariadb({
    prefix: "jetmon-bench-db-",
    user: "bench",
    password: "bench-pw",
    bufferPool: flag("buffer-pool", "1G"),
    logFileSize: "256M",
  });
  await server.install();
  return server;
}

// ---- measuring processes ----

function percentileOfHistogram(hist: [number, number][], p: number): number {
  const total = hist.reduce((a, [, n]) => a + n, 0);
  if (total === 0) return Number.NaN;
  let seen = 0;
  for (const [v, n] of hist) {
    seen += n;
    if (seen >= (p / 100) * total) return v;
  }
  return hist[hist.length - 1]?.[0] ?? Number.NaN;
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

interface LatenessLine {
  at: number;
  buckets: number[];
}

/** The monitor's last completed round in seconds, from its dashboard; NaN when none has ended. */
async function lastRoundSec(): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${DASHBOARD_PORT}/api/host`, {
      signal: AbortSignal.timeout(10_000),
    });
    const j = (await res.json()) as { state?: { round_duration_ms?: number } };
    return j.state?.round_duration_ms ? j.state.round_duration_ms / 1000 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Drains a child's output so it never blocks; keeps warnings and the lateness lines. */
function drain(
  stream: ReadableStream<Uint8Array> | null | undefined,
  keep: string[],
  late: LatenessLine[],
): void {
  if (!stream) return;
  void (async () => {
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const l of lines) {
        if (l.includes('"msg":"dispatch lateness"')) {
          try {
            const j = JSON.parse(l) as { buckets?: number[] };
            if (j.buckets) late.push({ at: Date.now(), buckets: j.buckets });
          } catch {}
        } else if (
          l.includes('"level":"error"') ||
          l.includes('"level":"warn"') ||
          l.includes('"level":50') ||
          l.includes('"level":40')
        ) {
          keep.push(l);
        }
      }
      if (keep.length > 200) keep.splice(0, keep.length - 200);
    }
  })();
}

/** The upper bounds of the monitor's lateness buckets (src/monitor/schedule.ts). */
const LATE_BOUNDS = [
  1,
  2,
  5,
  10,
  20,
  50,
  100,
  200,
  500,
  1000,
  2000,
  5000,
  10_000,
  30_000,
  60_000,
  Number.POSITIVE_INFINITY,
];

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
  checksPerSec: number;
  monitorCpuPct: number;
  mysqlCpuPct: number;
  fixtureCpuPct: number;
  dnsCpuPct: number;
  dnsQueriesPerSec: number;
  monitorPeakRssMb: number;
  monitorEndRssMb: number;
  rssKbPerSite: number;
  statementsPerSec: number;
  rowsPerSec: number;
  lateP50Ms: number;
  lateP99Ms: number;
  /** The last completed round at the window's end, seconds (NaN: none had completed). */
  roundSec: number;
  load: string;
  dns: boolean;
}

async function seed(db: Db, urls: string[], intervalSec: number): Promise<void> {
  const now = Date.now();
  const chunk = 5000;
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

/** Write counters of the private server: statements and InnoDB rows changed. */
async function writeCounters(db: Db): Promise<{ statements: number; rows: number }> {
  const r = await selectRows<{ Variable_name: string; Value: string }>(
    db,
    sql`SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_insert','Com_update','Com_delete','Com_replace','Com_insert_select','Handler_write','Handler_update','Handler_delete')`,
  );
  let statements = 0;
  let rows = 0;
  for (const x of r) {
    if (x.Variable_name.startsWith("Com_")) statements += Number(x.Value);
    else rows += Number(x.Value);
  }
  return { statements, rows };
}

async function runStep(n: number): Promise<StepResult> {
  const interval = Number(flag("interval", "60"));
  const warmup = Number(flag("warmup", String(interval)));
  const windowSec = Number(flag("window", String(Math.round(interval * 3.5))));
  const addresses = Number(flag("addresses", "200"));
  const useDns = flag("dns", "on") !== "off";
  const rate = n / interval;
  // Little's law on the mix: mean latency 0.93*0.2 + 0.05*2 + 0.01*10 + 0.01*~0 = 0.39 s
  // (the 1% hanging to the 10 s timeout is a quarter of it), x2 for bursts.
  const workers =
    flag("workers", "auto") === "auto"
      ? Math.max(50, Math.ceil(rate * 0.39 * 2))
      : Number(flag("workers", "100"));
  const dir = mkdtempSync(join(tmpdir(), "jetmon-capacity-"));
  const children: { kill: (sig?: number | NodeJS.Signals) => void }[] = [];
  const monitorLog: string[] = [];
  const lateness: LatenessLine[] = [];
  const server = await startMariadb();
  const settings = {
    host: "127.0.0.1",
    port: server.port,
    user: server.user,
    password: server.password,
    database: "jbench",
  };
  await server.query(undefined, "CREATE DATABASE jbench");
  const pool = createPool(settings);
  const db = createDb(pool);
  try {
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
    await waitForLine(fixture.stdout, (l) => l === "ready", 600_000);
    const ipUrls = readFileSync(urlFile, "utf8").split("\n");

    // The resolver, in its own process; every site gets its own hostname.
    const dnsStats = join(dir, "dns.json");
    let dnsPid = 0;
    let urls = ipUrls;
    if (useDns) {
      const dns = Bun.spawn(
        [
          "bun",
          import.meta.path,
          "--role=dns",
          `--urls=${urlFile}`,
          `--ttl=${flag("ttl", "60")}`,
          `--stats=${dnsStats}`,
        ],
        { stdout: "pipe", stderr: "inherit", env: { ...process.env } },
      );
      children.push(dns);
      dnsPid = dns.pid;
      await waitForLine(dns.stdout, (l) => l === "ready", 120_000);
      urls = ipUrls.map((u, i) => u.replace(/^(https?:\/\/)[^/:]+/, `$1${i}.${DNS_ZONE}`));
      const probe = await Bun.dns.lookup(`0.${DNS_ZONE}`, { family: 4 });
      process.stderr.write(`  resolver: 0.${DNS_ZONE} -> ${probe[0]?.address}\n`);
    }
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
        DASHBOARD_PORT: DASHBOARD_PORT,
        STATSD_ADDR: "",
        WORKER_MAX_MEM_MB: 0,
        VERIFIERS: [],
      }),
    );
    const binary = monitorBinary();
    if (!existsSync(binary)) throw new Error(`${binary} missing: bun run build.ts --host-only`);
    const monitor = Bun.spawn([binary, "--config", cfgPath, "--mode=monitor"], {
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
        ...(flag("profile", "")
          ? { BUN_OPTIONS: `--cpu-prof-md --cpu-prof-dir=${resolve(flag("profile", ""))}` }
          : {}),
      },
    });
    children.push(monitor);
    await waitForLine(monitor.stdout, (l) => l.includes('"msg":"monitor running"'), 600_000);
    drain(monitor.stdout, monitorLog, lateness);
    drain(monitor.stderr, monitorLog, lateness);
    process.stderr.write(
      `  ${n} sites: monitor running, ${workers} workers, warm-up ${warmup}s, window ${windowSec}s\n`,
    );
    await Bun.sleep(warmup * 1000);

    // Measured window.
    const readDns = () => {
      try {
        return (JSON.parse(readFileSync(dnsStats, "utf8")) as { queries: number }).queries;
      } catch {
        return 0;
      }
    };
    const startAt = Date.now();
    const startSql = new Date(startAt).toISOString().slice(0, 19).replace("T", " ");
    const cpuOf = () => ({
      mon: cpuTicks(monitor.pid),
      db: cpuTicks(server.pid),
      fx: cpuTicks(fixture.pid),
      dns: dnsPid ? cpuTicks(dnsPid) : 0,
    });
    const cpu0 = cpuOf();
    const w0 = await writeCounters(db);
    const q0 = readDns();
    const ages = new Map<number, number>();
    let maxAge = 0;
    const sampleEvery = Math.max(15, Math.min(60, interval / 5)) * 1000;
    while (Date.now() - startAt < windowSec * 1000) {
      await Bun.sleep(Math.min(sampleEvery, windowSec * 1000 - (Date.now() - startAt)));
      const r = await selectRows<{ age: number | null; n: number }>(
        db,
        sql`SELECT TIMESTAMPDIFF(SECOND, last_checked_at, UTC_TIMESTAMP()) AS age, COUNT(*) AS n FROM jetpack_monitor_sites WHERE monitor_active = 1 GROUP BY age`,
      );
      for (const x of r) {
        const a = x.age === null ? Number.POSITIVE_INFINITY : Number(x.age);
        ages.set(a, (ages.get(a) ?? 0) + Number(x.n));
        if (a > maxAge) maxAge = a;
      }
    }
    const endAt = Date.now();
    const endSql = new Date(endAt).toISOString().slice(0, 19).replace("T", " ");
    const cpu1 = cpuOf();
    const w1 = await writeCounters(db);
    const q1 = readDns();
    const load = loadAvg();
    const roundSec = await lastRoundSec();
    const peak = statusKb(monitor.pid, "VmHWM");
    const endRss = statusKb(monitor.pid, "VmRSS");
    const elapsed = (endAt - startAt) / 1000;

    monitor.kill("SIGTERM");
    const code = await Promise.race([monitor.exited, Bun.sleep(60_000).then(() => -1)]);
    if (code !== 0) process.stderr.write(`  monitor exited ${code}\n`);
    wpcom.stop(true);
    for (const c of children) c.kill("SIGKILL");

    // Expected vs found checks per site in the window (after the monitor stopped: no load).
    const expected = Math.floor(elapsed / interval);
    const [miss] = await selectRows<{ missing: number | null; found: number | null }>(
      db,
      sql`SELECT SUM(GREATEST(0, ${expected} - COALESCE(h.n, 0))) AS missing, SUM(COALESCE(h.n, 0)) AS found
          FROM jetpack_monitor_sites s LEFT JOIN (
            SELECT blog_id, COUNT(*) AS n FROM jetmon_check_history
            WHERE checked_at >= ${startSql} AND checked_at < ${endSql} GROUP BY blog_id) h ON h.blog_id = s.blog_id
          WHERE s.monitor_active = 1`,
    );
    const missing = Number(miss?.missing ?? 0);
    const total = Number(miss?.found ?? 0);
    process.stderr.write(`  ${notifications} WPCOM notifications\n`);
    if (monitorLog.length)
      process.stderr.write(`  last monitor warnings:\n    ${monitorLog.slice(-5).join("\n    ")}\n`);

    // Lateness: the per-round histograms logged inside the window.
    const merged = new Array<number>(LATE_BOUNDS.length).fill(0);
    for (const l of lateness) {
      if (l.at < startAt || l.at > endAt) continue;
      l.buckets.forEach((c, i) => {
        merged[i] = (merged[i] ?? 0) + c;
      });
    }
    const lateHist: [number, number][] = merged.map((c, i) => [LATE_BOUNDS[i] ?? Number.NaN, c]);
    // Minute by minute too: a start-up transient and a steady tail look alike once merged.
    const perLine = lateness
      .filter((l) => l.at >= startAt && l.at <= endAt)
      .map((l) => {
        const hist: [number, number][] = l.buckets.map((c, i) => [LATE_BOUNDS[i] ?? Number.NaN, c]);
        return `${Math.round((l.at - startAt) / 1000)}s p50 ${percentileOfHistogram(hist, 50)} p99 ${percentileOfHistogram(hist, 99)}`;
      });
    if (perLine.length) process.stderr.write(`  lateness per line (ms): ${perLine.join(", ")}\n`);
    const ageHist = [...ages.entries()].sort((a, b) => a[0] - b[0]);

    return {
      sites: n,
      interval,
      workers,
      windowSec: Math.round(elapsed),
      missedPct: expected > 0 ? (100 * missing) / (expected * n) : Number.NaN,
      ageP50: percentileOfHistogram(ageHist, 50),
      ageP95: percentileOfHistogram(ageHist, 95),
      ageMax: maxAge,
      checksPerSec: Math.round(total / elapsed),
      monitorCpuPct: (100 * (cpu1.mon - cpu0.mon)) / CLK_TCK / elapsed,
      mysqlCpuPct: (100 * (cpu1.db - cpu0.db)) / CLK_TCK / elapsed,
      fixtureCpuPct: (100 * (cpu1.fx - cpu0.fx)) / CLK_TCK / elapsed,
      dnsCpuPct: (100 * (cpu1.dns - cpu0.dns)) / CLK_TCK / elapsed,
      dnsQueriesPerSec: Math.round((q1 - q0) / elapsed),
      monitorPeakRssMb: Math.round(peak / 1024),
      monitorEndRssMb: Math.round(endRss / 1024),
      rssKbPerSite: endRss / n,
      statementsPerSec: (w1.statements - w0.statements) / elapsed,
      rowsPerSec: (w1.rows - w0.rows) / elapsed,
      lateP50Ms: percentileOfHistogram(lateHist, 50),
      lateP99Ms: percentileOfHistogram(lateHist, 99),
      roundSec,
      load,
      dns: useDns,
    };
  } finally {
    for (const c of children) c.kill("SIGKILL");
    await pool.end().catch(() => {});
    await server.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(r: StepResult): string {
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : Number.isNaN(x) ? "n/a" : ">60000");
  return `| ${r.sites.toLocaleString("en-US")} | ${r.interval} s | ${r.windowSec} s | ${r.workers} | ${f(r.missedPct, 2)}% | ${f(r.ageP50, 0)} / ${f(r.ageP95, 0)} / ${f(r.ageMax, 0)} s | ${r.checksPerSec.toLocaleString("en-US")} | ${f(r.lateP50Ms, 0)} / ${f(r.lateP99Ms, 0)} ms | ${Number.isNaN(r.roundSec) ? "none ended" : `${f(r.roundSec, 0)} s`} | ${f(r.rssKbPerSite, 2)} KB (${r.monitorEndRssMb} / ${r.monitorPeakRssMb} MB) | ${f(r.monitorCpuPct, 0)}% | ${f(r.mysqlCpuPct, 0)}% | ${f(r.fixtureCpuPct, 0)}% | ${r.dns ? `${f(r.dnsCpuPct, 0)}%, ${r.dnsQueriesPerSec.toLocaleString("en-US")} q/s` : "off"} | ${f(r.statementsPerSec, 1)} / ${Math.round(r.rowsPerSec).toLocaleString("en-US")} | ${r.load} |`;
}

async function runMain(): Promise<void> {
  const ladder = flag("ladder", flag("sites", "10000"))
    .split(",")
    .map((s) => Number(s.trim()))
    .filter((x) => x > 0);
  const results: StepResult[] = [];
  for (const n of ladder) {
    process.stderr.write(`step: ${n} sites (netns ${process.env[NETNS_ENV]})\n`);
    const r = await runStep(n);
    results.push(r);
    process.stderr.write(`${JSON.stringify(r)}\n`);
  }
  console.log(
    "| sites | interval | window | workers | missed | age p50 / p95 / max | checks/s | lateness p50 / p99 | last round | RSS per site (end / peak) | monitor CPU | MariaDB CPU | fixture CPU | DNS CPU, queries | statements/s / rows/s | load 1/5/15 |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of results) console.log(row(r));
  console.log(`\nmonitor: ${monitorBinary()}; CPU is % of one core over the window.`);
  process.exit(0);
}

// Dispatch last: every module-level constant above is initialised by now.
const role = flag("role", "main");
if (role === "fixture") await runFixture();
else if (role === "dns") await runDns();
else if (!process.env[NETNS_ENV] && flag("netns", "on") !== "off") process.exit(await runInNetns());
else await runMain();

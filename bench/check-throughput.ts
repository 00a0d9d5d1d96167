/**
 * Check throughput: the check pool (checkSite + CheckPool) next to a bare fetch loop, same
 * concurrency, same fixture sites, one run.
 *
 *   bun bench/check-throughput.ts [--n=20000] [--c=500] [--addresses=20] [--segment=2000] [--warmup=2000]
 *                                 [--tls] [--modes=pool,pool-nocert]
 *
 * --tls serves every site over HTTPS (one origin, the test CA), so the TLS cache hits on every
 * check but the first; mode pool-nocert is the pool with the certificate hook off (the cache
 * alone answers), which prices reading the certificate from each check's own handshake.
 *
 * The site fixture (N sites over `addresses` loopback addresses) runs in its own process. Modes:
 *   bare-close    fetch(url) + read the body, keepalive:false + Connection: close: a new
 *                 connection per request, as every check makes
 *   pool          CheckPool(size C) running checkSite: the production setting (new connection
 *                 per check, manual redirects, deadline, UA, headers, status rules)
 *   bare          fetch(url) + read the body with keep-alive (Bun's default)
 *   pool-ka       the pool with reuseConnections: pool overhead without connection cost
 *
 * Phase 1, throughput: one client process runs all modes, N checks each, C at a time, in
 * interleaved segments (`segment` checks of each mode in turn), so background load on a shared
 * machine hits every mode alike. Per mode: checks/s over its segments, p50/p95 latency of each
 * request/check as the loop around it saw it, and CPU seconds (process.cpuUsage around its
 * segments). Phase 2, memory: each mode runs N checks alone in a fresh process; its peak RSS.
 * Every client has BUN_CONFIG_MAX_HTTP_REQUESTS above C. Before each phase-2 run the bench
 * waits (up to 70 s) for TIME_WAIT sockets to expire: tens of thousands of them slow every
 * new connection (Linux).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { CheckPool } from "../src/check/pool.ts";
import { silentLogger } from "../src/log.ts";
import { startSiteFixture } from "../test/support/sites.ts";

const ALL_MODES = ["bare-close", "pool", "bare", "pool-ka", "pool-nocert"] as const;
const MODES = ALL_MODES.filter((m) => m !== "pool-nocert");
type Mode = (typeof ALL_MODES)[number];
const TLS = process.argv.includes("--tls");
const CA = TLS ? readFileSync(join(import.meta.dir, "../test/support/certs/ca.pem"), "utf8") : undefined;

interface ModeFigures {
  mode: Mode;
  checks: number;
  seconds: number;
  cpuSeconds: number;
  p50: number;
  p95: number;
  failures: number;
  peakRssMb: number;
}

function flag(name: string, fallback: string): string {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}

const role = flag("role", "main");
if (role === "fixture") await runFixture();
else if (role === "client") await runClient();
else await runMain();

/** Serves `sites` fixture sites and writes their URLs to `--out`; runs until killed. */
async function runFixture(): Promise<void> {
  const sites = Number(flag("sites", "20000"));
  const fixture = await startSiteFixture({ addresses: Number(flag("addresses", "20")) });
  const urls: string[] = [];
  for (let i = 0; i < sites; i++) {
    fixture.set(
      `s${i}`,
      { kind: "ok", body: "<html><body>jetpack site</body></html>" },
      TLS ? { tls: "valid" } : {},
    );
    urls.push(fixture.url(`s${i}`));
  }
  writeFileSync(flag("out", ""), urls.join("\n"));
  process.stdout.write("ready\n");
  await new Promise(() => {});
}

/** Runs `--modes` (comma list) for N checks each, interleaved by segment; prints JSON lines. */
async function runClient(): Promise<void> {
  const modes = flag("modes", MODES.join(",")).split(",") as Mode[];
  const c = Number(flag("c", "500"));
  const n = Number(flag("n", "20000"));
  const segment = Number(flag("segment", "2000"));
  const warmup = Number(flag("warmup", "2000"));
  const urls = readFileSync(flag("urls", ""), "utf8").split("\n");
  const pools = {
    pool: new CheckPool({ size: c, queueLimit: c, logger: silentLogger, checkOptions: { ca: CA } }),
    "pool-ka": new CheckPool({
      size: c,
      queueLimit: c,
      logger: silentLogger,
      checkOptions: { reuseConnections: true, ca: CA },
    }),
    "pool-nocert": new CheckPool({
      size: c,
      queueLimit: c,
      logger: silentLogger,
      checkOptions: { peerCertificate: false, ca: CA },
    }),
  };

  const one = async (mode: Mode, i: number): Promise<boolean> => {
    const url = urls[i % urls.length]!;
    if (mode === "pool" || mode === "pool-ka" || mode === "pool-nocert") {
      const r = await pools[mode].submit({ blogId: i, url, timeoutSeconds: 10, redirectPolicy: "follow" });
      return r?.success === true;
    }
    const init: RequestInit & { tls?: { ca: string } } =
      mode === "bare-close" ? { keepalive: false, headers: { connection: "close" } } : {};
    if (CA) init.tls = { ca: CA };
    try {
      const res = await fetch(url, init);
      await res.arrayBuffer();
      return res.ok;
    } catch {
      return false;
    }
  };

  /** `count` checks of one mode, C at a time. */
  const run = async (mode: Mode, count: number, offset: number, latencies: number[] | null) => {
    let next = 0;
    let failures = 0;
    const worker = async () => {
      while (next < count) {
        const i = offset + next++;
        const t0 = performance.now();
        if (!(await one(mode, i))) failures++;
        latencies?.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: c }, worker));
    return failures;
  };

  for (const mode of modes) await run(mode, warmup, n, null);
  Bun.gc(true);
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 20);
  const figures = new Map<Mode, { latencies: number[]; seconds: number; cpu: number; failures: number }>();
  for (const mode of modes) figures.set(mode, { latencies: [], seconds: 0, cpu: 0, failures: 0 });
  for (let done = 0; done < n; done += segment) {
    const count = Math.min(segment, n - done);
    for (const mode of modes) {
      const f = figures.get(mode)!;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      f.failures += await run(mode, count, done, f.latencies);
      f.seconds += (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      f.cpu += (cpu.user + cpu.system) / 1e6;
    }
  }
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  for (const mode of modes) {
    const f = figures.get(mode)!;
    f.latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      f.latencies[Math.min(f.latencies.length - 1, Math.floor(f.latencies.length * p))] ?? 0;
    const out: ModeFigures = {
      mode,
      checks: n,
      seconds: f.seconds,
      cpuSeconds: f.cpu,
      p50: pct(0.5),
      p95: pct(0.95),
      failures: f.failures,
      peakRssMb: peakRss / 1e6,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  }
  process.exit(0);
}

async function runMain(): Promise<void> {
  const n = Number(flag("n", "20000"));
  const c = Number(flag("c", "500"));
  const addresses = Number(flag("addresses", "20"));
  const segment = Number(flag("segment", "2000"));
  const warmup = Number(flag("warmup", "2000"));
  const self = import.meta.path;
  const dir = mkdtempSync(join(tmpdir(), "check-throughput-"));
  const urlsFile = join(dir, "urls.txt");

  const fixture = Bun.spawn(
    [
      process.execPath,
      self,
      "--role=fixture",
      `--sites=${n}`,
      `--addresses=${addresses}`,
      `--out=${urlsFile}`,
      ...(TLS ? ["--tls"] : []),
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  const reader = (fixture.stdout as ReadableStream<Uint8Array>).getReader();
  const first = await reader.read();
  if (!new TextDecoder().decode(first.value).startsWith("ready")) throw new Error("fixture did not start");

  const env = { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: String(Math.max(256, c + 64)) };
  const client = async (modes: readonly Mode[]): Promise<ModeFigures[]> => {
    const child = Bun.spawn(
      [
        process.execPath,
        self,
        "--role=client",
        `--modes=${modes.join(",")}`,
        `--n=${n}`,
        `--c=${c}`,
        `--segment=${segment}`,
        `--warmup=${warmup}`,
        `--urls=${urlsFile}`,
        ...(TLS ? ["--tls"] : []),
      ],
      { env, stdout: "pipe", stderr: "inherit" },
    );
    const out = await new Response(child.stdout).text();
    if ((await child.exited) !== 0) throw new Error(`client ${modes.join(",")} failed`);
    return out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as ModeFigures);
  };

  const load0 = loadavg()[0];
  await settleTimeWait(2_000);
  const modes = flag("modes", MODES.join(",")).split(",") as Mode[];
  const interleaved = await client(modes);
  const rss = new Map<Mode, number>();
  for (const mode of modes) {
    await settleTimeWait(2_000);
    const [alone] = await client([mode]);
    rss.set(mode, alone!.peakRssMb);
  }
  fixture.kill();
  await fixture.exited;
  rmSync(dir, { recursive: true, force: true });

  const by = new Map(interleaved.map((f) => [f.mode, f]));
  const perSecond = (m: Mode) => by.get(m)!.checks / by.get(m)!.seconds;
  console.log(
    `N=${n} C=${c} addresses=${addresses} segment=${segment}${TLS ? " tls" : ""} (Bun ${Bun.version}, ` +
      `${navigator.hardwareConcurrency} cores, load average ${load0?.toFixed(2)} before / ${loadavg()[0]?.toFixed(2)} after)`,
  );
  console.log("mode        checks/s   p50 ms  p95 ms  CPU s  CPU/check µs  peak RSS MB (alone)  failures");
  for (const mode of modes) {
    const f = by.get(mode)!;
    console.log(
      [
        mode.padEnd(10),
        perSecond(mode).toFixed(0).padStart(9),
        f.p50.toFixed(1).padStart(8),
        f.p95.toFixed(1).padStart(7),
        f.cpuSeconds.toFixed(2).padStart(6),
        ((f.cpuSeconds / f.checks) * 1e6).toFixed(0).padStart(13),
        (rss.get(mode) ?? 0).toFixed(0).padStart(20),
        String(f.failures).padStart(9),
      ].join(" "),
    );
  }
  if (modes.includes("pool-nocert") && modes.includes("pool")) {
    const cpu = (m: Mode) => (by.get(m)!.cpuSeconds / by.get(m)!.checks) * 1e6;
    console.log(
      `\ncertificate hook: pool / pool-nocert checks/s ${(perSecond("pool") / perSecond("pool-nocert")).toFixed(2)}, ` +
        `CPU/check ${(cpu("pool") - cpu("pool-nocert")).toFixed(0)} µs more`,
    );
  }
  if (!MODES.every((m) => modes.includes(m))) return;
  const ratio = (a: Mode, b: Mode) => (perSecond(a) / perSecond(b)).toFixed(2);
  console.log(
    `\npool / bare-close checks/s: ${ratio("pool", "bare-close")}   pool-ka / bare: ${ratio("pool-ka", "bare")}` +
      `   pool / bare: ${ratio("pool", "bare")}`,
  );
  const added = (p: "p50" | "p95") => (by.get("pool")![p] - by.get("bare-close")![p]).toFixed(1);
  console.log(`added latency (pool - bare-close): p50 ${added("p50")} ms, p95 ${added("p95")} ms`);
}

/** Waits (up to 70 s) until fewer than `max` sockets are in TIME_WAIT; Linux only. */
async function settleTimeWait(max: number): Promise<void> {
  const deadline = Date.now() + 70_000;
  while (Date.now() < deadline) {
    let tw = 0;
    try {
      tw = Number(/TCP:.* tw (\d+)/.exec(readFileSync("/proc/net/sockstat", "utf8"))?.[1] ?? 0);
    } catch {
      return;
    }
    if (tw < max) return;
    await Bun.sleep(1000);
  }
}

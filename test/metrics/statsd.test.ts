import { afterAll, beforeAll, expect, test } from "bun:test";
import { createSocket, type Socket } from "node:dgram";
import dns from "node:dns";
import pino from "pino";
import { silentLogger } from "../../src/log.ts";
import { DetectionMetric, RoundMetric, VerifierMetric } from "../../src/metrics/names.ts";
import { createStatsdMetrics, noopMetrics, parseStatsdAddr } from "../../src/metrics/statsd.ts";
import { runToEnd } from "../support/spawn.ts";

/** A real StatsD stand-in: a UDP socket on 127.0.0.1 collecting datagrams. */
let sock: Socket;
let port: number;
const lines: string[] = [];
const waiters: (() => void)[] = [];

beforeAll(async () => {
  sock = createSocket("udp4");
  sock.on("message", (msg) => {
    for (const l of msg.toString().split("\n")) if (l) lines.push(l);
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
  port = sock.address().port;
});
afterAll(() => sock.close());

async function receive(n: number): Promise<string[]> {
  while (lines.length < n) {
    await new Promise<void>((r) => {
      waiters.push(r);
      setTimeout(r, 2000);
    });
  }
  return lines.splice(0);
}

test("counters, gauges and timers arrive as exact StatsD lines with the host prefix", async () => {
  const m = createStatsdMetrics({
    addr: `127.0.0.1:${port}`,
    hostname: "my-host.example",
    log: silentLogger,
  });
  m.increment(DetectionMetric.failure("Server"));
  m.increment(RoundMetric.sitesCount, 42);
  m.gauge(RoundMetric.sitesPerSec, 7.9);
  m.timing(RoundMetric.completeTime, 1500.6);
  m.timing(VerifierMetric.hostRpcDuration("v1:7803"), 12);
  const got = await receive(5);
  await m.close();
  expect(got.sort()).toEqual(
    [
      "com.jetpack.jetmon.my_host_example.detection.failure.server.count:1|c",
      "com.jetpack.jetmon.my_host_example.round.sites.count:42|c",
      "com.jetpack.jetmon.my_host_example.round.sps.count:7|g",
      "com.jetpack.jetmon.my_host_example.round.complete.time:1500|ms",
      "com.jetpack.jetmon.my_host_example.verifier.host.v1_7803.rpc.duration:12|ms",
    ].sort(),
  );
});

test("negative and unset-time timings are dropped; memory sends two process gauges", async () => {
  const m = createStatsdMetrics({ addr: `127.0.0.1:${port}`, hostname: "h", log: silentLogger });
  m.timing(DetectionMetric.seemsDownToDown, -5);
  m.timingSince(DetectionMetric.seemsDownToDown, 0, 1000);
  m.timingSince(DetectionMetric.seemsDownToDown, 1000, 0);
  m.timingSince(DetectionMetric.seemsDownToDown, 2000, 1000);
  m.timingSince(DetectionMetric.seemsDownToDown, 1000, 3500);
  m.emitMemory();
  const got = await receive(3);
  await m.close();
  expect(got[0]).toBe("com.jetpack.jetmon.h.detection.seems_down_to_down.time:2500|ms");
  expect(got.slice(1).map((l) => l.replace(/:\d+\|g$/, ":N|g"))).toEqual([
    "com.jetpack.jetmon.h.process.rss_mb:N|g",
    "com.jetpack.jetmon.h.process.heap_alloc_mb:N|g",
  ]);
  const rss = Number(/:(\d+)\|g$/.exec(got[1]!)![1]);
  expect(rss).toBeGreaterThan(0);
});

test("an unreachable or unresolvable StatsD never throws, and the error is logged once", async () => {
  const logged: { msg: string }[] = [];
  const log = pino({ level: "info" }, { write: (s: string) => logged.push(JSON.parse(s)) });
  const free = createSocket("udp4");
  await new Promise<void>((r) => free.bind(0, "127.0.0.1", r));
  const deadPort = free.address().port;
  free.close();
  for (const addr of [`127.0.0.1:${deadPort}`, "statsd.invalid:8125"]) {
    const m = createStatsdMetrics({ addr, hostname: "h", log, now: () => 0 });
    for (let i = 0; i < 50; i++) {
      expect(() => m.increment(RoundMetric.sitesCount)).not.toThrow();
      await Bun.sleep(1);
    }
    await m.close();
  }
  // At most one warning per client per minute, whatever the number of failed sends.
  expect(logged.filter((l) => l.msg === "statsd send failed").length).toBeLessThanOrEqual(2);
  expect(logged.filter((l) => l.msg === "statsd send failed").length).toBeGreaterThanOrEqual(1);
});

test("an unresolvable StatsD name is looked up once per retry period, not once per metric", async () => {
  const realLookup = dns.lookup;
  let lookups = 0;
  // hot-shots resolves through node:dns; answer NOTFOUND at once, as a resolver would.
  (dns as { lookup: unknown }).lookup = (_host: string, ...rest: unknown[]) => {
    lookups++;
    const cb = rest[rest.length - 1] as (err: NodeJS.ErrnoException) => void;
    const err: NodeJS.ErrnoException = new Error("getaddrinfo ENOTFOUND statsd.invalid");
    err.code = "ENOTFOUND";
    queueMicrotask(() => cb(err));
  };
  try {
    let t = 1_000_000;
    const m = createStatsdMetrics({
      addr: "statsd.invalid:8125",
      hostname: "h",
      log: silentLogger,
      now: () => t,
    });
    m.increment(RoundMetric.sitesCount);
    await Bun.sleep(5);
    expect(lookups).toBe(1);
    for (let i = 0; i < 500; i++) m.increment(RoundMetric.sitesCount);
    await Bun.sleep(5);
    expect(lookups).toBe(1);
    // Past the retry period one metric probes again; the rest still wait.
    t += 10_001;
    for (let i = 0; i < 500; i++) m.increment(RoundMetric.sitesCount);
    await Bun.sleep(5);
    expect(lookups).toBe(2);
    await m.close();
  } finally {
    (dns as { lookup: unknown }).lookup = realLookup;
  }
});

test("metrics after close do not throw", async () => {
  const m = createStatsdMetrics({ addr: `127.0.0.1:${port}`, hostname: "h", log: silentLogger });
  await m.close();
  expect(() => m.increment(RoundMetric.sitesCount)).not.toThrow();
});

test.each([
  [undefined, { host: "127.0.0.1", port: 8125 }],
  ["", { host: "127.0.0.1", port: 8125 }],
  ["statsd:8125", { host: "statsd", port: 8125 }],
  ["10.0.0.5:9125", { host: "10.0.0.5", port: 9125 }],
  ["[::1]:8125", { host: "::1", port: 8125 }],
])("parseStatsdAddr(%p)", (addr, want) => {
  expect(parseStatsdAddr(addr)).toEqual(want);
});

test.each(["statsd", "statsd:", ":8125", "statsd:0", "statsd:70000", "a:b:8125"])(
  "parseStatsdAddr(%p) names the value",
  (addr) => {
    expect(() => parseStatsdAddr(addr)).toThrow(
      `STATSD_ADDR: expected host:port with a port from 1 to 65535, got "${addr}"`,
    );
  },
);

test("noopMetrics does nothing", async () => {
  noopMetrics.increment(RoundMetric.sitesCount);
  await noopMetrics.close();
});

test("closing a client whose StatsD is unreachable prints only pino JSON lines, never hot-shots' raw text", async () => {
  // A child process, so anything hot-shots writes with console.error lands on a real stderr.
  // 50 sends to an unresolvable name leave lookups in flight at close, the case in which
  // hot-shots' own close printed "could not clear out messages in flight" unconditionally.
  const statsd = `${import.meta.dir}/../../src/metrics/statsd.ts`;
  const names = `${import.meta.dir}/../../src/metrics/names.ts`;
  const script = `
    import { createSocket } from "node:dgram";
import dns from "node:dns";
    import pino from "pino";
    import { createStatsdMetrics } from ${JSON.stringify(statsd)};
    import { RoundMetric } from ${JSON.stringify(names)};
    const free = createSocket("udp4");
    await new Promise((r) => free.bind(0, "127.0.0.1", r));
    const deadPort = free.address().port;
    free.close();
    const log = pino(pino.destination(2));
    for (const addr of ["127.0.0.1:" + deadPort, "statsd.invalid:8125", "statsd.invalid:8125"]) {
      const m = createStatsdMetrics({ addr, hostname: "h", log });
      for (let i = 0; i < 50; i++) {
        m.increment(RoundMetric.sitesCount);
        await Bun.sleep(1);
      }
      await m.close();
    }
    process.exit(0); // a DNS lookup still pending would hold the process open for seconds
  `;
  const { out, err, code } = await runToEnd([process.execPath, "-e", script], {
    cwd: `${import.meta.dir}/../..`,
  });
  expect(code).toBe(0);
  expect(out).toBe("");
  const lines = err.split("\n").filter((l) => l !== "");
  const notJson = lines.filter((l) => {
    try {
      return typeof JSON.parse(l).msg !== "string";
    } catch {
      return true;
    }
  });
  expect(notJson).toEqual([]);
  const msgs = new Set(lines.map((l) => JSON.parse(l).msg));
  expect(msgs.has("statsd send failed")).toBe(true);
  for (const msg of msgs) expect(["statsd send failed", "statsd closed with metrics unsent"]).toContain(msg);
});

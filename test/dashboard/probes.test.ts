import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { diskStatus, type FsStats, type ProbeDeps, probeDependencies } from "../../src/dashboard/probes.ts";
import { createDb } from "../../src/db/client.ts";
import { createPool } from "../../src/db/pool.ts";
import { useTestDatabase } from "../support/db.ts";

const t = useTestDatabase({ migrate: false });
const NOW = Date.parse("2026-04-30T10:01:00Z");
const plenty = async (): Promise<FsStats> => ({ blocks: 1000, bavail: 500, bsize: 4096 });

let dir: string;
let veriflier: ReturnType<typeof Bun.serve>;
let silent: Bun.TCPSocketListener;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "jetmon-probes-"));
  mkdirSync(join(dir, "logs"));
  mkdirSync(join(dir, "stats"));
  writeFileSync(join(dir, "plain-file"), "x");
  veriflier = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) =>
      new URL(req.url).pathname === "/status"
        ? Response.json({ status: "OK", version: "1.0" })
        : new Response("not found", { status: 404 }),
  });
  // Accepts connections and never answers: for timeouts.
  silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
});

afterAll(() => {
  veriflier?.stop(true);
  silent?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

function deps(over: Partial<ProbeDeps> = {}): ProbeDeps {
  return {
    db: t.db,
    wpcom: () => ({ circuit_open: false, queue_depth: 0 }),
    statsd: () => ({}),
    dirs: { logs: join(dir, "logs"), stats: join(dir, "stats") },
    verifliers: [],
    now: () => NOW,
    statfs: plenty,
    timeoutMs: 1000,
    ...over,
  };
}

async function byName(d: ProbeDeps) {
  return Object.fromEntries((await probeDependencies(d)).map((e) => [e.name, e]));
}

describe("probeDependencies", () => {
  test("core set, fixed order (TestDashboardHealthEntriesReportsCoreDependencies)", async () => {
    const got = await probeDependencies(deps({ wpcom: null, statsd: null }));
    expect(got.map((e) => [e.name, e.status])).toEqual([
      ["mysql", "green"],
      ["wpcom", "red"],
      ["statsd", "disabled"],
      ["disk:logs", "green"],
      ["disk:stats", "green"],
      ["verifliers", "disabled"],
    ]);
    expect(got.every((e) => e.checked_at === "2026-04-30T10:01:00Z")).toBe(true);
    expect(got[1]?.last_error).toBe("wpcom client is not initialized");
    // Turned off by config (STATSD_ADDR "", VERIFIERS []): disabled, which counts neither amber nor red.
    expect(got[2]?.last_error).toBe('STATSD_ADDR is "" (StatsD off)');
    expect(got[5]?.last_error).toBe("VERIFIERS is empty (local checks only)");
  });

  test("real statfs on the temp directory gives a status and no error text when green", async () => {
    const got = await byName(deps({ statfs: undefined }));
    expect(["green", "amber", "red"]).toContain(got["disk:logs"]?.status ?? "no disk:logs entry");
    if (got["disk:logs"]?.status === "green") expect(got["disk:logs"]?.last_error).toBeUndefined();
  });

  test("no temp files are left behind", async () => {
    await probeDependencies(deps());
    const { readdirSync } = await import("node:fs");
    expect(readdirSync(join(dir, "logs"))).toEqual([]);
  });

  describe("mysql", () => {
    test("nil pool", async () => {
      expect((await byName(deps({ db: null }))).mysql).toMatchObject({
        status: "red",
        last_error: "database pool is not initialized",
      });
    });
    test("a database that never answers times out", async () => {
      const mute = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
      const pool = createPool({ ...t.settings, host: "127.0.0.1", port: mute.port });
      try {
        const m = (await byName(deps({ db: createDb(pool), timeoutMs: 150 }))).mysql;
        expect(m).toMatchObject({ status: "red", last_error: "timed out after 150ms" });
      } finally {
        // Close the listener first: the pool waits for its pending handshake to end.
        mute.stop(true);
        await pool.end().catch(() => {});
      }
    });
    test("a server that answers reads but refuses writes is red with the server's message", async () => {
      const m = (
        await byName(
          deps({
            writeProblem: () =>
              "The MariaDB server is running with the --read-only option so it cannot execute this statement",
          }),
        )
      ).mysql;
      expect(m).toMatchObject({
        status: "red",
        last_error:
          "writes refused: The MariaDB server is running with the --read-only option so it cannot execute this statement",
      });
      expect((await byName(deps({ writeProblem: () => null }))).mysql?.status).toBe("green");
    });
    test("a failed query shows the server's own message, not `Failed query: ...`", async () => {
      const pool = createPool({ ...t.settings, database: "jetmon_probe_gone_15" });
      try {
        const m = (await byName(deps({ db: createDb(pool) }))).mysql;
        expect(m?.status).toBe("red");
        expect(m?.last_error).toBe("Unknown database 'jetmon_probe_gone_15'");
      } finally {
        await pool.end().catch(() => {});
      }
    });
    test("a refused connection is red with the error", async () => {
      const pool = createPool({ ...t.settings, host: "127.0.0.1", port: 1 });
      try {
        const m = (await byName(deps({ db: createDb(pool) }))).mysql;
        expect(m?.status).toBe("red");
        expect(m?.last_error).toBeTruthy();
      } finally {
        await pool.end().catch(() => {});
      }
    });
  });

  describe("wpcom", () => {
    test.each([
      [{ circuit_open: true, queue_depth: 3 }, "red", "circuit open, queued notifications=3"],
      [{ circuit_open: false, queue_depth: 2 }, "amber", "queued notifications=2"],
      [{ circuit_open: false, queue_depth: 0 }, "green", undefined],
    ])("%j -> %p", async (w, status, err) => {
      const e = (await byName(deps({ wpcom: () => w }))).wpcom;
      expect(e?.status).toBe(status);
      expect(e?.last_error).toBe(err as string);
    });
    test("a failing getter is red", async () => {
      const e = (
        await byName(
          deps({
            wpcom: () => {
              throw new Error("client gone");
            },
          }),
        )
      ).wpcom;
      expect(e).toMatchObject({ status: "red", last_error: "client gone" });
    });
  });

  describe("statsd", () => {
    test("a reported send error is amber", async () => {
      const e = (await byName(deps({ statsd: () => ({ last_error: "EHOSTUNREACH" }) }))).statsd;
      expect(e).toMatchObject({ status: "amber", last_error: "EHOSTUNREACH" });
    });
    test("ready is green", async () => {
      expect((await byName(deps())).statsd).toEqual({
        name: "statsd",
        status: "green",
        checked_at: "2026-04-30T10:01:00Z",
      });
    });
  });

  describe("disk", () => {
    test("a missing directory that can be made is created and green (unlike Go's red)", async () => {
      const fresh = join(dir, "nope", "logs");
      const e = (await byName(deps({ dirs: { logs: fresh, stats: join(dir, "stats") } })))["disk:logs"];
      expect(e?.status).toBe("green");
      expect(statSync(fresh).isDirectory()).toBe(true);
    });
    test("a directory that cannot be made is red with the path and the fix", async () => {
      const file = join(dir, "plain-file");
      const under = join(file, "logs");
      const e = (await byName(deps({ dirs: { logs: under, stats: join(dir, "stats") } })))["disk:logs"];
      expect(e).toMatchObject({
        status: "red",
        last_error: `cannot create ${under}: ${file} is not a directory: create it writable for the jetmon2 user or set LOG_DIR`,
      });
    });
    test("a file is not a directory", async () => {
      const file = join(dir, "plain-file");
      const e = (await byName(deps({ dirs: { logs: join(dir, "logs"), stats: file } })))["disk:stats"];
      expect(e).toMatchObject({
        status: "red",
        last_error: `${file} is not a directory: remove the file or set STATS_DIR to a directory`,
      });
    });
    test('"" is disabled', async () => {
      const e = (await byName(deps({ dirs: { logs: "", stats: join(dir, "stats") } })))["disk:logs"];
      expect(e).toMatchObject({ status: "disabled", last_error: 'LOG_DIR is "" (not watched)' });
    });
    test.each([
      [60, "amber", "free space 6.0% (0.0 GiB of 0.0 GiB)"],
      [10, "red", "free space 1.0% (0.0 GiB of 0.0 GiB)"],
    ])("%p of 1000 blocks free -> %p", async (bavail, status, detail) => {
      const e = (await byName(deps({ statfs: async () => ({ blocks: 1000, bavail, bsize: 4096 }) })))[
        "disk:logs"
      ];
      expect(e?.status).toBe(status);
      expect(e?.last_error).toBe(`${join(dir, "logs")} ${detail}`);
    });
    test("a statfs failure is red", async () => {
      const e = (
        await byName(
          deps({
            statfs: async () => {
              throw new Error("EIO: statfs failed");
            },
          }),
        )
      )["disk:stats"];
      expect(e).toMatchObject({ status: "red", last_error: "EIO: statfs failed" });
    });
  });

  describe("verifliers", () => {
    test("reachable: green with version in the name and a latency", async () => {
      const got = await probeDependencies(
        deps({ verifliers: [{ name: "iad", host: "127.0.0.1", port: veriflier.port }] }),
      );
      const v = got[5];
      expect(v?.name).toBe("veriflier:iad (1.0)");
      expect(v?.status).toBe("green");
      expect(v?.last_error).toBeUndefined();
    });

    test("one entry per veriflier, in config order, with each failure kind", async () => {
      const refused = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
      const refusedPort = refused.port;
      refused.stop(true);
      const broken = Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        fetch: () => new Response("down", { status: 503 }),
      });
      const plain = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("not json") });
      try {
        const got = await probeDependencies(
          deps({
            timeoutMs: 200,
            verifliers: [
              { name: "ok", host: "127.0.0.1", port: String(veriflier.port) },
              { name: "", host: "127.0.0.1", port: broken.port },
              { name: "hang", host: "127.0.0.1", port: silent.port },
              { name: "gone", host: "127.0.0.1", port: refusedPort },
              { name: "half", host: "127.0.0.1" },
              { name: "", host: "", port: 7803 },
              { name: "plain", host: "127.0.0.1", port: plain.port },
            ],
          }),
        );
        const v = got.slice(5);
        expect(v.map((e) => [e.name, e.status])).toEqual([
          ["veriflier:ok (1.0)", "green"],
          [`veriflier:127.0.0.1:${broken.port}`, "red"],
          ["veriflier:hang", "red"],
          ["veriflier:gone", "red"],
          ["veriflier:half", "red"],
          ["veriflier::7803", "red"],
          ["veriflier:plain", "green"],
        ]);
        expect(v[1]?.last_error).toBe("veriflier status returned 503");
        expect(v[2]?.last_error).toBe("timed out after 200ms");
        expect(v[3]?.last_error).toBeTruthy();
        expect(v[4]?.last_error).toBe("host or port is not configured");
        expect(v[5]?.last_error).toBe("host or port is not configured");
      } finally {
        broken.stop(true);
        plain.stop(true);
      }
    });
  });
});

describe("diskStatus thresholds", () => {
  test.each([
    [50, 100, "green"],
    [10, 100, "green"],
    [9.99, 100, "amber"],
    [2, 100, "amber"],
    [1.99, 100, "red"],
    [0, 100, "red"],
    [0, 0, "red"],
  ])("%p free of %p -> %p", (free, total, want) => expect(diskStatus(free, total) as string).toBe(want));
});

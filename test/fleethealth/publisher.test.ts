import { describe, expect, test } from "bun:test";
import mysql from "mysql2/promise";
import pino from "pino";
import { type BuildPhase, boundedWrite, LifecyclePublisher } from "../../src/fleethealth/publisher.ts";
import type { SnapshotInput } from "../../src/fleethealth/snapshot.ts";
import { upsertSnapshot } from "../../src/fleethealth/store.ts";
import { silentLogger } from "../../src/log.ts";
import { useTestDatabase } from "../support/db.ts";

const t = useTestDatabase();

interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

function captureLogger() {
  const lines: LogLine[] = [];
  const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  const logger = pino(
    { level: "debug" },
    {
      write(s: string) {
        const line = JSON.parse(s) as LogLine;
        lines.push(line);
        for (const w of [...waiters]) {
          if (w.match(line)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      },
    },
  );
  const waitFor = (match: (l: LogLine) => boolean) =>
    new Promise<LogLine>((resolve) => {
      const hit = lines.find(match);
      if (hit) resolve(hit);
      else waiters.push({ match, resolve });
    });
  return { logger, lines, waitFor };
}

async function row(id: string) {
  const [rows] = await t.pool.query(
    "SELECT state, health_status, worker_count, updated_at FROM jetmon_process_health WHERE process_id = ?",
    [id],
  );
  return (rows as { state: string; health_status: string; worker_count: number; updated_at: Date }[])[0];
}

async function until(cond: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await Bun.sleep(10);
  }
  throw new Error(`gave up waiting for ${what}`);
}

function builder(host: string, extra: Partial<SnapshotInput> = {}) {
  const phases: BuildPhase[] = [];
  let n = 0;
  const build = (phase: BuildPhase): SnapshotInput => {
    phases.push(phase);
    n++;
    return { host_id: host, process_type: "monitor", worker_count: n, health_status: "green", ...extra };
  };
  return { build, phases };
}

/** A second connection that holds the row lock, so the publisher's next write waits on it. */
async function lockRow(id: string) {
  const conn = await mysql.createConnection({ ...t.settings });
  await conn.query("SET SESSION innodb_lock_wait_timeout = 30");
  await conn.beginTransaction();
  await conn.query("SELECT * FROM jetmon_process_health WHERE process_id = ? FOR UPDATE", [id]);
  return {
    release: async () => {
      await conn.commit();
      await conn.end();
    },
  };
}

async function writesInFlight(): Promise<number> {
  // Statements of this database (the server is shared) writing the table: with the row
  // locked by the test, such a statement is waiting on the lock.
  const [rows] = await t.pool.query(
    `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
      WHERE DB = DATABASE() AND (INFO LIKE 'insert into %jetmon_process_health%' OR INFO LIKE 'update %jetmon_process_health%')`,
  );
  return Number((rows as { n: number }[])[0]?.n);
}

describe("LifecyclePublisher construction", () => {
  test.each([0, -5, Number.NaN])("interval %p is refused", (intervalMs) => {
    expect(
      () => new LifecyclePublisher({ db: t.db, intervalMs, build: builder("x").build, log: silentLogger }),
    ).toThrow(`STATS_UPDATE_INTERVAL_MS must be > 0, got ${intervalMs}`);
  });

  test("a non-positive write timeout is refused", () => {
    expect(
      () =>
        new LifecyclePublisher({
          db: t.db,
          intervalMs: 10,
          writeTimeoutMs: 0,
          build: builder("x").build,
          log: silentLogger,
        }),
    ).toThrow("process health write timeout must be > 0 ms, got 0");
  });
});

describe("LifecyclePublisher heartbeats and shutdown", () => {
  test("beats at once and every interval with fresh figures; shutdown writes stopping then stopped", async () => {
    const { build, phases } = builder("beat-host");
    const p = new LifecyclePublisher({ db: t.db, intervalMs: 20, build, log: silentLogger });
    p.start();
    await until(async () => ((await row("beat-host:monitor"))?.worker_count ?? 0) >= 3, "three beats");
    expect((await row("beat-host:monitor"))?.state).toBe("running");
    expect((await row("beat-host:monitor"))?.health_status).toBe("green");

    let seenBetween: string | undefined;
    await p.shutdown({
      beforeStopped: async () => {
        const r = await row("beat-host:monitor");
        seenBetween = `${r?.state}/${r?.health_status}`;
      },
    });
    expect(seenBetween).toBe("stopping/amber");
    const final = await row("beat-host:monitor");
    expect(final?.state).toBe("stopped");
    expect(final?.health_status).toBe("amber");
    expect(phases.at(-1)).toBe("stopping");
    expect(phases.slice(0, -1).every((ph) => ph === "heartbeat")).toBe(true);

    // Nothing is written after shutdown: no timer, and explicit beats are refused.
    const beats = phases.length;
    expect(await p.publishNow()).toBe(false);
    await Bun.sleep(60);
    expect(phases.length).toBe(beats);
    expect((await row("beat-host:monitor"))?.state).toBe("stopped");
    // Shutdown is idempotent.
    await p.shutdown();
    expect((await row("beat-host:monitor"))?.state).toBe("stopped");
  });

  test("a deliverer's idle state is kept on heartbeats", async () => {
    const { build } = builder("idle-host", { process_type: "deliverer", state: "idle" });
    const p = new LifecyclePublisher({ db: t.db, intervalMs: 10_000, build, log: silentLogger });
    expect(await p.publishNow()).toBe(true);
    expect((await row("idle-host:deliverer"))?.state).toBe("idle");
    await p.shutdown();
    expect((await row("idle-host:deliverer"))?.state).toBe("stopped");
  });

  test("a heartbeat held by a row lock when shutdown begins lands before stopping", async () => {
    const cap = captureLogger();
    const { build } = builder("slow-host");
    const p = new LifecyclePublisher({
      db: t.db,
      intervalMs: 60_000,
      writeTimeoutMs: 10_000,
      build,
      log: cap.logger,
    });
    expect(await p.publishNow()).toBe(true);
    const lock = await lockRow("slow-host:monitor");
    const beat = p.publishNow();
    await until(async () => (await writesInFlight()) === 1, "the heartbeat to wait on the lock");

    let seenBetween: string | undefined;
    const done = p.shutdown({
      beforeStopped: async () => {
        seenBetween = (await row("slow-host:monitor"))?.state;
      },
    });
    // Shutdown cannot overtake the held heartbeat.
    await Bun.sleep(50);
    expect(seenBetween).toBeUndefined();
    await lock.release();
    expect(await beat).toBe(true);
    await done;
    expect(seenBetween).toBe("stopping");
    const final = await row("slow-host:monitor");
    expect(final?.state).toBe("stopped");
    expect(final?.health_status).toBe("amber");
    expect(cap.lines.filter((l) => l.level >= 40)).toEqual([]);
  });

  test("a heartbeat held past its write timeout is abandoned and never lands after stopping", async () => {
    const cap = captureLogger();
    const { build } = builder("stuck-host");
    const p = new LifecyclePublisher({
      db: t.db,
      intervalMs: 60_000,
      writeTimeoutMs: 400,
      build,
      log: cap.logger,
    });
    expect(await p.publishNow()).toBe(true);
    const lock = await lockRow("stuck-host:monitor");
    const beat = p.publishNow();
    await until(async () => (await writesInFlight()) === 1, "the heartbeat to wait on the lock");

    let seenBetween: string | undefined;
    const done = p.shutdown({
      beforeStopped: async () => {
        seenBetween = (await row("stuck-host:monitor"))?.state;
      },
    });
    const abandoned = await cap.waitFor((l) => l.msg === "process health write abandoned");
    expect(abandoned).toMatchObject({
      process_id: "stuck-host:monitor",
      state: "running",
      err: "timed out after 400ms",
    });
    expect(await beat).toBe(false);
    await lock.release();
    await done;
    expect(seenBetween).toBe("stopping");
    // Give a late commit every chance to show up: there is none.
    await Bun.sleep(100);
    const final = await row("stuck-host:monitor");
    expect(final?.state).toBe("stopped");
    expect(final?.worker_count).toBe(3); // the stopping build (3rd), not the abandoned beat (2nd)
    expect(await writesInFlight()).toBe(0);
  });

  test("failures are logged, never thrown; shutdown falls back to the last good snapshot", async () => {
    const cap = captureLogger();
    let calls = 0;
    const build = (): SnapshotInput => {
      calls++;
      if (calls === 1) return { host_id: "flaky-host", process_type: "monitor", worker_count: 1 };
      if (calls === 2) return { host_id: "", process_type: "monitor" };
      throw new Error("probe exploded");
    };
    const p = new LifecyclePublisher({ db: t.db, intervalMs: 60_000, build, log: cap.logger });
    expect(await p.publishNow()).toBe(true);
    expect(await p.publishNow()).toBe(false); // invalid snapshot
    expect(await p.publishNow()).toBe(false); // build throws
    await p.shutdown();
    expect(cap.lines.map((l) => l.msg)).toEqual([
      "process health write failed",
      "process health snapshot failed",
      "process health snapshot failed",
    ]);
    expect(cap.lines[0]?.err).toBe("host id is required");
    const final = await row("flaky-host:monitor");
    expect(final?.state).toBe("stopped");
    expect(final?.worker_count).toBe(1);
  });

  test("a failing beforeStopped step is logged and stopped is still written", async () => {
    const cap = captureLogger();
    const p = new LifecyclePublisher({
      db: t.db,
      intervalMs: 60_000,
      build: builder("step-host").build,
      log: cap.logger,
    });
    await p.publishNow();
    await p.shutdown({
      beforeStopped: async () => {
        throw new Error("drain failed");
      },
    });
    expect(cap.lines.map((l) => [l.msg, l.err])).toEqual([["shutdown step failed", "drain failed"]]);
    expect((await row("step-host:monitor"))?.state).toBe("stopped");
  });

  test("shutdown with nothing ever built writes nothing and resolves", async () => {
    const cap = captureLogger();
    const p = new LifecyclePublisher({
      db: t.db,
      intervalMs: 60_000,
      build: () => {
        throw new Error("not ready");
      },
      log: cap.logger,
    });
    await p.shutdown();
    expect(cap.lines.map((l) => l.msg)).toEqual(["process health snapshot failed"]);
  });
});

describe("boundedWrite", () => {
  test("an error inside the write is passed through and rolled back", async () => {
    await expect(
      boundedWrite(t.db, 1000, async (tx) => {
        await upsertSnapshot(tx, { host_id: "rollback-host", process_type: "monitor" });
        throw new Error("after the insert");
      }),
    ).rejects.toThrow("after the insert");
    expect(await row("rollback-host:monitor")).toBeUndefined();
  });

  test("a write that cannot reach the database times out", async () => {
    const { createDb } = await import("../../src/db/client.ts");
    const { createPool } = await import("../../src/db/pool.ts");
    // A listener that accepts TCP and never speaks MySQL: the handshake hangs.
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const pool = createPool({ ...t.settings, host: "127.0.0.1", port: silent.port });
    try {
      await expect(boundedWrite(createDb(pool), 200, async () => {})).rejects.toThrow(
        "timed out after 200ms",
      );
    } finally {
      silent.stop(true);
      await pool.end().catch(() => {});
    }
  });
});

describe("LifecyclePublisher across a MySQL outage (issue 15)", () => {
  test("stopping and stopped are retried until the deadline; MySQL back in time gets `stopped`", async () => {
    const { startTcpProxy } = await import("../monitor/support.ts");
    const { createPool } = await import("../../src/db/pool.ts");
    const { createDb } = await import("../../src/db/client.ts");
    const proxy = await startTcpProxy({ host: t.settings.host, port: t.settings.port });
    const pool = createPool({ ...t.settings, host: "127.0.0.1", port: proxy.port }, { queryTimeoutMs: 500 });
    const cap = captureLogger();
    const p = new LifecyclePublisher({
      db: createDb(pool),
      intervalMs: 60_000,
      writeTimeoutMs: 500,
      build: builder("retry-host").build,
      log: cap.logger,
    });
    try {
      expect(await p.publishNow()).toBe(true);
      await proxy.cut();
      let drained = false;
      const done = p.shutdown({
        deadline: Date.now() + 6000,
        beforeStopped: async () => {
          drained = true;
        },
      });
      await cap.waitFor((l) => l.msg === "process health write failed" && l.state === "stopped");
      expect(drained).toBe(true);
      await proxy.restore();
      await done;
      expect((await row("retry-host:monitor"))?.state).toBe("stopped");
      expect(cap.lines.some((l) => l.msg === "process health write succeeded after retries")).toBe(true);
    } finally {
      await pool.end().catch(() => {});
      await proxy.stop();
    }
  }, 20_000);

  test("without a deadline each write is tried once", async () => {
    const pool = (await import("../../src/db/pool.ts")).createPool({
      ...t.settings,
      host: "127.0.0.1",
      port: 1,
    });
    const cap = captureLogger();
    const p = new LifecyclePublisher({
      db: (await import("../../src/db/client.ts")).createDb(pool),
      intervalMs: 60_000,
      build: builder("once-host").build,
      log: cap.logger,
    });
    await p.shutdown();
    await pool.end().catch(() => {});
    expect(cap.lines.filter((l) => l.state === "stopping").length).toBe(1);
  });

  test("a start of the same process id writes the previous run's missing `stopped` before `running`", async () => {
    const cap = captureLogger();
    const old = new Date(Date.now() - 3_600_000);
    await upsertSnapshot(t.db, {
      host_id: "crashed-host",
      process_type: "monitor",
      state: "running",
      health_status: "green",
      pid: 4242,
      started_at: old,
    });
    const seen: string[] = [];
    const watch = async () => {
      for (let i = 0; i < 200 && !seen.includes("running-again"); i++) {
        const r = await row("crashed-host:monitor");
        if (r && seen.at(-1) !== r.state) seen.push(r.state);
        await Bun.sleep(5);
      }
    };
    const p = new LifecyclePublisher({
      db: t.db,
      intervalMs: 60_000,
      build: builder("crashed-host", { pid: 4343, started_at: new Date() }).build,
      log: cap.logger,
    });
    const watching = watch();
    expect(await p.publishNow()).toBe(true);
    seen.push("running-again");
    await watching;
    const line = cap.lines.find((l) => l.msg.startsWith("previous run's lifecycle row was not stopped"));
    expect(line).toMatchObject({
      process_id: "crashed-host:monitor",
      previous_state: "running",
      previous_pid: 4242,
    });
    expect((await row("crashed-host:monitor"))?.state).toBe("running");
    // The same run beating again does not close itself.
    expect(await p.publishNow()).toBe(true);
    expect(cap.lines.filter((l) => l.msg.startsWith("previous run's")).length).toBe(1);
    await p.shutdown();
  });

  test("a previous run that reached `stopped` is left as it is", async () => {
    const cap = captureLogger();
    const p = new LifecyclePublisher({
      db: t.db,
      intervalMs: 60_000,
      build: builder("clean-host", { started_at: new Date(Date.now() - 60_000) }).build,
      log: cap.logger,
    });
    await p.publishNow();
    await p.shutdown();
    const q = new LifecyclePublisher({
      db: t.db,
      intervalMs: 60_000,
      build: builder("clean-host", { started_at: new Date() }).build,
      log: cap.logger,
    });
    expect(await q.publishNow()).toBe(true);
    expect(cap.lines.some((l) => l.msg.startsWith("previous run's"))).toBe(false);
    await q.shutdown();
  });
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CheckError } from "../../src/check/errors.ts";
import { CheckPool } from "../../src/check/pool.ts";
import type { CheckRequest, CheckResult } from "../../src/check/types.ts";
import { silentLogger } from "../../src/log.ts";
import { type SiteFixture, startSiteFixture } from "../support/sites.ts";

function req(blogId: number, url = "http://127.0.0.1:1/"): CheckRequest {
  return { blogId, url, timeoutSeconds: 5, redirectPolicy: "follow" };
}

function result(r: CheckRequest): CheckResult {
  return {
    blogId: r.blogId,
    url: r.url,
    httpCode: 200,
    errorCode: CheckError.None,
    success: true,
    rttMs: 1,
    dnsMs: 0,
    tcpMs: 0,
    tlsMs: 0,
    ttfbMs: 1,
    sslExpiry: null,
    checkedAt: new Date(0),
  };
}

/** A check that blocks until released, recording the order checks started in. */
function gatedCheck() {
  const gates = new Map<number, () => void>();
  const started: number[] = [];
  const check = (r: CheckRequest) =>
    new Promise<CheckResult>((resolve) => {
      started.push(r.blogId);
      gates.set(r.blogId, () => resolve(result(r)));
    });
  const release = async (blogId: number) => {
    gates.get(blogId)?.();
    gates.delete(blogId);
    await Bun.sleep(0);
  };
  return { check, started, release, running: () => [...gates.keys()] };
}

describe("CheckPool", () => {
  test("runs at most `size` checks; the rest wait in order", async () => {
    const g = gatedCheck();
    const pool = new CheckPool({ size: 2, queueLimit: 10, check: g.check, logger: silentLogger });
    const results = [1, 2, 3, 4].map((id) => pool.submit(req(id)));
    expect(results.every((p) => p instanceof Promise)).toBe(true);
    expect(pool.stats()).toEqual({ workers: 2, active: 2, queueDepth: 2 });
    await g.release(1);
    expect(g.started).toEqual([1, 2, 3]);
    expect(pool.stats()).toEqual({ workers: 2, active: 2, queueDepth: 1 });
    for (const id of [2, 3, 4]) await g.release(id);
    expect((await results[3])?.blogId).toBe(4);
    expect(pool.stats()).toEqual({ workers: 2, active: 0, queueDepth: 0 });
  });

  test("a full queue refuses at once (size 2, queue 2: four accepted, the fifth refused)", async () => {
    const g = gatedCheck();
    const pool = new CheckPool({ size: 2, queueLimit: 2, check: g.check, logger: silentLogger });
    const accepted = [1, 2, 3, 4].map((id) => pool.submit(req(id)));
    expect(accepted.every((p) => p !== null)).toBe(true);
    expect(pool.submit(req(5))).toBeNull();
    await g.release(1);
    expect(pool.submit(req(6))).not.toBeNull();
    for (const id of [2, 3, 4, 6]) await g.release(id);
    await pool.drain();
  });

  test("queueLimit 0: accepted only while a worker is free", async () => {
    const g = gatedCheck();
    const pool = new CheckPool({ size: 1, queueLimit: 0, check: g.check, logger: silentLogger });
    expect(pool.submit(req(1))).not.toBeNull();
    expect(pool.submit(req(2))).toBeNull();
    await g.release(1);
    expect(pool.submit(req(3))).not.toBeNull();
    await g.release(3);
  });

  test("resize up starts waiting checks; resize down holds new starts until below the size", async () => {
    const g = gatedCheck();
    const pool = new CheckPool({ size: 1, queueLimit: 10, check: g.check, logger: silentLogger });
    for (const id of [1, 2, 3, 4, 5]) pool.submit(req(id));
    expect(pool.stats().active).toBe(1);
    pool.resize(4);
    expect(pool.stats()).toEqual({ workers: 4, active: 4, queueDepth: 1 });
    pool.resize(2);
    expect(pool.stats()).toEqual({ workers: 2, active: 4, queueDepth: 1 });
    await g.release(1);
    await g.release(2);
    expect(pool.stats().active).toBe(2);
    expect(pool.stats().queueDepth).toBe(1);
    await g.release(3);
    expect(g.started).toEqual([1, 2, 3, 4, 5]);
    for (const id of [4, 5]) await g.release(id);
  });

  test("sizes are clamped to at least 1", () => {
    const pool = new CheckPool({
      size: 0,
      queueLimit: 1,
      check: async (r) => result(r),
      logger: silentLogger,
    });
    expect(pool.stats().workers).toBe(1);
    pool.resize(-5);
    expect(pool.stats().workers).toBe(1);
    pool.resize(Number.NaN);
    expect(pool.stats().workers).toBe(1);
  });

  test("drain waits for running and queued checks, then refuses; twice is safe", async () => {
    const g = gatedCheck();
    const pool = new CheckPool({ size: 1, queueLimit: 5, check: g.check, logger: silentLogger });
    const a = pool.submit(req(1));
    const b = pool.submit(req(2));
    let drained = false;
    const d1 = pool.drain().then(() => {
      drained = true;
    });
    const d2 = pool.drain();
    expect(pool.submit(req(3))).toBeNull();
    await g.release(1);
    expect(drained).toBe(false);
    await g.release(2);
    await d1;
    await d2;
    expect(drained).toBe(true);
    expect((await a)?.blogId).toBe(1);
    expect((await b)?.blogId).toBe(2);
  });

  test("drain of an idle pool resolves at once", async () => {
    const pool = new CheckPool({
      size: 3,
      queueLimit: 3,
      check: async (r) => result(r),
      logger: silentLogger,
    });
    await pool.drain();
    expect(pool.isDraining).toBe(true);
  });

  test("a check that throws rejects its own promise only", async () => {
    let calls = 0;
    const pool = new CheckPool({
      size: 1,
      queueLimit: 5,
      logger: silentLogger,
      check: (r) => {
        calls++;
        if (r.blogId === 1) throw new Error("boom");
        return Promise.resolve(result(r));
      },
    });
    const bad = pool.submit(req(1));
    const good = pool.submit(req(2));
    await expect(bad!).rejects.toThrow("boom");
    expect((await good)?.blogId).toBe(2);
    expect(calls).toBe(2);
    expect(pool.stats().active).toBe(0);
  });

  test("many queued checks all complete", async () => {
    const pool = new CheckPool({
      size: 7,
      queueLimit: 20_000,
      check: async (r) => result(r),
      logger: silentLogger,
    });
    const all = Array.from({ length: 10_000 }, (_, i) => pool.submit(req(i))!);
    const results = await Promise.all(all);
    expect(results.map((r) => r.blogId)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    expect(pool.stats()).toEqual({ workers: 7, active: 0, queueDepth: 0 });
  });
});

describe("CheckPool with the real check", () => {
  let sites: SiteFixture;
  beforeAll(async () => {
    sites = await startSiteFixture({ addresses: 2 });
  });
  afterAll(async () => {
    await sites.stop();
  });

  test("checks fixture sites through checkSite", async () => {
    sites.set("up", { kind: "ok" });
    sites.set("down", { kind: "status", status: 500 });
    const pool = new CheckPool({ size: 4, queueLimit: 10, logger: silentLogger });
    const [up, down] = await Promise.all([
      pool.submit(req(1, sites.url("up"))),
      pool.submit(req(2, sites.url("down"))),
    ]);
    expect(up).toMatchObject({ blogId: 1, httpCode: 200, success: true });
    expect(down).toMatchObject({ blogId: 2, httpCode: 500, success: false });
    await pool.drain();
  });

  test("ActiveCount during a slow check; drain waits for it", async () => {
    sites.set("slow", { kind: "slow", ms: 200 });
    const pool = new CheckPool({ size: 2, queueLimit: 2, logger: silentLogger });
    const p = pool.submit(req(1, sites.url("slow")));
    pool.submit(req(2, sites.url("slow")));
    pool.submit(req(3, sites.url("slow")));
    expect(pool.stats()).toEqual({ workers: 2, active: 2, queueDepth: 1 });
    await pool.drain();
    expect((await p)?.success).toBe(true);
    expect(sites.hits("slow")).toBe(3);
  });
});

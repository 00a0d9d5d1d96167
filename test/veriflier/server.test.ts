import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { checkSite } from "../../src/check/check.ts";
import { CheckError } from "../../src/check/errors.ts";
import type { CheckRequest, CheckResult } from "../../src/check/types.ts";
import { silentLogger } from "../../src/log.ts";
import { newRequestId, VeriflierClient, VeriflierError } from "../../src/veriflier/client.ts";
import { createVeriflierServer, type VeriflierServer } from "../../src/veriflier/server.ts";
import { type SiteFixture, startSiteFixture } from "../support/sites.ts";

const TOKEN = "s3cret-token";

function fakeResult(req: CheckRequest, extra: Partial<CheckResult> = {}): CheckResult {
  return {
    blogId: req.blogId,
    url: req.url,
    httpCode: 200,
    errorCode: CheckError.None,
    success: true,
    rttMs: 3,
    dnsMs: 0,
    tcpMs: 0,
    tlsMs: 0,
    ttfbMs: 1,
    sslExpiry: null,
    checkedAt: new Date(),
    ...extra,
  };
}

class Metrics {
  counts: Record<string, number> = {};
  timings: string[] = [];
  increment(name: string, value = 1) {
    this.counts[name] = (this.counts[name] ?? 0) + value;
  }
  timing(name: string) {
    this.timings.push(name);
  }
}

let sites: SiteFixture;
let server: VeriflierServer;
let base: string;
let checked: CheckRequest[] = [];
const metrics = new Metrics();

beforeAll(async () => {
  sites = await startSiteFixture({ addresses: 2 });
  server = createVeriflierServer({
    token: TOKEN,
    port: 0,
    hostname: "127.0.0.1",
    checkConcurrency: 4,
    reportedHost: "test-host",
    version: "1.0",
    logger: silentLogger,
    metrics,
    checkSite: (req) => {
      checked.push(req);
      return checkSite(req, { ca: sites.ca });
    },
  });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server.stop(1000);
  await sites.stop();
});

const post = (body: string | ReadableStream, token = TOKEN, init: RequestInit = {}) =>
  fetch(`${base}/check`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body,
    ...init,
  });

const client = (token = TOKEN, extra: Partial<ConstructorParameters<typeof VeriflierClient>[0]> = {}) =>
  new VeriflierClient({ host: "127.0.0.1", port: server.port, token, ...extra });

describe("veriflier server", () => {
  test("GET /status (any method, no auth)", async () => {
    for (const method of ["GET", "POST"]) {
      const res = await fetch(`${base}/status`, { method });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "OK", version: "1.0" });
    }
  });

  test("unknown paths are 404", async () => {
    const res = await fetch(`${base}/nope`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("404 page not found\n");
  });

  test("GET /check is 405, before auth", async () => {
    const res = await fetch(`${base}/check`);
    expect(res.status).toBe(405);
    expect(await res.text()).toBe("method not allowed\n");
  });

  test("a wrong, missing or bare token is 401 and counted", async () => {
    const before = metrics.counts["verifier.auth.rejected.count"] ?? 0;
    const attempts: Record<string, string>[] = [
      { authorization: "Bearer wrong" },
      {},
      { authorization: "Bearer " },
      { authorization: TOKEN },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${base}/check`, { method: "POST", headers, body: '{"sites":[]}' });
      expect(res.status).toBe(401);
      expect(await res.text()).toBe("unauthorized\n");
    }
    expect(metrics.counts["verifier.auth.rejected.count"]).toBe(before + 4);
  });

  test("a bad body is 400 naming the problem", async () => {
    const res = await post("{not json");
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^decode: .+\n$/);
    const typed = await post('{"sites":[{"BlogID":"x"}]}');
    expect(typed.status).toBe(400);
    expect(await typed.text()).toBe('decode: sites[0].BlogID: expected an integer, got "x"\n');
  });

  test("a body over 10 MiB is 413 and nothing is checked", async () => {
    checked = [];
    const big = JSON.stringify({ sites: [{ BlogID: 1, URL: "x".repeat(11 * 1024 * 1024) }] });
    const res = await post(big);
    expect(res.status).toBe(413);
    expect(await res.text()).toBe("request body too large\n");
    expect(checked).toEqual([]);
  });

  test("a chunked body over 10 MiB (no Content-Length) is 413 too", async () => {
    checked = [];
    const chunk = new Uint8Array(1024 * 1024).fill(0x20);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ < 11) c.enqueue(chunk);
        else c.close();
      },
    });
    const res = await post(stream);
    expect(res.status).toBe(413);
    expect(checked).toEqual([]);
  });

  test("POST /check runs the real check: Host, BlogID and RequestID echoed; any key case", async () => {
    sites.set("up", { kind: "ok", body: "jetpack inside" });
    const res = await post(
      JSON.stringify({
        sites: [{ blogid: 42, url: sites.url("up"), keyword: "jetpack", requestid: "rid-1" }],
      }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      results: [
        {
          BlogID: 42,
          URL: sites.url("up"),
          Host: "test-host",
          Success: true,
          HTTPCode: 200,
          ErrorCode: 0,
          RTTMs: expect.any(Number),
          RequestID: "rid-1",
        },
      ],
    });
    expect(metrics.counts["verifier.checks.received.count"]).toBeGreaterThanOrEqual(1);
    expect(metrics.timings).toContain("verifier.checks.duration.timer");
  });

  test("the site's custom headers, keyword and policy reach the check", async () => {
    sites.set("hdr", { kind: "redirect", hops: 1 });
    const results = await client().check(
      [
        {
          blogId: 9,
          url: sites.url("hdr"),
          timeoutSeconds: 3,
          keyword: "absent-word",
          customHeaders: { "X-Custom-Test": "hello" },
          redirectPolicy: "follow",
        },
      ],
      3,
    );
    expect(sites.lastHeaders("hdr")["x-custom-test"]).toBe("hello");
    expect(results[0]).toMatchObject({
      blogId: 9,
      success: false,
      httpCode: 200,
      errorCode: CheckError.Keyword,
    });
    const failPolicy = await client().checkOne(
      { blogId: 10, url: sites.url("hdr"), timeoutSeconds: 3, redirectPolicy: "fail" },
      3,
    );
    expect(failPolicy).toMatchObject({ success: false, errorCode: CheckError.Redirect });
  });
});

describe("veriflier client", () => {
  test("round trip: BlogID 77, Host test-host, success", async () => {
    sites.set("rt", { kind: "ok" });
    const r = await client().checkOne(
      { blogId: 77, url: sites.url("rt"), timeoutSeconds: 5, redirectPolicy: "follow" },
      5,
    );
    expect(r).toMatchObject({ blogId: 77, host: "test-host", success: true, httpCode: 200, errorCode: 0 });
    expect(r.requestId).toMatch(/^[0-9a-f]{32}$/);
  });

  test("a batch returns one result per site, in order; ids kept or generated", async () => {
    sites.set("b1", { kind: "ok" });
    sites.set("b2", { kind: "status", status: 503 });
    const results = await client().check(
      [
        { blogId: 1, url: sites.url("b1"), timeoutSeconds: 5, redirectPolicy: "follow", requestId: "mine" },
        { blogId: 2, url: sites.url("b2"), timeoutSeconds: 5, redirectPolicy: "follow" },
      ],
      5,
    );
    expect(results.map((r) => [r.blogId, r.httpCode, r.success])).toEqual([
      [1, 200, true],
      [2, 503, false],
    ]);
    expect(results[0]!.requestId).toBe("mine");
    expect(results[1]!.requestId).toMatch(/^[0-9a-f]{32}$/);
  });

  test("request ids are 32 hex characters and unique", () => {
    const ids = new Set(Array.from({ length: 1000 }, newRequestId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });

  test("an empty batch makes no request", async () => {
    let calls = 0;
    const countingFetch = async () => {
      calls++;
      return new Response();
    };
    const c = client(TOKEN, { fetch: countingFetch as unknown as typeof fetch });
    expect(await c.check([], 5)).toEqual([]);
    expect(calls).toBe(0);
  });

  test("a bad token is a status error", async () => {
    const err = await client("wrong")
      .check([{ blogId: 1, url: "http://127.0.0.1:1/", timeoutSeconds: 1, redirectPolicy: "follow" }], 1)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VeriflierError);
    expect(err).toMatchObject({ kind: "status", status: 401, message: "veriflier returned 401" });
  });

  test("ping returns the version", async () => {
    expect(await client().ping()).toBe("1.0");
    expect(client().addr()).toBe(`127.0.0.1:${server.port}`);
  });

  test("checks in one request run in parallel, bounded by checkConcurrency", async () => {
    let running = 0;
    let peak = 0;
    const s = createVeriflierServer({
      token: TOKEN,
      port: 0,
      hostname: "127.0.0.1",
      checkConcurrency: 3,
      logger: silentLogger,
      checkSite: async (req) => {
        running++;
        peak = Math.max(peak, running);
        await Bun.sleep(30);
        running--;
        return fakeResult(req);
      },
    });
    const c = new VeriflierClient({ host: "127.0.0.1", port: s.port, token: TOKEN });
    const batch = Array.from({ length: 8 }, (_, i) => ({
      blogId: i,
      url: "http://x/",
      timeoutSeconds: 1,
      redirectPolicy: "follow" as const,
    }));
    const results = await c.check(batch, 1);
    expect(results.map((r) => r.blogId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(3);
    await s.stop(1000);
  });

  test("the verifier taking longer than site timeout + margin is a timeout error", async () => {
    const s = createVeriflierServer({
      token: TOKEN,
      port: 0,
      hostname: "127.0.0.1",
      checkConcurrency: 1,
      logger: silentLogger,
      checkSite: (req) => Bun.sleep(1000).then(() => fakeResult(req)),
    });
    const c = new VeriflierClient({ host: "127.0.0.1", port: s.port, token: TOKEN, timeoutMarginSeconds: 0 });
    const err = await c
      .check([{ blogId: 1, url: "http://x/", timeoutSeconds: 0.2, redirectPolicy: "follow" }], 0.2)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "timeout", message: "veriflier timed out after 200 ms" });
    await s.stop(2000);
  });

  test("an unreachable verifier is a network error with the structured code", async () => {
    const c = new VeriflierClient({ host: "127.0.0.1", port: 1, token: TOKEN });
    const err = await c.ping().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "network", message: "veriflier request failed: ECONNREFUSED" });
  });

  describe("against a misbehaving server", () => {
    let fake: ReturnType<typeof Bun.serve>;
    let reply = new Response();
    beforeAll(() => {
      fake = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => reply.clone() });
    });
    afterAll(() => fake.stop(true));
    const fakeClient = () => new VeriflierClient({ host: "127.0.0.1", port: fake.port!, token: TOKEN });
    const one = { blogId: 1, url: "http://x/", timeoutSeconds: 1, redirectPolicy: "follow" as const };

    test("ping: a 503 is an error", async () => {
      reply = new Response("down", { status: 503 });
      await expect(fakeClient().ping()).rejects.toThrow("veriflier status returned 503");
    });

    test("ping: a garbled body gives an empty version", async () => {
      reply = new Response("garbage");
      expect(await fakeClient().ping()).toBe("");
    });

    test("check: a garbled body is a decode error", async () => {
      reply = new Response('{"results":[{"BlogID":"one"}]}');
      const err = await fakeClient()
        .check([one], 1)
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: "decode" });
      expect((err as Error).message).toContain("results[0].BlogID");
    });

    test("checkOne: no results is an error", async () => {
      reply = Response.json({ results: [] });
      await expect(fakeClient().checkOne(one, 1)).rejects.toThrow("veriflier returned no results");
    });
  });
});

describe("veriflier shutdown", () => {
  test("an in-flight check completes; new requests are refused", async () => {
    let release: () => void = () => {};
    const s = createVeriflierServer({
      token: TOKEN,
      port: 0,
      hostname: "127.0.0.1",
      checkConcurrency: 2,
      logger: silentLogger,
      checkSite: (req) => new Promise((resolve) => (release = () => resolve(fakeResult(req)))),
    });
    const c = new VeriflierClient({ host: "127.0.0.1", port: s.port, token: TOKEN });
    const inflight = c.checkOne(
      { blogId: 5, url: "http://x/", timeoutSeconds: 5, redirectPolicy: "follow" },
      5,
    );
    await Bun.sleep(50);
    let stopped = false;
    const stopping = s.stop(5000).then(() => {
      stopped = true;
    });
    await Bun.sleep(50);
    expect(stopped).toBe(false);
    await expect(
      new VeriflierClient({ host: "127.0.0.1", port: s.port, token: TOKEN }).ping(),
    ).rejects.toThrow("ECONNREFUSED");
    release();
    expect((await inflight).blogId).toBe(5);
    await stopping;
    expect(stopped).toBe(true);
  });

  test("after the grace period, stop closes what is left", async () => {
    const s = createVeriflierServer({
      token: TOKEN,
      port: 0,
      hostname: "127.0.0.1",
      checkConcurrency: 1,
      logger: silentLogger,
      checkSite: (req) => Bun.sleep(3000).then(() => fakeResult(req)),
    });
    const c = new VeriflierClient({ host: "127.0.0.1", port: s.port, token: TOKEN });
    const inflight = c
      .checkOne({ blogId: 5, url: "http://x/", timeoutSeconds: 5, redirectPolicy: "follow" }, 5)
      .catch((e: unknown) => e);
    await Bun.sleep(50);
    const t0 = performance.now();
    await s.stop(150);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(await inflight).toBeInstanceOf(VeriflierError);
  });

  test("an empty token is refused", () => {
    expect(() =>
      createVeriflierServer({ token: "", port: 0, checkConcurrency: 1, logger: silentLogger }),
    ).toThrow("empty token");
  });
});

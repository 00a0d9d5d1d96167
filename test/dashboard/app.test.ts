import { afterEach, describe, expect, test } from "bun:test";
import pino from "pino";
import { createDashboardApp, type RunningDashboard, startDashboard } from "../../src/dashboard/app.ts";
import { rolloutCommands } from "../../src/dashboard/commands.ts";
import { DashboardHub } from "../../src/dashboard/hub.ts";
import type { HostHealth, HostState } from "../../src/dashboard/state.ts";
import { silentLogger } from "../../src/log.ts";

const NOW = "2026-04-30T10:01:00Z";

function setup(opts: { keepaliveMs?: number; commands?: boolean } = {}) {
  let state: Partial<HostState> | null = null;
  let health: HostHealth | null = null;
  const hub = new DashboardHub();
  const logged: Record<string, unknown>[] = [];
  const log = pino({ level: "debug" }, { write: (s: string) => logged.push(JSON.parse(s)) });
  const app = createDashboardApp({
    getState: () => state,
    getHealth: () => health,
    commands: opts.commands
      ? () => rolloutCommands({ pinned: { min: 0, max: 99 }, bucketTotal: 1000 })
      : undefined,
    events: hub,
    log,
    keepaliveMs: opts.keepaliveMs,
  });
  return {
    app,
    hub,
    logged,
    setState: (s: Partial<HostState> | null) => {
      state = s;
      if (s) hub.publish(s as HostState);
    },
    setHealth: (h: HostHealth | null) => {
      health = h;
    },
    get: (path: string, method = "GET") => app.handle(new Request(`http://localhost${path}`, { method })),
  };
}

const READ_PATHS = ["/", "/api/state", "/api/health", "/api/host", "/livez", "/readyz"];

describe("probes for load balancers", () => {
  test("/livez answers while /readyz is 503 with the summary until the host is green; /api/host stays 200", async () => {
    const d = setup();
    const live = await d.get("/livez");
    expect([live.status, await live.text()]).toEqual([200, "ok\n"]);
    let ready = await d.get("/readyz");
    expect(ready.status).toBe(503);
    expect(ready.headers.get("content-type")).toContain("application/json");
    expect((await ready.json()).status).toBe("amber");
    expect((await d.get("/api/host")).status).toBe(200);

    d.setState({ updated_at: "2026-04-30T10:00:00Z", hostname: "h" });
    d.setHealth([{ name: "mysql", status: "green", checked_at: "2026-04-30T10:00:00Z" }]);
    ready = await d.get("/readyz");
    expect(ready.status).toBe(200);
    expect((await ready.json()).status).toBe("green");

    d.setHealth([{ name: "mysql", status: "red", last_error: "down", checked_at: "2026-04-30T10:00:00Z" }]);
    ready = await d.get("/readyz");
    expect(ready.status).toBe(503);
    expect((await ready.json()).issues).toEqual(["mysql red: down"]);
    expect((await d.get("/api/host")).status).toBe(200);
  });
});

describe("read routes", () => {
  test("/api/state round-trips the state (TestHandleState)", async () => {
    const d = setup();
    d.setState({
      hostname: "test-host",
      updated_at: NOW,
      worker_count: 5,
      queue_depth: 3,
      bucket_ownership: "pinned range=0-99",
      legacy_status_projection_enabled: true,
      delivery_workers_enabled: true,
      delivery_config_eligible: true,
      delivery_owner_host: "api-1",
      go_sys_mem_mb: 12,
      rss_mem_mb: 34,
      rollout_preflight_command: "./jetmon2 rollout pinned-check",
      rollout_cutover_command: "./jetmon2 rollout cutover-check --since=15m",
      rollout_activity_command: "./jetmon2 rollout activity-check --since=15m",
      rollout_rollback_command: "./jetmon2 rollout rollback-check",
      rollout_state_report_command: "./jetmon2 rollout state-report --since=15m",
      projection_drift_command: "./jetmon2 rollout projection-drift",
    });
    const res = await d.get("/api/state");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = await res.text();
    expect(body.endsWith("}\n")).toBe(true);
    expect(body).toContain('"rss_mem_mb":34');
    expect(body).toContain('"go_sys_mem_mb":12');
    const s = JSON.parse(body);
    expect(s).toMatchObject({
      hostname: "test-host",
      worker_count: 5,
      queue_depth: 3,
      bucket_ownership: "pinned range=0-99",
      delivery_owner_host: "api-1",
      rollout_preflight_command: "./jetmon2 rollout pinned-check",
      projection_drift_command: "./jetmon2 rollout projection-drift",
      uncovered_buckets: 0,
    });
    // Field order as reference §1.2 (plus rss and coverage).
    const keys = Object.keys(s);
    expect(keys[0]).toBe("worker_count");
    expect(keys.indexOf("rss_mem_mb")).toBe(keys.indexOf("go_sys_mem_mb") + 1);
    expect(keys.slice(-2)).toEqual(["hostname", "updated_at"]);
  });

  test("before the first update: zero state with empty hostname and zero time", async () => {
    const s = await (await setup().get("/api/state")).json();
    expect(s.hostname).toBe("");
    expect(s.updated_at).toBe("0001-01-01T00:00:00Z");
    expect(s.worker_count).toBe(0);
  });

  test("configured commands fill the command fields", async () => {
    const d = setup({ commands: true });
    d.setState({ hostname: "h", updated_at: NOW });
    const s = await (await d.get("/api/state")).json();
    expect(s.rollout_cutover_command).toBe("./jetmon2 rollout cutover-check --since=15m");
    expect(s.rollout_preflight_command).toContain("--bucket-min=0 --bucket-max=99 --bucket-total=1000");
  });

  test("/api/health (TestHandleHealth) and null when empty or unset", async () => {
    const d = setup();
    expect(await (await d.get("/api/health")).text()).toBe("null\n");
    d.setHealth([]);
    expect(await (await d.get("/api/health")).text()).toBe("null\n");
    d.setHealth([
      { name: "db", status: "green", checked_at: NOW, latency_ms: 0, last_error: "" },
      { name: "wpcom", status: "amber", checked_at: NOW, last_error: "queued notifications=1" },
    ]);
    const res = await d.get("/api/health");
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toBe(
      `[{"name":"db","status":"green","checked_at":"${NOW}"},{"name":"wpcom","status":"amber","last_error":"queued notifications=1","checked_at":"${NOW}"}]\n`,
    );
  });

  test("/api/host (TestHandleHostSnapshot)", async () => {
    const d = setup();
    d.setState({
      hostname: "test-host",
      updated_at: NOW,
      worker_count: 5,
      wpcom_circuit_open: true,
      delivery_workers_enabled: true,
      delivery_config_eligible: false,
    });
    d.setHealth([
      { name: "mysql", status: "green", checked_at: NOW },
      { name: "statsd", status: "amber", checked_at: NOW },
    ]);
    const res = await d.get("/api/host");
    expect(res.status).toBe(200);
    const snap = await res.json();
    expect(Object.keys(snap)).toEqual(["state", "health", "summary"]);
    expect(snap.state.hostname).toBe("test-host");
    expect(snap.health).toHaveLength(2);
    expect(snap.summary.status).toBe("red");
    expect(snap.summary.red_count).toBeGreaterThan(0);
    expect(snap.summary.issues[0]).toContain("wpcom");
  });

  test("/api/host with nothing published is amber with both missing issues", async () => {
    const snap = await (await setup().get("/api/host")).json();
    expect(snap.health).toBeNull();
    expect(snap.summary).toEqual({
      status: "amber",
      message: "operator attention needed before rollout",
      issues: ["host state has not been published yet", "dependency health has not been published yet"],
      red_count: 0,
      amber_count: 2,
      green_count: 0,
      disabled_count: 0,
    });
  });

  test("GET / serves the page (TestHandleIndex)", async () => {
    const res = await setup().get("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const body = await res.text();
    for (const s of [
      "Jetmon",
      "/api/host",
      "/events",
      'id="preflight"',
      'id="cutover"',
      'id="state-report"',
      'id="activity"',
      'id="rollback"',
      'id="drift"',
      'id="delivery-owner"',
      'id="delivery-eligible"',
      'id="go-sys"',
      'id="rss-mem"',
      'id="health"',
      'id="summary-pill"',
    ]) {
      expect(body).toContain(s);
    }
    expect(body).not.toMatch(/<script[^>]+src=|<link[^>]+href=["']https?:/); // self-contained
  });

  test("HEAD is allowed on read routes and has no body", async () => {
    const d = setup();
    for (const path of READ_PATHS) {
      const res = await d.get(path, "HEAD");
      // /readyz is 503 until the host is green (nothing is published here).
      expect(res.status).toBe(path === "/readyz" ? 503 : 200);
      expect(await res.text()).toBe("");
    }
  });

  test("read routes set no-store and the security headers", async () => {
    const d = setup();
    for (const path of READ_PATHS) {
      const res = await d.get(path);
      expect(res.status).toBe(path === "/readyz" ? 503 : 200);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("content-security-policy")).toBe(
        "default-src 'self'; base-uri 'none'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; object-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'",
      );
    }
  });

  test.each(["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])(
    "%s on read routes is 405 with Allow: GET, HEAD",
    async (method) => {
      const d = setup();
      for (const path of READ_PATHS) {
        const res = await d.get(path, method);
        expect(res.status).toBe(405);
        expect(res.headers.get("allow")).toBe("GET, HEAD");
        expect(res.headers.get("cache-control")).toBe("no-store");
        expect(await res.text()).toBe("method not allowed\n");
      }
    },
  );

  test.each(["POST", "HEAD", "PUT"])("%s on /events is 405 with Allow: GET", async (method) => {
    const res = await setup().get("/events", method);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET");
  });

  test.each(["/api/unknown", "/foo", "/api/state/", "/index.html", "/fleet", "//"])(
    "%p is 404 without the page (TestHandleIndexRejectsUnknownPaths)",
    async (path) => {
      const res = await setup().get(path);
      expect(res.status).toBe(404);
      expect(res.headers.get("cache-control")).toBe("no-store");
      const body = await res.text();
      expect(body).not.toContain("Jetmon");
      expect(body).toBe("404 page not found\n");
    },
  );

  test("unknown paths are 404 whatever the method", async () => {
    expect((await setup().get("/nope", "POST")).status).toBe(404);
  });

  test("a failing state source is a 500 that does not leak the error", async () => {
    const logged: Record<string, unknown>[] = [];
    const app = createDashboardApp({
      getState: () => {
        throw new Error("secret db detail");
      },
      getHealth: () => null,
      events: new DashboardHub(),
      log: pino({}, { write: (s: string) => logged.push(JSON.parse(s)) }),
    });
    const res = await app.handle(new Request("http://localhost/api/state"));
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).toBe("internal server error\n");
    expect(logged).toMatchObject([
      { msg: "dashboard request failed", path: "/api/state", err: "secret db detail" },
    ]);
  });

  test("a failed query is logged by its cause, as every other errorText line (src/error-text.ts)", async () => {
    const logged: Record<string, unknown>[] = [];
    const app = createDashboardApp({
      getState: () => {
        throw new Error("Failed query: select * from jetmon_hosts", {
          cause: new Error("Too many connections"),
        });
      },
      getHealth: () => null,
      events: new DashboardHub(),
      log: pino({}, { write: (s: string) => logged.push(JSON.parse(s)) }),
    });
    expect((await app.handle(new Request("http://localhost/api/state"))).status).toBe(500);
    expect(logged).toMatchObject([
      { msg: "dashboard request failed", path: "/api/state", err: "Too many connections" },
    ]);
  });
});

/** Reads SSE frames (separated by a blank line) from a live stream. */
function sseReader(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  return {
    async frame(): Promise<string> {
      for (;;) {
        const i = buf.indexOf("\n\n");
        if (i >= 0) {
          const f = buf.slice(0, i);
          buf = buf.slice(i + 2);
          return f;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        buf += decoder.decode(value, { stream: true });
      }
    },
    async data(): Promise<Record<string, unknown>> {
      for (;;) {
        const f = await this.frame();
        if (f.startsWith("data: ")) return JSON.parse(f.slice(6));
      }
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

describe("SSE /events on a real listener", () => {
  let running: RunningDashboard | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  async function serve(d: ReturnType<typeof setup>) {
    running = startDashboard({ bindAddr: "127.0.0.1", port: 0, app: d.app, log: silentLogger });
    return `http://127.0.0.1:${running.port}`;
  }

  async function until(cond: () => boolean, what: string) {
    for (let i = 0; i < 300 && !cond(); i++) await Bun.sleep(10);
    if (!cond()) throw new Error(`gave up waiting for ${what}`);
  }

  test("current state at connect, then each update; headers; cleanup on disconnect", async () => {
    const d = setup();
    d.setState({ hostname: "test-host", updated_at: NOW, worker_count: 7 });
    const base = await serve(d);
    const ac = new AbortController();
    const res = await fetch(`${base}/events`, { signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(res.headers.get("cache-control")).toBe("no-cache, no-store");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const r = sseReader(res);
    const first = await r.frame();
    expect(first.startsWith("data: {")).toBe(true);
    expect(JSON.parse(first.slice(6))).toMatchObject({ worker_count: 7, hostname: "test-host" });
    expect(d.hub.clientCount).toBe(1);

    d.setState({ hostname: "test-host", updated_at: NOW, worker_count: 9 });
    expect(await r.data()).toMatchObject({ worker_count: 9 });

    ac.abort();
    await until(() => d.hub.clientCount === 0, "the client to be cleaned up");
    expect(d.logged.some((l) => l.msg === "dashboard event client left")).toBe(true);
  });

  test("the zero state is sent at connect before any update", async () => {
    const d = setup();
    const base = await serve(d);
    const res = await fetch(`${base}/events`);
    const r = sseReader(res);
    expect(await r.data()).toMatchObject({ hostname: "", updated_at: "0001-01-01T00:00:00Z" });
    await r.cancel();
  });

  test("a keepalive comment is sent when the stream is quiet", async () => {
    const d = setup({ keepaliveMs: 30 });
    const base = await serve(d);
    const r = sseReader(await fetch(`${base}/events`));
    await r.data();
    expect(await r.frame()).toBe(": keepalive");
    expect(await r.frame()).toBe(": keepalive");
    d.setState({ hostname: "h", updated_at: NOW, worker_count: 3 });
    expect(await r.data()).toMatchObject({ worker_count: 3 });
    await r.cancel();
  });

  test("the 33rd client gets 503; a slot frees when one leaves", async () => {
    const d = setup();
    const base = await serve(d);
    const conns = await Promise.all(
      Array.from({ length: 32 }, async () => {
        const ac = new AbortController();
        const res = await fetch(`${base}/events`, { signal: ac.signal });
        const r = sseReader(res);
        await r.data();
        return { ac, r };
      }),
    );
    expect(d.hub.clientCount).toBe(32);
    const extra = await fetch(`${base}/events`);
    expect(extra.status).toBe(503);
    expect(await extra.text()).toBe("too many dashboard event clients\n");

    conns[0]?.ac.abort();
    await until(() => d.hub.clientCount === 31, "a slot to free");
    const again = await fetch(`${base}/events`);
    expect(again.status).toBe(200);
    await again.body?.cancel();
    for (const c of conns.slice(1)) c.ac.abort();
    await until(() => d.hub.clientCount === 0, "every client to leave");
  });

  test("a client that stops reading does not hold up the others", async () => {
    const d = setup();
    const base = await serve(d);
    const stalled = await fetch(`${base}/events`); // never read past the headers
    const live = sseReader(await fetch(`${base}/events`));
    await live.data();
    // Enough bytes to fill the stalled socket's buffers, so its queue overflows.
    for (let i = 1; i <= 400; i++) {
      d.setState({ hostname: "h", updated_at: NOW, worker_count: i, bucket_ownership: "x".repeat(16_000) });
      expect(await live.data()).toMatchObject({ worker_count: i });
    }
    await stalled.body?.cancel();
    await live.cancel();
    await until(() => d.hub.clientCount === 0, "both clients to leave");
    const dropped = d.logged
      .filter((l) => l.msg === "dashboard event client left")
      .map((l) => l.dropped as number);
    expect(dropped.sort((a, b) => a - b)[0]).toBe(0);
    expect(Math.max(...dropped)).toBeGreaterThan(0);
  });

  test("stop closes open streams", async () => {
    const d = setup();
    const base = await serve(d);
    const r = sseReader(await fetch(`${base}/events`));
    await r.data();
    await running!.stop();
    running = undefined;
    await expect(r.frame()).rejects.toThrow();
    await until(() => d.hub.clientCount === 0, "cleanup after stop");
  });
});

describe("startDashboard", () => {
  test("binds an IPv6 literal and reports a bracketed address", async () => {
    const d = setup();
    let running: RunningDashboard;
    try {
      running = startDashboard({ bindAddr: "[::1]", port: 0, app: d.app });
    } catch (err) {
      console.warn(`skipping IPv6 bind check: ::1 is not available here (${(err as Error).message})`);
      return;
    }
    try {
      expect(running.addr).toBe(`[::1]:${running.port}`);
      const res = await fetch(`http://[::1]:${running.port}/api/state`);
      expect(res.status).toBe(200);
    } finally {
      await running.stop();
    }
  });

  test("blank bind address listens on 127.0.0.1", async () => {
    const running = startDashboard({ bindAddr: " ", port: 0, app: setup().app });
    try {
      expect(running.addr).toBe(`127.0.0.1:${running.port}`);
      expect((await fetch(`http://127.0.0.1:${running.port}/api/health`)).status).toBe(200);
    } finally {
      await running.stop();
    }
  });

  test("a port in use is an error naming the dashboard", async () => {
    const first = startDashboard({ bindAddr: "127.0.0.1", port: 0, app: setup().app });
    try {
      expect(() => startDashboard({ bindAddr: "127.0.0.1", port: first.port, app: setup().app })).toThrow(
        /^dashboard: /,
      );
    } finally {
      await first.stop();
    }
  });
});

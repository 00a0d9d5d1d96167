import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import pino from "pino";
import { silentLogger } from "../../src/log.ts";
import { WpcomClient, type WpcomClientOptions } from "../../src/wpcom/client.ts";
import type { WpcomNotification } from "../../src/wpcom/payload.ts";

/** A real WPCOM stand-in on 127.0.0.1: answers from a script of status codes, then 200. */
interface Seen {
  auth: string | null;
  contentType: string | null;
  method: string;
  path: string;
  body: string;
}
const seen: Seen[] = [];
let script: number[] = [];
let hang = false;
let server: ReturnType<typeof Bun.serve>;
let endpoint: string;

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const body = await req.text();
      if (hang) return new Promise<Response>(() => {});
      seen.push({
        auth: req.headers.get("authorization"),
        contentType: req.headers.get("content-type"),
        method: req.method,
        path: new URL(req.url).pathname,
        body,
      });
      return new Response("ignored", { status: script.shift() ?? 200 });
    },
  });
  endpoint = `http://127.0.0.1:${server.port}/wpcom/v2/jetpack-monitor/status-change`;
});
afterAll(() => server.stop(true));
afterEach(() => {
  seen.length = 0;
  script = [];
  hang = false;
});

function note(blogId: number, statusId: 1 | 2 = 2): WpcomNotification {
  return {
    blog_id: blogId,
    monitor_url: `https://site-${blogId}.example`,
    status_id: statusId,
    last_check: "2024-05-01T12:00:00Z",
    last_status_change: "2024-05-01T12:00:00Z",
    status_type: "server",
    checks: [{ type: 1, host: "mon-1", status: 0, rtt: 12, code: 500 }],
  };
}

function clock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function client(o: Partial<WpcomClientOptions> = {}) {
  const c = clock();
  const delivered: number[] = [];
  const wp = new WpcomClient({
    endpoint,
    authToken: "test-token",
    now: c.now,
    log: silentLogger,
    onDelivered: (n) => delivered.push(n.blog_id),
    ...o,
  });
  return { wp, clock: c, delivered };
}

const blogs = () => seen.map((s) => (JSON.parse(s.body) as WpcomNotification).blog_id);

test("success: POST with bearer token and the exact JSON body; circuit closed", async () => {
  const { wp, delivered } = client();
  expect(await wp.notify(note(7))).toBe("delivered");
  expect(seen).toHaveLength(1);
  expect(seen[0]).toEqual({
    auth: "Bearer test-token",
    contentType: "application/json",
    method: "POST",
    path: "/wpcom/v2/jetpack-monitor/status-change",
    body: JSON.stringify(note(7)),
  });
  expect(delivered).toEqual([7]);
  expect(wp.state()).toEqual({ circuitOpen: false, queueDepth: 0, dropped: 0, consecutiveFailures: 0 });
});

test("failures count, stay queued once, and go out in order on the next success", async () => {
  const { wp, delivered } = client();
  script = [500, 502];
  expect(await wp.notify(note(1))).toBe("queued");
  expect(wp.state()).toMatchObject({ consecutiveFailures: 1, queueDepth: 1, circuitOpen: false });
  // The next notify retries the head first; it fails, so 2 waits behind it.
  expect(await wp.notify(note(2))).toBe("queued");
  expect(wp.state()).toMatchObject({ consecutiveFailures: 2, queueDepth: 2 });
  expect(await wp.notify(note(3))).toBe("delivered");
  expect(blogs()).toEqual([1, 1, 1, 2, 3]);
  expect(delivered).toEqual([1, 2, 3]);
  expect(wp.state()).toEqual({ circuitOpen: false, queueDepth: 0, dropped: 0, consecutiveFailures: 0 });
});

describe("circuit", () => {
  test("5 consecutive failures open it; while open nothing is sent and each notify is queued once", async () => {
    const { wp } = client();
    script = [500, 500, 500, 500, 500];
    for (let b = 1; b <= 5; b++) await wp.notify(note(b));
    // Each notify first retries the head (blog 1); the others wait behind it.
    expect(blogs()).toEqual([1, 1, 1, 1, 1]);
    expect(wp.state()).toEqual({ circuitOpen: true, queueDepth: 5, dropped: 0, consecutiveFailures: 5 });

    expect(await wp.notify(note(6))).toBe("queued");
    expect(seen).toHaveLength(5);
    // DESIGN.md defect 16: one notify while open adds exactly one queue entry.
    expect(wp.state().queueDepth).toBe(6);
  });

  test("half-open after 60 s: a failed trial reopens; a later success closes and flushes FIFO, each once", async () => {
    const { wp, clock: c, delivered } = client();
    script = [500, 500, 500, 500, 500];
    await wp.notify(note(1));
    for (let i = 0; i < 4; i++) await wp.flush();
    // flush only sends while closed: the four extra attempts above came from flush, the
    // circuit is now open.
    expect(wp.state().circuitOpen).toBe(true);
    await wp.notify(note(2));
    await wp.notify(note(3));
    const sentWhileOpen = seen.length;

    c.advance(60_000);
    await wp.flush();
    expect(seen.length).toBe(sentWhileOpen); // exactly 60 s: still open

    c.advance(1);
    script = [503];
    await wp.flush(); // half-open trial fails -> reopened, timer restarts
    expect(seen.length).toBe(sentWhileOpen + 1);
    expect(wp.state()).toMatchObject({ circuitOpen: true, queueDepth: 3, consecutiveFailures: 6 });
    c.advance(30_000);
    expect(await wp.notify(note(4))).toBe("queued");
    expect(seen.length).toBe(sentWhileOpen + 1);

    c.advance(30_001);
    seen.length = 0;
    await wp.flush();
    expect(blogs()).toEqual([1, 2, 3, 4]);
    expect(delivered).toEqual([1, 2, 3, 4]);
    expect(wp.state()).toEqual({ circuitOpen: false, queueDepth: 0, dropped: 0, consecutiveFailures: 0 });
  });

  test("a notify in half-open is the trial only after older queued items (order kept)", async () => {
    const { wp, clock: c } = client({ failureThreshold: 1 });
    script = [500];
    expect(await wp.notify(note(1, 2))).toBe("queued");
    expect(wp.state().circuitOpen).toBe(true);
    c.advance(60_001);
    seen.length = 0;
    expect(await wp.notify(note(1, 1))).toBe("delivered");
    expect(seen.map((s) => (JSON.parse(s.body) as WpcomNotification).status_id)).toEqual([2, 1]);
  });
});

describe("queue limit", () => {
  test("drops the oldest beyond maxQueue, counts them, settles them as dropped", async () => {
    const { wp, clock: c } = client({ failureThreshold: 1, maxQueue: 3 });
    script = [500];
    const outcomes = [await wp.notify(note(1))];
    for (let b = 2; b <= 5; b++) outcomes.push(await wp.notify(note(b)));
    expect(outcomes).toEqual(["queued", "queued", "queued", "queued", "queued"]);
    expect(wp.state()).toMatchObject({ queueDepth: 3, dropped: 2 });
    c.advance(60_001);
    seen.length = 0;
    await wp.flush();
    expect(blogs()).toEqual([3, 4, 5]);
    expect(wp.state()).toMatchObject({ queueDepth: 0, dropped: 2, circuitOpen: false });
  });

  test("default limit is 1000: 1001 queued keeps 1000 and drops blog 0", async () => {
    const lines: { msg: string; blog_id?: number }[] = [];
    const log = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s)) });
    const { wp } = client({ failureThreshold: 1, log });
    script = [500];
    const pending: Promise<string>[] = [];
    for (let b = 0; b <= 1000; b++) pending.push(wp.notify(note(b)));
    const outcomes = await Promise.all(pending);
    expect(wp.state()).toMatchObject({ queueDepth: 1000, dropped: 1 });
    expect(outcomes[0]).toBe("dropped");
    expect(outcomes.filter((o) => o === "queued")).toHaveLength(1000);
    expect(lines.filter((l) => l.msg === "wpcom queue full, notification dropped")).toEqual([
      expect.objectContaining({ blog_id: 0 }),
    ]);
  });
});

test("concurrent notifies are sent one at a time, in call order", async () => {
  const { wp } = client();
  const outcomes = await Promise.all([1, 2, 3, 4].map((b) => wp.notify(note(b))));
  expect(outcomes).toEqual(["delivered", "delivered", "delivered", "delivered"]);
  expect(blogs()).toEqual([1, 2, 3, 4]);
});

test("network error counts as a failure with the post notification prefix", async () => {
  const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = closed.port;
  closed.stop(true);
  const lines: { msg: string; err?: string }[] = [];
  const log = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s)) });
  const { wp } = client({ endpoint: `http://127.0.0.1:${port}/x`, log });
  expect(await wp.notify(note(1))).toBe("queued");
  expect(wp.state()).toMatchObject({ consecutiveFailures: 1, queueDepth: 1 });
  const failed = lines.find((l) => l.msg === "wpcom notify failed");
  expect(failed?.err).toStartWith("post notification: ");
});

test("status >= 400 is an error named with the code", async () => {
  const lines: { msg: string; err?: string }[] = [];
  const log = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s)) });
  const { wp } = client({ log });
  script = [400];
  expect(await wp.notify(note(1))).toBe("queued");
  expect(lines.find((l) => l.msg === "wpcom notify failed")?.err).toBe("wpcom returned 400");
});

test("a hanging receiver times out and counts as a failure", async () => {
  hang = true;
  const { wp } = client({ timeoutMs: 100 });
  expect(await wp.notify(note(1))).toBe("queued");
  expect(wp.state().consecutiveFailures).toBe(1);
});

test("an onDelivered that throws does not stop the queue", async () => {
  const { wp } = client({
    onDelivered: () => {
      throw new Error("boom");
    },
  });
  expect(await Promise.all([wp.notify(note(1)), wp.notify(note(2))])).toEqual(["delivered", "delivered"]);
  expect(blogs()).toEqual([1, 2]);
});

test("flush with an empty queue sends nothing", async () => {
  const { wp } = client();
  await wp.flush();
  expect(seen).toHaveLength(0);
});

/**
 * The fleet page in a real browser: Debian's chromium driven by playwright-core, reading a
 * seeded MariaDB through the real routes. Skipped, with a message, only when chromium is absent.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import type { Page } from "playwright-core";
import { createFleetRoutes } from "../../src/fleet/routes.ts";
import { NEXT_ACTIONS } from "../../src/fleet/summary.ts";
import { silentLogger } from "../../src/log.ts";
import {
  chromiumAvailable,
  type HeadlessChromium,
  launchHeadlessChromium,
  until,
} from "../support/browser.ts";
import { useTestDatabase } from "../support/db.ts";
import { greenFleet, seedFleet } from "./seed.ts";
import { ago, NOW } from "./support.ts";

const haveChromium = chromiumAvailable("fleet browser test");

const t = useTestDatabase();

let server: ReturnType<typeof Bun.serve> | undefined;
let browser: HeadlessChromium | undefined;
let page: Page;
let base = "";
const requested: string[] = [];

describe.skipIf(!haveChromium)("fleet page in headless chromium", () => {
  beforeAll(async () => {
    const seed = greenFleet();
    // host-b went quiet while running (stale → red); the deliverer reports red health.
    seed.processes = seed.processes.map((p) =>
      p.host_id === "host-b"
        ? { ...p, ageSec: 300 }
        : p.host_id === "host-c"
          ? {
              ...p,
              health_status: "red",
              dependency_health: [
                {
                  name: "mysql",
                  status: "red",
                  last_error: "<b>access denied</b>",
                  checked_at: "2026-04-30T12:00:00Z",
                },
              ],
            }
          : p,
    );
    await seedFleet(t.db, seed);
    const app = new Elysia()
      .get(
        "/",
        () =>
          new Response("<!doctype html><title>Jetmon 2 - Host Dashboard</title><p>host page</p>", {
            headers: { "content-type": "text/html; charset=utf-8" },
          }),
      )
      .use(
        createFleetRoutes({
          db: t.db,
          now: () => NOW,
          options: { bucketTotal: 10, heartbeatGraceSec: 60 },
          log: silentLogger,
        }),
      );
    server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => app.handle(req) });
    base = `http://127.0.0.1:${server.port}`;
    browser = await launchHeadlessChromium();
    page = browser.page;
    page.on("request", (r) => requested.push(r.url()));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop(true);
  });

  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text, as the operator sees it
  const text = (sel: string) => page.locator(sel).innerText();

  test("loads and shows the seeded red processes", async () => {
    await page.goto(`${base}/fleet`);
    expect(await page.title()).toBe("Jetmon 2 - Fleet Dashboard");
    await until("the first snapshot", async () => (await text("#summary-pill")).toLowerCase() === "red");
    expect(await page.locator("#summary-pill").getAttribute("class")).toBe("pill red");
    expect(await text("#summary-title")).toBe("fleet has rollout-blocking issues");
    expect(await text("#summary-next")).toBe(
      "next: Investigate stale process heartbeats before advancing rollout or relying on fleet status.",
    );
    expect(await text("#summary-issues")).toContain("host-b:monitor heartbeat stale age=300s");
    expect(await page.locator("#summary-issues li.red").count()).toBe(2);
    expect(await text("#process-count")).toBe("processes: 3");
    expect(await text("#stale")).toBe("1");
    expect(await text("#monitors")).toBe("2");

    const first = page.locator("#process-rows tr").first();
    expect(await first.locator("td").nth(0).textContent()).toBe("host-b:monitor");
    expect(await first.locator("td").nth(1).textContent()).toBe("green stale");
    expect(await first.locator("td").nth(1).getAttribute("class")).toBe("red");
    const second = page.locator("#process-rows tr").nth(1);
    expect(await second.locator("td").nth(0).textContent()).toBe("host-c:deliverer");
    expect(await second.locator("td").nth(1).getAttribute("class")).toBe("red");
    expect(await text("#process-rows")).toContain("rss=90MB go=40MB");

    // Row data is text, never markup.
    expect(await text("#dependency-rows")).toContain("<b>access denied</b>");
    expect(await page.locator("#dependency-rows b").count()).toBe(0);
    expect(await text("#veriflier-rows")).toContain("veriflier:v1");
    expect(await text("#bucket-rows")).toContain("host-a");
    expect(await text("#coverage")).toBe("green");
    expect(await text("#posture-detail")).toBe("delivery owner is constrained to host-a");
    await until("the fetch status", async () => (await text("#fetch-status")).startsWith("fetch: live"));

    // Everything came from this server: no CDN, no fonts, nothing else.
    expect(requested.filter((u) => !u.startsWith(base))).toEqual([]);
  });

  test("shows when the fetch fails, then recovers on the next poll", async () => {
    await page.route("**/api/fleet", (route) =>
      route.fulfill({ status: 500, contentType: "text/plain", body: "fleet dashboard query failed\n" }),
    );
    await page.reload();
    await until("the failure", async () => (await text("#summary-title")) === "fleet dashboard unavailable");
    expect((await text("#summary-pill")).toLowerCase()).toBe("red");
    expect(await text("#summary-issues")).toBe("HTTP 500: fleet dashboard query failed");
    expect(await text("#fetch-status")).toStartWith("fetch failed");
    await page.unroute("**/api/fleet");
    // The page polls every 5 s, so recovery comes with the next poll.
    await until("recovery", async () => (await text("#fetch-status")).startsWith("fetch: live"));
    expect(await text("#summary-title")).toBe("fleet has rollout-blocking issues");
  }, 20_000);

  test("readable on a phone and on a 1080p screen: no page-wide horizontal scrolling", async () => {
    for (const size of [
      { width: 375, height: 740 },
      { width: 1920, height: 1080 },
    ]) {
      await page.setViewportSize(size);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow).toBeLessThanOrEqual(0);
    }
  });

  test("a drained process is stopped and counted, not an issue; a joining host's overlap is amber", async () => {
    const seed = greenFleet();
    const a = seed.processes[0]!;
    seed.processes = [
      a,
      // host-b joined 10 s ago and claimed 5-9; host-a still holds 0-9 until its next claim.
      { ...seed.processes[1]!, started_at: ago(10) },
      // host-d drained two minutes ago (past the 60 s grace): it wrote `stopped` itself.
      { ...a, host_id: "host-d", state: "stopped", health_status: "amber", ageSec: 120 },
    ];
    seed.hosts = [
      { host_id: "host-a", min: 0, max: 9 },
      { host_id: "host-b", min: 5, max: 9, ageSec: 1 },
    ];
    await seedFleet(t.db, seed);
    await page.setViewportSize({ width: 1280, height: 900 });
    // Its own server with no snapshot cache, so the first poll reads this seed.
    const fresh = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) =>
        createFleetRoutes({
          db: t.db,
          now: () => NOW,
          options: { bucketTotal: 10, heartbeatGraceSec: 60, cacheTtlMs: -1 },
          log: silentLogger,
        }).handle(req),
    });
    await page.goto(`http://127.0.0.1:${fresh.port}/fleet`);
    await until("the amber snapshot", async () => (await text("#summary-pill")).toLowerCase() === "amber");
    expect(await text("#stopped")).toBe("1");
    expect(await text("#summary-next")).toBe(`next: ${NEXT_ACTIONS.coverageSettling}`);
    const issues = await text("#summary-issues");
    expect(issues).toContain(
      'bucket coverage: dynamic bucket coverage settling: host "host-b" joined 10s ago',
    );
    expect(issues).not.toContain("host-d");
    expect(await page.locator("#summary-issues li.red").count()).toBe(0);
    const row = page.locator("#process-rows tr", { hasText: "host-d:monitor" });
    expect(await row.locator("td").nth(1).textContent()).toBe("stopped");
    expect(await row.locator("td").nth(1).getAttribute("class")).toBe("stopped");
    expect(await text("#coverage")).toBe("amber");
    // The link back is the accent colour (about 9:1 on the page background), not browser blue.
    const color = await page
      .locator('a[href="/"]')
      .first()
      .evaluate((e) => getComputedStyle(e).color);
    expect(color).toBe("rgb(119, 183, 217)");
    await page.goto(`${base}/fleet`);
    await fresh.stop(true);
  }, 20_000);

  test("links back to the host page", async () => {
    await page.click('a[href="/"]');
    await page.waitForURL(`${base}/`);
    expect(await page.title()).toBe("Jetmon 2 - Host Dashboard");
  });
});

/**
 * The page in a real browser: Debian's chromium driven by playwright-core. Skipped, with a
 * message, only when chromium is not installed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { createDashboardApp, type RunningDashboard, startDashboard } from "../../src/dashboard/app.ts";
import { rolloutCommands } from "../../src/dashboard/commands.ts";
import { DashboardHub } from "../../src/dashboard/hub.ts";
import type { HostHealth, HostState } from "../../src/dashboard/state.ts";
import { silentLogger } from "../../src/log.ts";
import {
  chromiumAvailable,
  type HeadlessChromium,
  launchHeadlessChromium,
  until,
} from "../support/browser.ts";

const haveChromium = chromiumAvailable("dashboard browser test");

const NOW = () => new Date().toISOString();
let state: Partial<HostState> | null = null;
let health: HostHealth | null = null;
const hub = new DashboardHub();
const app = createDashboardApp({
  getState: () => state,
  getHealth: () => health,
  commands: () => rolloutCommands({ pinned: { min: 0, max: 99 }, bucketTotal: 1000 }),
  events: hub,
  log: silentLogger,
});

function publish(s: Partial<HostState>) {
  state = { hostname: "jetmon-v2-a", updated_at: NOW(), ...s };
  hub.publish(state as HostState);
}

const baseState: Partial<HostState> = {
  worker_count: 24,
  active_checks: 3,
  queue_depth: 12,
  retry_queue_size: 1,
  held_results: 0,
  sites_per_sec: 173,
  round_duration_ms: 8500,
  bucket_min: 0,
  bucket_max: 99,
  bucket_ownership: "pinned range=0-99",
  bucket_total: 1000,
  go_sys_mem_mb: 91,
  rss_mem_mb: 120,
  legacy_status_projection_enabled: true,
  delivery_workers_enabled: true,
  delivery_config_eligible: true,
  delivery_owner_host: "jetmon-v2-a",
};

const greenHealth = (): HostHealth => [
  { name: "mysql", status: "green", latency_ms: 2, checked_at: NOW() },
  { name: "wpcom", status: "green", checked_at: NOW() },
];

let server: RunningDashboard | undefined;
let browser: HeadlessChromium | undefined;
let page: Page;

describe.skipIf(!haveChromium)("host dashboard page in headless chromium", () => {
  beforeAll(async () => {
    publish(baseState);
    health = greenHealth();
    server = startDashboard({ bindAddr: "127.0.0.1", port: 0, app });
    browser = await launchHeadlessChromium();
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text, as the operator sees it
  const text = (sel: string) => page.locator(sel).innerText();

  test("loads; the pill shows the server's summary status", async () => {
    await page.goto(`http://127.0.0.1:${server!.port}/`);
    expect(await page.title()).toBe("Jetmon 2 - Host Dashboard");
    await until("the first summary", async () => (await text("#summary-pill")).toLowerCase() === "green");
    expect(await page.locator("#summary-pill").getAttribute("class")).toBe("pill green");
    expect(await text("#summary-title")).toBe("host checks are green");
    expect(await text("#summary-detail")).toBe("dependencies green=2 amber=0 red=0");
    expect(await text("#workers")).toBe("24");
    expect(await text("#round")).toBe("8.5s");
    expect(await text("#buckets")).toBe("0-99");
    expect(await text("#go-sys")).toBe("91MB");
    expect(await text("#rss-mem")).toBe("120MB");
    expect(await text("#delivery-eligible")).toBe("eligible");
    expect(await text("#wpcom")).toBe("closed");
    expect(await text("#uncovered")).toBe("none");
    expect(await text("#cutover")).toBe("./jetmon2 rollout cutover-check --since=15m");
    expect(await text("#host")).toBe("host: jetmon-v2-a");
    expect(await text("#health")).toContain("mysql: green 2ms");
    await until("the stream to be live", async () => (await text("#stream")) === "stream: live");
  });

  test("values wrap only between tokens; the fleet link is readable on the dark background", async () => {
    expect(await text("#ownership")).toBe("pinned range=0-99");
    const spans = page.locator("#ownership .tok");
    expect(await spans.count()).toBe(2);
    expect(await spans.first().evaluate((e) => getComputedStyle(e).whiteSpace)).toBe("nowrap");
    const color = await page.locator('a[href="/fleet"]').evaluate((e) => getComputedStyle(e).color);
    expect(color).toBe("rgb(119, 183, 217)"); // --accent #77b7d9: about 9:1 on #0f1316
  });

  test("an SSE update changes a figure", async () => {
    publish({ ...baseState, worker_count: 42, sites_per_sec: 999 });
    await until("the new worker count", async () => (await text("#workers")) === "42");
    expect(await text("#sps")).toBe("999");
  });

  test("a red dependency appears in the issues list and turns the pill red", async () => {
    health = [
      ...greenHealth(),
      { name: "statsd", status: "red", last_error: "EHOSTUNREACH", checked_at: NOW() },
    ];
    publish({ ...baseState, worker_count: 43 });
    await until("the red pill", async () => (await text("#summary-pill")).toLowerCase() === "red");
    expect(await text("#summary-issues")).toContain("statsd red: EHOSTUNREACH");
    expect(await page.locator("#summary-issues li.red").count()).toBe(1);
    expect(await text("#health")).toContain("statsd: red - EHOSTUNREACH");
  });

  test("uncovered buckets show red", async () => {
    publish({ ...baseState, uncovered_buckets: 500, uncovered_bucket_ranges: "500-999" });
    await until("the coverage issue", async () =>
      (await text("#summary-issues")).includes("buckets red: 500 of 1000"),
    );
    expect(await text("#uncovered")).toBe("500 (500-999)");
  });

  test("the check history mode says what jetmon_check_history holds", async () => {
    expect(await text("#history")).toBe("-");
    publish({
      ...baseState,
      check_history_mode: "changes",
      check_history:
        "changes: failures, state changes and one sample per site per 15 min; the API's response-time and timing-breakdown cover those rows only",
    });
    await until("the history line", async () => (await text("#history")).startsWith("changes:"));
    expect(await text("#history")).toBe(
      "changes: failures, state changes and one sample per site per 15 min; the API's response-time and timing-breakdown cover those rows only",
    );
  });

  test("shows when the stream is lost and reconnects", async () => {
    const port = server!.port;
    await server!.stop();
    await until("the lost-stream notice", async () => (await text("#stream")).startsWith("stream lost"));
    await until("the not-answering summary", async () =>
      /^monitor not answering since \d\d:\d\d:\d\d UTC$/.test(await text("#summary-title")),
    );
    // The old figures stay, dimmed.
    expect(await page.locator("body").getAttribute("class")).toContain("stale");
    expect(
      Number(
        await page
          .locator(".grid")
          .first()
          .evaluate((e) => getComputedStyle(e).opacity),
      ),
    ).toBeLessThan(1);
    server = startDashboard({ bindAddr: "127.0.0.1", port, app });
    await until("the stream to come back", async () => (await text("#stream")) === "stream: live");
    await until(
      "the figures to brighten",
      async () => !((await page.locator("body").getAttribute("class")) ?? "").includes("stale"),
    );
    publish({ ...baseState, worker_count: 77 });
    await until("an update after reconnecting", async () => (await text("#workers")) === "77");
  });

  test("readable on a phone and on a 1080p screen: no horizontal scrolling", async () => {
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
});

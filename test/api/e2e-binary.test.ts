/**
 * The API end to end against the compiled binary (issue 13): a key made with `jetmon2 keys
 * create`, `jetmon2 --mode=monitor` serving API_PORT, a site with a keyword, a forbidden keyword,
 * custom headers and a maintenance window created over HTTP, failures induced on a loopback
 * fixture site and read back through the events filters and cursor paging, trigger-now, and a
 * soft delete closing the open event with manual_override.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "../../build.ts";
import type { DbSettings } from "../../src/db/pool.ts";
import { createDatabase, dropDatabase } from "../support/db.ts";
import { type SiteFixture, startSiteFixture } from "../support/sites.ts";

let dir: string;
let bin: string;
let db: DbSettings;
let fixture: SiteFixture;
let wpcom: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "jetmon2-api-e2e-"));
  [bin] = (await build({ hostOnly: true, outdir: join(dir, "dist") })) as [string];
  db = await createDatabase("jtapie2e");
  fixture = await startSiteFixture({ addresses: 1 });
  wpcom = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json({ success: true }) });
}, 180_000);

afterAll(async () => {
  wpcom?.stop(true);
  await fixture?.stop();
  if (db) await dropDatabase(db.database);
  rmSync(dir, { recursive: true, force: true });
});

/** A free port in this suite's range (21000-21999). */
function apiPort(): number {
  for (let i = 0; i < 50; i++) {
    const port = 21000 + Math.floor(Math.random() * 1000);
    try {
      Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } }).stop(true);
      return port;
    } catch {}
  }
  throw new Error("no free port in 21000-21999");
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(150);
  }
}

interface Event {
  id: number;
  blog_id: number;
  check_type: string;
  state: string;
  started_at: string;
  ended_at: string | null;
  resolution_reason: string | null;
  metadata: { error_code?: number; http_code?: number; forbidden_keyword?: string };
  transitions?: { reason: string }[];
}
interface Page<T> {
  data: T[];
  page: { next: string | null; limit: number };
}

describe("the API in the compiled binary", () => {
  it("drives a monitor end to end: key, site, failure, events, trigger-now, soft delete", async () => {
    const env = {
      PATH: process.env.PATH ?? "",
      DB_HOST: db.host,
      DB_PORT: String(db.port),
      DB_USER: db.user,
      DB_PASSWORD: db.password,
      DB_NAME: db.database,
    };
    const cwd = mkdtempSync(join(dir, "mon-"));
    const runBin = (args: string[]) => {
      const p = Bun.spawnSync([bin, ...args], { cwd, env });
      return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
    };
    expect(runBin(["migrate"]).code).toBe(0);

    // 1. A key from the CLI: the token is the last line, shown once.
    const created = runBin(["keys", "create", "--consumer=e2e", "--scope=write", "--rate-limit=600"]);
    expect(created.code).toBe(0);
    expect(created.out).toContain('for consumer="e2e" scope=write rate=600/min');
    const token = created.out.trim().split("\n").at(-1) as string;
    expect(token).toMatch(/^jm_[A-Z2-7]{52}$/);

    // 2. The monitor with its API, a 1 s site refresh and 1 s checks.
    const port = apiPort();
    const config = join(cwd, "config.json");
    await Bun.write(
      config,
      JSON.stringify({
        AUTH_TOKEN: "t",
        API_PORT: port,
        DASHBOARD_PORT: 0,
        STATSD_ADDR: "",
        SITE_REFRESH_INTERVAL_SEC: 1,
        CHECK_INTERVAL_SEC: 1,
        TIME_BETWEEN_CHECKS_SEC: 1,
        NUM_OF_CHECKS: 2,
        NET_COMMS_TIMEOUT: 2,
        ALERT_COOLDOWN_MINUTES: 0,
        BUCKET_TARGET: 1000,
        WORKER_MAX_MEM_MB: 0,
        WPCOM_STATUS_ENDPOINT: `http://127.0.0.1:${wpcom.port}/status`,
        DATA_DIR: join(cwd, "data"),
      }),
    );
    const proc = Bun.spawn([bin, "--mode=monitor", "--config", config], {
      cwd,
      env: { ...env, JETMON_PID_FILE: join(cwd, "pid"), JETMON_HOSTNAME: "api-e2e" },
      stdout: "pipe",
      stderr: "pipe",
    });
    // Keep draining the log pipe: a full pipe would block the monitor's logger.
    const logs = new Response(proc.stdout).text();
    const errs = new Response(proc.stderr).text();
    const base = `http://127.0.0.1:${port}/api/v1`;
    const api = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    };
    try {
      await waitFor("the API", async () =>
        (await fetch(`${base}/health`)).status === 200 ? true : undefined,
      );
      expect((await api("GET", "/me")).body).toMatchObject({ consumer_name: "e2e", scope: "write" });

      // 3. The site over HTTP: keyword, forbidden keyword, custom headers, maintenance window
      // (tomorrow: checks run and alert as normal today). The page carries the forbidden text.
      fixture.set("e2e", { kind: "ok", body: "Welcome to the shop. Fatal error: plugin crashed" });
      const t0 = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, "Z");
      const day = 86_400_000;
      const mStart = new Date(Math.ceil(Date.now() / 1000) * 1000 + day).toISOString().replace(".000Z", "Z");
      const mEnd = new Date(Date.parse(mStart) + 7_200_000).toISOString().replace(".000Z", "Z");
      const site = await api("POST", "/sites", {
        blog_id: 4242,
        monitor_url: fixture.url("e2e"),
        check_keyword: "Welcome",
        forbidden_keyword: "Fatal error",
        forbidden_keywords: ["Database error"],
        custom_headers: { "X-Probe": "jetmon-e2e" },
        maintenance_start: mStart,
        maintenance_end: mEnd,
      });
      expect(site.status).toBe(201);
      expect(site.body).toMatchObject({
        blog_id: 4242,
        check_keyword: "Welcome",
        forbidden_keyword: "Fatal error",
        forbidden_keywords: ["Database error"],
        custom_headers: { "X-Probe": "jetmon-e2e" },
        maintenance_start: mStart,
        maintenance_end: mEnd,
      });

      // 4. The monitor picks it up within a refresh, sends the custom header, and the forbidden
      // text opens an http event with error_code 5 (Keyword) and the page's http_code.
      const first = await waitFor("the first event", async () => {
        const r = await api<Page<Event>>("GET", "/sites/4242/events?active=true");
        return r.body.data[0];
      });
      expect(fixture.lastHeaders("e2e")["x-probe"]).toBe("jetmon-e2e");
      expect(first).toMatchObject({ blog_id: 4242, check_type: "http", ended_at: null });
      expect(first.metadata).toMatchObject({
        error_code: 5,
        http_code: 200,
        forbidden_keyword: "Fatal error",
      });

      // 5. The page recovers: the monitor closes the event; then a 500 opens a second one.
      fixture.set("e2e", { kind: "ok", body: "Welcome to the shop." });
      await waitFor("the first event to close", async () => {
        const r = await api<Event>("GET", `/events/${first.id}`);
        return r.body.ended_at ? true : undefined;
      });
      fixture.set("e2e", { kind: "status", status: 500, body: "Welcome" });
      const second = await waitFor("the second event", async () => {
        const r = await api<Page<Event>>("GET", "/sites/4242/events?active=true");
        const e = r.body.data[0];
        return e && e.id !== first.id ? e : undefined;
      });
      expect(second.metadata).toMatchObject({ http_code: 500 });
      expect(typeof second.metadata.error_code).toBe("number");

      // 6. Filters.
      const ids = async (query: string) => {
        const r = await api<Page<Event>>("GET", `/sites/4242/events?${query}`);
        expect(r.status).toBe(200);
        return r.body.data.map((e) => e.id);
      };
      expect(await ids("active=true")).toEqual([second.id]);
      expect(await ids("active=false")).toEqual([first.id]);
      expect(await ids(`check_type=http&started_at__gte=${t0}`)).toEqual([second.id, first.id]);
      expect(await ids("check_type__in=http,tls_expiry")).toEqual([second.id, first.id]);
      expect(await ids("check_type=tls_expiry")).toEqual([]);
      expect(await ids(`started_at__gte=${mStart}`)).toEqual([]);
      expect(await ids(`started_at__lt=${t0}`)).toEqual([]);
      const now = await api<Event>("GET", `/events/${second.id}`);
      expect(await ids(`state=${encodeURIComponent(now.body.state)}&active=true`)).toEqual([second.id]);
      expect(await ids("state__in=Up,Warning")).toEqual([]);
      const bad = await api<{ error: { code: string } }>(
        "GET",
        "/sites/4242/events?started_at__gte=yesterday",
      );
      expect([bad.status, bad.body.error.code]).toEqual([400, "invalid_started_at__gte"]);

      // 7. Cursor paging, one event a page, newest first.
      const p1 = await api<Page<Event>>("GET", `/sites/4242/events?limit=1&started_at__gte=${t0}`);
      expect(p1.body.data.map((e) => e.id)).toEqual([second.id]);
      expect(p1.body.page).toMatchObject({ limit: 1 });
      expect(p1.body.page.next).toBeString();
      const p2 = await api<Page<Event>>(
        "GET",
        `/sites/4242/events?limit=1&started_at__gte=${t0}&cursor=${p1.body.page.next}`,
      );
      expect(p2.body.data.map((e) => e.id)).toEqual([first.id]);
      expect(p2.body.page.next).toBeNull();

      // 8. trigger-now runs a real check: the fixture is hit and the 500 comes back.
      const hits = fixture.hits("e2e");
      const trig = await api<{
        result: { success: boolean; http_code: number };
        active_events_closed: number[];
      }>("POST", "/sites/4242/trigger-now");
      expect(trig.status).toBe(200);
      expect(trig.body.result).toMatchObject({ success: false, http_code: 500 });
      expect(trig.body.active_events_closed).toEqual([]);
      expect(fixture.hits("e2e")).toBeGreaterThan(hits);

      // 9. Soft delete: 204, the open event closed with manual_override, monitor_active false,
      // and the monitor drops the site at its next refresh (no new event afterwards).
      expect((await api("DELETE", "/sites/4242")).status).toBe(204);
      const closed = await api<Event>("GET", `/sites/4242/events/${second.id}`);
      expect(closed.body.ended_at).not.toBeNull();
      expect(closed.body.resolution_reason).toBe("manual_override");
      expect(closed.body.transitions?.at(-1)?.reason).toBe("manual_override");
      expect((await api("GET", "/sites/4242")).body).toMatchObject({
        monitor_active: false,
        active_event_id: null,
      });
      await Bun.sleep(3000); // three site refreshes
      expect(await ids("active=true")).toEqual([]);
      const after = fixture.hits("e2e");
      await Bun.sleep(2000); // two check intervals: no check of a deleted site
      expect(fixture.hits("e2e")).toBe(after);
    } finally {
      proc.kill("SIGTERM");
      const code = await proc.exited;
      const out = await logs;
      const err = await errs;
      if (code !== 0) console.error(out.slice(-4000), err.slice(-2000));
      expect(code).toBe(0);
    }
  }, 120_000);
});

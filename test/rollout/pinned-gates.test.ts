/**
 * pinned-check, host-preflight, cutover-check and rollback-check against a seeded database:
 * each passes on a clean pinned range and fails on each criterion.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { useTestDatabase } from "../support/db.ts";
import {
  pinned,
  resetTables,
  rolloutConfig,
  runner,
  seedHost,
  seedOpenEvent,
  seedSites,
  spread,
} from "./harness.ts";

const t = useTestDatabase();
const empty = useTestDatabase({ migrate: false });
const run = runner(() => t.db);

beforeEach(() => resetTables(t.db));

const CFG = pinned(12, 34, { BUCKET_TOTAL: 100 });

/** The units this project ships, as host-preflight finds them installed. */
const shipped = (name: string) => readFileSync(join(import.meta.dir, "../../deploy/systemd", name), "utf8");
const INSTALLED = {
  "/etc/systemd/system/jetmon2.service": shipped("jetmon2.service"),
  "/etc/systemd/system/jetmon2-deliverer.service": shipped("jetmon2-deliverer.service"),
  "/etc/systemd/system/jetmon2-veriflier.service": shipped("jetmon2-veriflier.service"),
};

describe("rollout pinned-check", () => {
  test("a clean pinned range passes (§2.16)", async () => {
    await seedSites(t.db, spread(12, 34, 37, 1));
    const r = await run(["pinned-check", "--host=host-a"], { cfg: CFG });
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out).toEqual([
      "PASS config parse",
      "PASS db connect",
      "PASS pinned_range=12-34",
      "PASS legacy_status_projection=enabled",
      "PASS api_port=disabled",
      'PASS jetmon_hosts row absent host="host-a"',
      "PASS jetmon_hosts overlap=0",
      "INFO active_sites_in_pinned_range=37",
      "PASS legacy_projection_drift=0",
      "pinned rollout check passed",
    ]);
  });

  test("host defaults to the hostname; an override is trimmed; API on and an empty range warn", async () => {
    const r = await run(["pinned-check"], { cfg: pinned(12, 34, { BUCKET_TOTAL: 100, API_PORT: 8090 }) });
    expect(r.code).toBe(0);
    expect(r.out).toContain('PASS jetmon_hosts row absent host="v2-host"');
    expect(r.out).toContain(
      "WARN api_port=8090; confirm the API/delivery ownership plan before monitor cutover",
    );
    expect(r.out).toContain(
      "WARN active_sites_in_pinned_range=0; confirm this v1 host range is intentionally empty",
    );
    const o = await run(["pinned-check", "--host", " override-host "], { cfg: CFG });
    expect(o.out).toContain('PASS jetmon_hosts row absent host="override-host"');
  });

  test.each([
    ["not pinned", rolloutConfig({ BUCKET_TOTAL: 100 }), "pinned bucket range is not configured"],
    [
      "projection off",
      pinned(12, 34, { LEGACY_STATUS_PROJECTION_ENABLE: false }),
      "LEGACY_STATUS_PROJECTION_ENABLE must be true",
    ],
  ])("%s fails", async (_name, cfg, message) => {
    const r = await run(["pinned-check", "--host=host-a"], { cfg });
    expect(r.code).toBe(1);
    expect(r.err[0]).toStartWith("FAIL ");
    expect(r.err[0]).toContain(message);
  });

  test("the host's own jetmon_hosts row fails", async () => {
    await seedHost(t.db, "host-a", 50, 60);
    const r = await run(["pinned-check", "--host=host-a"], { cfg: CFG });
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      'FAIL host "host-a" still has a jetmon_hosts row; pinned hosts must not participate in dynamic bucket ownership',
    ]);
  });

  test("an overlapping dynamic row fails and is listed", async () => {
    await seedHost(t.db, "host-b", 0, 15);
    await seedHost(t.db, "host-c", 30, 40, { status: "draining" });
    const r = await run(["pinned-check", "--host=host-a"], { cfg: CFG });
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      "FAIL jetmon_hosts has 2 row(s) overlapping pinned range 12-34: host-b=0-15 status=active, host-c=30-40 status=draining",
    ]);
  });

  test("drift in the pinned range fails", async () => {
    const [a, b] = await seedSites(t.db, [
      { bucket: 12, status: 1 },
      { bucket: 20, status: 0 },
    ]);
    await seedOpenEvent(t.db, a!, "Down");
    void b; // site_status 0 without an open event
    const r = await run(["pinned-check", "--host=host-a"], { cfg: CFG });
    expect(r.code).toBe(1);
    expect(r.err).toEqual(["FAIL legacy projection drift=2 in pinned range 12-34"]);
  });

  test("query errors name the query", async () => {
    const r = await run(["pinned-check", "--host=host-a"], { cfg: CFG, db: empty.db });
    expect(r.code).toBe(1);
    expect(r.err[0]).toStartWith('FAIL check jetmon_hosts row for "host-a": ');
    expect(r.err[0]).toContain("jetmon_hosts");
  });

  test("config and db failures", async () => {
    const c = await run(["pinned-check"], { configError: "open config: x.json: no such file or directory" });
    expect(c).toMatchObject({
      code: 1,
      out: [],
      err: ["FAIL config parse: open config: x.json: no such file or directory"],
    });
    const d = await run(["pinned-check"], { cfg: CFG, dbError: "connection refused" });
    expect(d).toMatchObject({
      code: 1,
      out: ["PASS config parse"],
      err: ["FAIL db connect: connection refused"],
    });
  });
});

describe("rollout host-preflight", () => {
  const PLAN = "host,bucket_min,bucket_max\njetmon-v1-a,0,4\njetmon-v1-b,5,9\n";
  const cfg = pinned(0, 4, { BUCKET_TOTAL: 10 });
  const args = [
    "host-preflight",
    "--file=ranges.csv",
    "--host=jetmon-v1-a",
    "--runtime-host=v2-a",
    "--bucket-min=0",
    "--bucket-max=4",
  ];
  const files: Record<string, string> = {
    "ranges.csv": PLAN,
    ...INSTALLED,
    "/etc/systemd/system/jetmon2-canary.service": shipped("jetmon2.service"),
    "/tmp/x.service": shipped("jetmon2.service"),
    "/tmp/bad.service": shipped("jetmon2.service"),
  };

  test("passes with plan, pinned safety and a verified unit (§2.16)", async () => {
    await seedSites(t.db, spread(0, 4, 5, 1));
    const units: string[] = [];
    const r = await run(args, {
      cfg,
      files,
      systemd: (u) => {
        units.push(u);
        return { output: "unit\n  verified\n" };
      },
    });
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(units).toEqual(["/etc/systemd/system/jetmon2.service"]);
    expect(r.out).toEqual([
      "PASS config parse",
      "PASS db connect",
      "## static bucket plan",
      "",
      "PASS static_plan_file=ranges.csv ranges=2",
      "PASS static_bucket_coverage=0-9 hosts=2",
      'PASS static_plan_host="jetmon-v1-a" range=0-4',
      "static rollout plan check passed",
      "## pinned pre-stop safety",
      "",
      "PASS pinned_range_matches_request=0-4",
      "PASS pinned_range=0-4",
      "PASS legacy_status_projection=enabled",
      "PASS api_port=disabled",
      'PASS jetmon_hosts row absent host="v2-a"',
      "PASS jetmon_hosts overlap=0",
      "INFO active_sites_in_pinned_range=5",
      "PASS legacy_projection_drift=0",
      "pinned rollout check passed",
      "## systemd unit",
      "",
      "PASS systemd_unit=/etc/systemd/system/jetmon2.service",
      "INFO systemd_verify=unit verified",
      "PASS systemd_unit_expectations=/etc/systemd/system/jetmon2.service mode=monitor config=/etc/jetmon2/config.json working_directory=/var/lib/jetmon2 kill_signal=SIGTERM timeout_stop_sec=35s exec_reload=jetmon2-reload",
      "PASS systemd_unit_expectations=/etc/systemd/system/jetmon2-canary.service mode=monitor config=/etc/jetmon2/config.json working_directory=/var/lib/jetmon2 kill_signal=SIGTERM timeout_stop_sec=35s exec_reload=jetmon2-reload",
      "PASS systemd_unit_expectations=/etc/systemd/system/jetmon2-deliverer.service mode=deliverer config=/etc/jetmon2/config.json working_directory=/var/lib/jetmon2 kill_signal=SIGTERM timeout_stop_sec=35s exec_reload=kill-HUP",
      "PASS systemd_unit_expectations=/etc/systemd/system/jetmon2-veriflier.service mode=veriflier config=/etc/jetmon2/veriflier.json working_directory=/var/lib/jetmon2 kill_signal=SIGTERM timeout_stop_sec=35s exec_reload=none",
      "PASS pre_stop_gate=ready",
      "host preflight passed",
    ]);
  });

  test("--skip-systemd does not call systemd; --service and --systemd-unit pick the unit", async () => {
    const skipped = await run([...args, "--skip-systemd"], {
      cfg,
      files,
      systemd: () => {
        throw new Error("must not be called");
      },
    });
    expect(skipped.code).toBe(0);
    expect(skipped.out).toContain("INFO systemd_verify=skipped reason=operator");
    const units: string[] = [];
    const svc = await run([...args, "--service=jetmon2-canary"], {
      cfg,
      files,
      systemd: (u) => {
        units.push(u);
        return { output: "" };
      },
    });
    expect(svc.code).toBe(0);
    await run([...args, "--systemd-unit=/tmp/x.service"], {
      cfg,
      files,
      systemd: (u) => {
        units.push(u);
        return { output: "" };
      },
    });
    expect(units).toEqual(["/etc/systemd/system/jetmon2-canary.service", "/tmp/x.service"]);
  });

  test.each([
    [["--host="], "--host is required"],
    [["--bucket-min=-1"], "--bucket-min and --bucket-max are required"],
    [["--bucket-min=4", "--bucket-max=3"], "--bucket-max must be >= --bucket-min"],
    [["--bucket-total=-5"], "bucket-total must be > 0"],
    [["--bucket-min=1"], 'host "jetmon-v1-a" has bucket range 0-4 in plan, want 1-4'],
    [["--host=jetmon-v1-z"], 'host "jetmon-v1-z" is not present in static bucket plan'],
    [["--bucket-total=20"], "static bucket plan has trailing gap 10-19"],
  ])("flags %p fail: %s", async (extra, message) => {
    const r = await run([...args, ...extra], { cfg, files });
    expect(r.code).toBe(1);
    expect(r.err[0]).toStartWith("FAIL ");
    expect(r.err[0]).toContain(message);
  });

  test("plan and request 0-5 against config 0-4 fails", async () => {
    const plan = "a,0,5\nb,6,9\n";
    const r = await run(["host-preflight", "--file=p.csv", "--host=a", "--bucket-min=0", "--bucket-max=5"], {
      cfg,
      files: { "p.csv": plan },
    });
    expect(r.err).toEqual(["FAIL config pinned range 0-4 does not match requested bucket range 0-5"]);
  });

  test("a dynamic config fails the pinned section", async () => {
    const r = await run(args, { cfg: rolloutConfig(), files });
    expect(r.err[0]).toContain("pinned bucket range is not configured");
  });

  test("the v2 host owning a jetmon_hosts row fails", async () => {
    await seedHost(t.db, "v2-a", 5, 9);
    const r = await run(args, { cfg, files });
    expect(r.err[0]).toContain('host "v2-a" still has a jetmon_hosts row');
  });

  test("systemd failure carries the output", async () => {
    const r = await run([...args, "--systemd-unit=/tmp/bad.service"], {
      cfg,
      files,
      systemd: () => ({ output: "bad.service: Unknown   key\n", error: "exit status 1" }),
    });
    expect(r.err).toEqual([
      "FAIL systemd-analyze verify /tmp/bad.service: exit status 1: bad.service: Unknown key",
    ]);
  });

  test("--file=- and a missing file fail before config and DB", async () => {
    const stdin = await run(["host-preflight", "--file=-", "--host=a", "--bucket-min=0", "--bucket-max=4"], {
      configError: "never loaded",
    });
    expect(stdin.err).toEqual([
      "FAIL --file=- is not supported for host-preflight; pass a reusable CSV path",
    ]);
    const missing = await run(
      ["host-preflight", "--file=nope.csv", "--host=a", "--bucket-min=0", "--bucket-max=4"],
      {
        configError: "never loaded",
      },
    );
    expect(missing).toMatchObject({
      code: 1,
      out: [],
      err: ["FAIL open static bucket plan: open nope.csv: no such file or directory"],
    });
  });

  test("a missing --file names the flag and prints the usage line, exit 2", async () => {
    const r = await run(["host-preflight", "--host=a"]);
    expect(r.code).toBe(2);
    expect(r.err[0]).toBe("rollout host-preflight: missing required flag --file");
    expect(r.err[1]).toStartWith("usage: jetmon2 rollout host-preflight --file=<ranges.csv>");
  });
});

describe("rollout cutover-check", () => {
  let server: ReturnType<typeof Bun.serve>;
  let other: ReturnType<typeof Bun.serve>;
  const paths: string[] = [];
  beforeAll(() => {
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => {
        paths.push(new URL(req.url).pathname);
        return new Response('{\n  "state": "ok"\n}\n', { headers: { "content-type": "application/json" } });
      },
    });
    other = Bun.serve({ hostname: "127.0.0.2", port: 0, fetch: () => new Response("boom", { status: 503 }) });
  });
  afterAll(() => {
    server.stop(true);
    other.stop(true);
  });

  const cfgWith = (over = {}) => pinned(12, 34, { BUCKET_TOTAL: 100, DASHBOARD_PORT: server.port, ...over });

  test("passes: sections in order, dashboard probed at the configured bind address (§2.16)", async () => {
    await seedSites(t.db, [...spread(12, 34, 3, 5), { bucket: 20 }]);
    const r = await run(["cutover-check", "--host=host-a"], { cfg: cfgWith() });
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const sections = r.out.filter((l) => l.startsWith("## "));
    expect(sections).toEqual([
      "## pinned preflight",
      "## activity check",
      "## dashboard status",
      "## projection drift",
    ]);
    expect(r.out).toContain("PASS rollout_activity=recent_checks_present");
    expect(r.out).toContain(`PASS dashboard_status=http://127.0.0.1:${server.port}/api/state`);
    expect(r.out).toContain('INFO dashboard_state={ "state": "ok" }');
    expect(r.out).toContain("INFO activity_since=2026-04-28T11:45:00Z");
    expect(r.out.at(-1)).toBe("cutover check passed");
    expect(paths.at(-1)).toBe("/api/state");
  });

  test("a dashboard bound elsewhere is probed there, and its error is reported", async () => {
    await seedSites(t.db, spread(12, 34, 3, 5));
    const r = await run(["cutover-check", "--host=host-a"], {
      cfg: cfgWith({ DASHBOARD_BIND_ADDR: "127.0.0.2", DASHBOARD_PORT: other.port }),
    });
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      `FAIL dashboard status check on port ${other.port}: GET http://127.0.0.2:${other.port}/api/state: http 503: boom`,
    ]);
  });

  test("nothing listening → connection refused", async () => {
    await seedSites(t.db, spread(12, 34, 3, 5));
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = closed.port;
    closed.stop(true);
    const r = await run(["cutover-check", "--host=host-a", `--status-port=${port}`], { cfg: cfgWith() });
    expect(r.code).toBe(1);
    expect(r.err[0]).toContain(`dashboard status check on port ${port}`);
    expect(r.err[0]).toContain("connection refused");
  });

  test("--require-all with --skip-status; port 0 skips; negative port fails", async () => {
    await seedSites(t.db, spread(12, 34, 3, 5));
    const all = await run(["cutover-check", "--host=host-a", "--require-all", "--skip-status"], {
      cfg: cfgWith(),
    });
    expect(all.code).toBe(0);
    expect(all.out).toContain("PASS rollout_activity=all_active_sites_checked");
    expect(all.out).toContain("INFO dashboard_status=skipped reason=operator");
    const off = await run(["cutover-check", "--host=host-a"], { cfg: cfgWith({ DASHBOARD_PORT: 0 }) });
    expect(off.out).toContain("INFO dashboard_status=skipped dashboard_port=disabled");
    const neg = await run(["cutover-check", "--host=host-a", "--status-port=-2"], { cfg: cfgWith() });
    expect(neg.err).toEqual(["FAIL status-port must be >= 0"]);
  });

  test("idle buckets fail the activity section", async () => {
    await seedSites(t.db, [
      { bucket: 12, checkedMinutesAgo: 5 },
      { bucket: 13, checkedMinutesAgo: 60 },
      { bucket: 14 },
    ]);
    const some = await run(["cutover-check", "--host=host-a", "--require-all"], { cfg: cfgWith() });
    expect(some.err).toEqual([
      "FAIL only 1/3 active sites in range 12-34 have last_checked_at >= 2026-04-28T11:45:00Z",
    ]);
    await resetTables(t.db);
    await seedSites(t.db, [{ bucket: 12, checkedMinutesAgo: 60 }]);
    const none = await run(["cutover-check", "--host=host-a"], { cfg: cfgWith() });
    expect(none.err).toEqual([
      "FAIL no active sites in range 12-34 have last_checked_at >= 2026-04-28T11:45:00Z",
    ]);
  });

  test("drift fails in the pinned preflight; an explicit range reaches the drift table", async () => {
    const [a] = await seedSites(t.db, [{ bucket: 40, checkedMinutesAgo: 1 }, ...spread(12, 34, 2, 1)]);
    await seedOpenEvent(t.db, a!, "Down");
    const r = await run(
      ["cutover-check", "--host=host-a", "--bucket-min=35", "--bucket-max=45", "--skip-status"],
      {
        cfg: cfgWith(),
      },
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain("## projection drift");
    expect(r.out.some((l) => l.startsWith("BLOG_ID"))).toBe(true);
    expect(r.err).toEqual(["FAIL legacy projection drift=1 in range 35-45"]);
    const [b] = await seedSites(t.db, [{ bucket: 12, checkedMinutesAgo: 1 }]);
    await seedOpenEvent(t.db, b!, "Seems Down");
    const p = await run(["cutover-check", "--host=host-a", "--skip-status"], { cfg: cfgWith() });
    expect(p.err).toEqual(["FAIL legacy projection drift=1 in pinned range 12-34"]);
  });

  test("JSON output", async () => {
    await seedSites(t.db, spread(12, 34, 3, 5));
    const r = await run(["cutover-check", "--host=host-a", "--skip-status", "--output=json"], {
      cfg: cfgWith(),
    });
    expect(r.code).toBe(0);
    const doc = r.json();
    expect(doc).toMatchObject({
      ok: true,
      command: "rollout cutover-check",
      generated_at: "2026-04-28T12:00:00Z",
    });
    expect(doc.lines).toContainEqual({ level: "section", message: "dashboard status" });
    expect(doc.lines.at(-1)).toEqual({ level: "output", message: "cutover check passed" });
    expect(doc.failures).toBeUndefined();
  });
});

describe("rollout rollback-check", () => {
  test("pinned range, no rows, no drift → pass (§2.16)", async () => {
    await seedSites(t.db, spread(12, 34, 42));
    const r = await run(["rollback-check", "--host=v2-host"], { cfg: CFG });
    expect(r.code).toBe(0);
    expect(r.out).toEqual([
      "PASS config parse",
      "PASS db connect",
      "PASS rollback_range=12-34",
      'PASS jetmon_hosts row absent host="v2-host"',
      "PASS jetmon_hosts overlap=0",
      "INFO active_sites_in_rollback_range=42",
      "PASS legacy_projection_drift=0",
      "rollback check passed",
    ]);
  });

  test("explicit range on a dynamic config; an empty range warns", async () => {
    const r = await run(["rollback-check", "--host= v2-host ", "--bucket-min=2", "--bucket-max=4"], {
      cfg: rolloutConfig(),
    });
    expect(r.code).toBe(0);
    expect(r.out).toContain("PASS rollback_range=2-4");
    expect(r.out).toContain('PASS jetmon_hosts row absent host="v2-host"');
    expect(r.out).toContain(
      "WARN active_sites_in_rollback_range=0; confirm this v1 host range is intentionally empty",
    );
  });

  test.each([
    [["--bucket-min=0", "--bucket-max=10"], "FAIL bucket-max must be < BUCKET_TOTAL (10)"],
    [["--bucket-min=-2", "--bucket-max=-2"], "FAIL bucket-min and bucket-max must be >= 0"],
    [[], "FAIL rollback-check needs a pinned bucket config or explicit --bucket-min/--bucket-max"],
  ])("dynamic config %p fails", async (extra, message) => {
    const r = await run(["rollback-check", ...extra], { cfg: rolloutConfig() });
    expect(r.err).toEqual([message]);
  });

  test("v2 still registered, overlapping rows, drift: each fails", async () => {
    await seedHost(t.db, "v2-host", 50, 60);
    const own = await run(["rollback-check"], { cfg: CFG });
    expect(own.err).toEqual([
      'FAIL host "v2-host" still has a jetmon_hosts row; stop v2 or clear dynamic ownership before restarting v1',
    ]);
    await resetTables(t.db);
    await seedHost(t.db, "dynamic-host", 10, 20);
    const overlap = await run(["rollback-check"], { cfg: CFG });
    expect(overlap.err).toEqual([
      "FAIL jetmon_hosts has 1 row(s) overlapping rollback range 12-34: dynamic-host=10-20 status=active",
    ]);
    await resetTables(t.db);
    const [a, b] = await seedSites(t.db, [{ bucket: 12, status: 2 }, { bucket: 13 }]);
    await seedOpenEvent(t.db, b!, "Down");
    void a;
    const drift = await run(["rollback-check"], { cfg: CFG });
    expect(drift.err).toEqual([
      "FAIL legacy projection drift=2 in rollback range 12-34; fix drift before restarting v1 readers",
    ]);
  });
});

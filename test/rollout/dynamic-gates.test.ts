/**
 * dynamic-check, activity-check and state-report against a seeded database: coverage
 * (gaps, overlaps, stale heartbeats, draining rows), idle buckets, drift, text and JSON.
 */
import { beforeEach, describe, expect, test } from "bun:test";
import { useTestDatabase } from "../support/db.ts";
import {
  NOW,
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

const DYN = rolloutConfig({ BUCKET_TOTAL: 10, BUCKET_HEARTBEAT_GRACE_SEC: 60 });

async function twoFreshHosts() {
  await seedHost(t.db, "host-b", 5, 9);
  await seedHost(t.db, "host-a", 0, 4);
}

describe("rollout dynamic-check", () => {
  test("two fresh hosts covering 0-9 pass (§2.16)", async () => {
    await twoFreshHosts();
    await seedSites(t.db, spread(0, 9, 123, 1));
    const r = await run(["dynamic-check"], { cfg: DYN });
    expect(r.err).toEqual([]);
    expect(r.out).toEqual([
      "PASS config parse",
      "PASS db connect",
      "PASS bucket_ownership=dynamic",
      "PASS legacy_status_projection=enabled",
      "INFO jetmon_hosts_rows=2",
      "PASS dynamic_bucket_coverage=0-9 hosts=2",
      "INFO active_sites_dynamic_range=123",
      "PASS legacy_projection_drift=0",
      "dynamic rollout check passed",
    ]);
  });

  test("an empty site table warns but passes", async () => {
    await twoFreshHosts();
    const r = await run(["dynamic-check"], { cfg: DYN });
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      "WARN active_sites_dynamic_range=0; confirm the production site table is intentionally empty",
    );
  });

  test.each([
    ["no rows", async () => {}, "jetmon_hosts has no rows; dynamic ownership is not established"],
    [
      "overlapping ranges",
      async () => {
        await seedHost(t.db, "host-a", 0, 5);
        await seedHost(t.db, "host-b", 5, 9);
      },
      'dynamic bucket coverage overlaps before host "host-b" at bucket 5',
    ],
    [
      "a gap",
      async () => {
        await seedHost(t.db, "host-a", 0, 3);
        await seedHost(t.db, "host-b", 5, 9);
      },
      'dynamic bucket coverage has gap 4-4 before host "host-b"',
    ],
    [
      "a trailing gap",
      async () => {
        await seedHost(t.db, "host-a", 0, 4);
      },
      "dynamic bucket coverage has trailing gap 5-9",
    ],
    [
      "a stale heartbeat",
      async () => {
        await seedHost(t.db, "host-a", 0, 4);
        await seedHost(t.db, "host-b", 5, 9, { heartbeatMinutesAgo: 2 });
      },
      'host "host-b" heartbeat is stale age=2m0s grace=1m0s',
    ],
    [
      "a draining host",
      async () => {
        await seedHost(t.db, "host-a", 0, 4, { status: "draining" });
        await seedHost(t.db, "host-b", 5, 9);
      },
      'host "host-a" has status="draining"; all dynamic ownership rows must be active',
    ],
    [
      "an out-of-ring range",
      async () => {
        await seedHost(t.db, "host-a", 0, 10);
      },
      'host "host-a" has invalid bucket range 0-10 for BUCKET_TOTAL=10',
    ],
    [
      "drift",
      async () => {
        await twoFreshHosts();
        const ids = await seedSites(t.db, [{ bucket: 1 }, { bucket: 2 }, { bucket: 3, status: 2 }]);
        await seedOpenEvent(t.db, ids[0]!, "Down");
        await seedOpenEvent(t.db, ids[1]!, "Seems Down");
      },
      "legacy projection drift=3 in dynamic range 0-9",
    ],
  ])("%s fails", async (_name, seed, message) => {
    await seed();
    const r = await run(["dynamic-check"], { cfg: DYN });
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`FAIL ${message}`]);
  });

  test("pinned config or projection off fail; host query errors are named", async () => {
    const p = await run(["dynamic-check"], { cfg: pinned(1, 2) });
    expect(p.err).toEqual([
      "FAIL pinned bucket range 1-2 is still configured; remove PINNED_BUCKET_*/BUCKET_NO_* before dynamic ownership cutover",
    ]);
    const off = await run(["dynamic-check"], {
      cfg: rolloutConfig({ LEGACY_STATUS_PROJECTION_ENABLE: false }),
    });
    expect(off.err).toEqual([
      "FAIL LEGACY_STATUS_PROJECTION_ENABLE must remain true until legacy readers have migrated",
    ]);
    const q = await run(["dynamic-check"], { cfg: DYN, db: empty.db });
    expect(q.err[0]).toStartWith("FAIL query jetmon_hosts: ");
  });

  test("the clock is injected: the same rows are stale an hour later", async () => {
    await twoFreshHosts();
    const later = await run(["dynamic-check"], { cfg: DYN, now: NOW + 3_600_000 });
    expect(later.err[0]).toContain("heartbeat is stale age=1h0m0s grace=1m0s");
  });
});

describe("rollout activity-check", () => {
  test("recent checks present (§2.16)", async () => {
    await seedSites(t.db, [...spread(0, 9, 3, 5), ...spread(0, 9, 7, 30)]);
    const r = await run(["activity-check"], { cfg: DYN });
    expect(r.code).toBe(0);
    expect(r.out).toEqual([
      "PASS config parse",
      "PASS db connect",
      "INFO activity_range=0-9",
      "INFO activity_since=2026-04-28T11:45:00Z",
      "INFO active_sites=10",
      "INFO active_sites_checked_since=3",
      "PASS rollout_activity=recent_checks_present",
      "post-cutover activity check passed",
    ]);
  });

  test("--require-all with every site fresh; an RFC3339 --since; inactive sites ignored", async () => {
    await seedSites(t.db, [...spread(2, 4, 3, 20), { bucket: 3, active: false }, { bucket: 8 }]);
    const r = await run(
      [
        "activity-check",
        "--bucket-min=2",
        "--bucket-max=4",
        "--since",
        "2026-04-28T11:30:00Z",
        "--require-all",
      ],
      {
        cfg: DYN,
      },
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain("INFO activity_since=2026-04-28T11:30:00Z");
    expect(r.out).toContain("INFO active_sites=3");
    expect(r.out).toContain("PASS rollout_activity=all_active_sites_checked");
  });

  test("an empty range warns and passes", async () => {
    const r = await run(["activity-check", "--require-all"], { cfg: DYN });
    expect(r.code).toBe(0);
    expect(r.out).toContain("WARN active_sites=0; confirm this range is intentionally empty");
  });

  test("idle buckets fail; require-all fails on any unchecked site", async () => {
    await seedSites(t.db, [...spread(0, 9, 9, 1), { bucket: 7 }]);
    const some = await run(["activity-check", "--require-all"], { cfg: DYN });
    expect(some.err).toEqual([
      "FAIL only 9/10 active sites in range 0-9 have last_checked_at >= 2026-04-28T11:45:00Z",
    ]);
    const idle = await run(["activity-check", "--since=30s"], { cfg: DYN });
    expect(idle.err).toEqual([
      "FAIL no active sites in range 0-9 have last_checked_at >= 2026-04-28T11:59:30Z",
    ]);
  });

  test.each([
    [["--since="], "since must not be empty"],
    [["--since=-1m"], "since duration must be > 0"],
    [["--since=yesterday"], 'since "yesterday" must be a duration like 15m or an RFC3339 timestamp'],
    [["--bucket-min=3"], "bucket-min and bucket-max must be set together"],
  ])("%p fails", async (args, message) => {
    const r = await run(["activity-check", ...args], { cfg: DYN });
    expect(r.err).toEqual([`FAIL ${message}`]);
  });

  test("count errors name the range", async () => {
    const r = await run(["activity-check"], { cfg: DYN, db: empty.db });
    expect(r.err[0]).toStartWith("FAIL count active sites in activity range 0-9: ");
  });

  test("JSON failure: document on stdout, exit 1, nothing on stderr", async () => {
    await seedSites(t.db, [{ bucket: 1 }]);
    const r = await run(["activity-check", "--output=json"], { cfg: DYN });
    expect(r.code).toBe(1);
    expect(r.err).toEqual([]);
    expect(r.json()).toEqual({
      ok: false,
      command: "rollout activity-check",
      generated_at: "2026-04-28T12:00:00Z",
      lines: [
        { level: "pass", message: "config parse" },
        { level: "pass", message: "db connect" },
        { level: "info", message: "activity_range=0-9" },
        { level: "info", message: "activity_since=2026-04-28T11:45:00Z" },
        { level: "info", message: "active_sites=1" },
        { level: "info", message: "active_sites_checked_since=0" },
      ],
      failures: ["no active sites in range 0-9 have last_checked_at >= 2026-04-28T11:45:00Z"],
    });
  });
});

describe("rollout state-report", () => {
  test("duplicate active site rows for one blog are shown, with the row that is checked", async () => {
    await seedSites(t.db, [
      { bucket: 12, blogId: 77, checkedMinutesAgo: 1 },
      { bucket: 13, blogId: 77, checkedMinutesAgo: 1 },
      { bucket: 14, blogId: 78, checkedMinutesAgo: 1 },
    ]);
    const cfg = pinned(12, 34, { BUCKET_TOTAL: 100 });
    const j = (await run(["state-report", "--output=json"], { cfg, hostname: "host-a" })).json();
    expect(j.ok).toBe(false);
    expect(j.duplicate_sites).toHaveLength(1);
    const [d] = j.duplicate_sites;
    expect(d.blog_id).toBe(77);
    expect(d.site_ids).toHaveLength(2);
    expect(d.site_ids[0]).toBeLessThan(d.site_ids[1]);
    const text = await run(["state-report"], { cfg, hostname: "host-a" });
    expect(text.out).toContain(
      `WARN duplicate_site_rows blog_id=77 site_ids=${d.site_ids.join(",")} checked=${d.site_ids[0]}`,
    );
  });

  test("pinned, all checked, no drift: ok (§2.16)", async () => {
    await seedSites(t.db, spread(12, 34, 3, 1));
    const cfg = pinned(12, 34, { BUCKET_TOTAL: 100 });
    const r = await run(["state-report", "--output=json"], { cfg, hostname: " host-a " });
    expect(r.code).toBe(0);
    expect(r.json()).toEqual({
      ok: true,
      command: "rollout state-report",
      generated_at: "2026-04-28T12:00:00Z",
      host: "host-a",
      ownership: { mode: "pinned", bucket_min: 12, bucket_max: 34 },
      bucket_coverage: { status: "pinned_config", bucket_total: 100, host_count: 0 },
      activity: {
        since: "2026-04-28T11:45:00Z",
        active_sites: 3,
        checked_since: 3,
        unchecked_since: 0,
        checked_percent: 100,
      },
      projection_drift: { count: 0 },
      delivery_owner: { level: "INFO", message: "delivery_workers=disabled api_port=disabled" },
      suggested_next_action:
        "Continue with the next pinned host; after every host is on v2, plan dynamic ownership cutover.",
    });
    const text = await run(["state-report"], { cfg, hostname: "host-a" });
    expect(text.code).toBe(0);
    expect(text.out).toEqual([
      "PASS config parse",
      "PASS db connect",
      "INFO rollout_state_generated_at=2026-04-28T12:00:00Z",
      'INFO host="host-a"',
      "INFO ownership_mode=pinned bucket_range=12-34",
      "PASS bucket_coverage=pinned_config bucket_total=100 host_count=0",
      "INFO activity_since=2026-04-28T11:45:00Z",
      "INFO active_sites=3 checked_since=3 unchecked_since=0 checked_percent=100.0",
      "PASS legacy_projection_drift=0",
      "INFO delivery_workers=disabled api_port=disabled",
      'INFO suggested_next_action="Continue with the next pinned host; after every host is on v2, plan dynamic ownership cutover."',
    ]);
  });

  test("dynamic with a gap, drift, idle sites and unowned delivery: not ok, still exit 0 (§2.16)", async () => {
    await seedHost(t.db, "host-a", 0, 4, { heartbeatMinutesAgo: 0.5 });
    await seedHost(t.db, "host-b", 6, 9);
    const ids = await seedSites(t.db, [
      { bucket: 1, checkedMinutesAgo: 1 },
      { bucket: 2 },
      { bucket: 7 },
      { bucket: 8, status: 2 },
    ]);
    await seedOpenEvent(t.db, ids[1]!, "Down");
    const cfg = rolloutConfig({ BUCKET_TOTAL: 10, BUCKET_HEARTBEAT_GRACE_SEC: 60, API_PORT: 8090 });
    const r = await run(["state-report", "--output=json"], { cfg, hostname: "host-a" });
    expect(r.code).toBe(0);
    const doc = r.json();
    expect(doc.ok).toBe(false);
    expect(doc.ownership).toEqual({ mode: "dynamic", bucket_min: 0, bucket_max: 9 });
    expect(doc.bucket_coverage).toMatchObject({
      status: "invalid",
      bucket_total: 10,
      host_count: 2,
      error: 'dynamic bucket coverage has gap 5-5 before host "host-b"',
      gaps: [{ min: 5, max: 5 }],
      uncovered_buckets: 1,
      overlaps: [],
    });
    expect(doc.bucket_coverage.hosts).toEqual([
      {
        host_id: "host-a",
        bucket_min: 0,
        bucket_max: 4,
        status: "active",
        last_heartbeat: "2026-04-28T11:59:30Z",
        last_heartbeat_age_sec: 30,
      },
      {
        host_id: "host-b",
        bucket_min: 6,
        bucket_max: 9,
        status: "active",
        last_heartbeat: "2026-04-28T12:00:00Z",
        last_heartbeat_age_sec: 0,
      },
    ]);
    expect(doc.activity).toEqual({
      since: "2026-04-28T11:45:00Z",
      active_sites: 4,
      checked_since: 1,
      unchecked_since: 3,
      checked_percent: 25,
    });
    expect(doc.projection_drift).toEqual({ count: 2 });
    expect(doc.issues).toEqual([
      'dynamic bucket coverage has gap 5-5 before host "host-b"',
      "1 bucket(s) not covered by any live jetmon_hosts row: 5-5",
      "legacy projection drift=2",
      "1/4 active sites checked since 2026-04-28T11:45:00Z",
      'delivery_owner_host is unset; host "host-a" will run delivery workers because API_PORT is enabled',
    ]);
    expect(doc.suggested_next_action).toBe(
      "Fix jetmon_hosts bucket coverage before relying on dynamic ownership.",
    );
  });

  test("text lists every gap and overlap; a stale host's buckets count as uncovered", async () => {
    await seedHost(t.db, "host-a", 0, 5);
    await seedHost(t.db, "host-b", 4, 6);
    await seedHost(t.db, "host-c", 7, 9, { heartbeatMinutesAgo: 90 });
    const r = await run(["state-report"], { cfg: DYN, hostname: "host-a" });
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      'WARN bucket_coverage=invalid error="dynamic bucket coverage overlaps before host \\"host-b\\" at bucket 4"',
    );
    expect(r.out).toContain(
      'INFO jetmon_host="host-c" bucket_range=7-9 status=active last_heartbeat_age_sec=5400',
    );
    expect(r.out).toContain("WARN bucket_coverage_gap=7-9 buckets=3");
    expect(r.out).toContain("WARN bucket_coverage_overlap=4-5 hosts=host-a,host-b");
    expect(r.out).toContain(
      'WARN rollout_state_issue="3 bucket(s) not covered by any live jetmon_hosts row: 7-9"',
    );
    expect(r.out).toContain(
      'WARN rollout_state_issue="buckets 4-5 are covered by more than one live host: host-a, host-b"',
    );
    expect(r.out).toContain("INFO active_sites=0 checked_since=0 unchecked_since=0 checked_percent=0.0");
  });

  test("one host with default target covers half the ring: buckets 500-999 reported (upstream defect 4)", async () => {
    await seedHost(t.db, "only-host", 0, 499);
    const r = await run(["state-report", "--output=json"], {
      cfg: rolloutConfig({ BUCKET_TOTAL: 1000, BUCKET_HEARTBEAT_GRACE_SEC: 600 }),
    });
    const doc = r.json();
    expect(doc.bucket_coverage.status).toBe("invalid");
    expect(doc.bucket_coverage.gaps).toEqual([{ min: 500, max: 999 }]);
    expect(doc.bucket_coverage.uncovered_buckets).toBe(500);
  });

  test("healthy dynamic ownership", async () => {
    await twoFreshHosts();
    await seedSites(t.db, spread(0, 9, 4, 1));
    const r = await run(["state-report", "--output=json", "--since=1h"], { cfg: DYN });
    const doc = r.json();
    expect(doc.ok).toBe(true);
    expect(doc.issues).toBeUndefined();
    expect(doc.bucket_coverage).toMatchObject({
      status: "complete",
      gaps: [],
      overlaps: [],
      uncovered_buckets: 0,
    });
    expect(doc.activity.since).toBe("2026-04-28T11:00:00Z");
    expect(doc.suggested_next_action).toBe(
      "Dynamic ownership looks healthy; continue normal v2 rolling updates and monitoring.",
    );
  });

  test.each([
    ["empty range", async () => {}, "Confirm this range is intentionally empty before continuing."],
    [
      "idle range",
      async () => {
        await seedSites(t.db, [{ bucket: 12 }]);
      },
      "Investigate the check loop; no active sites have fresh last_checked_at writes.",
    ],
    [
      "partly checked",
      async () => {
        await seedSites(t.db, [{ bucket: 12 }, { bucket: 13, checkedMinutesAgo: 1 }]);
      },
      "Wait one full expected round, then run rollout cutover-check --require-all before moving on.",
    ],
    [
      "drift",
      async () => {
        await seedSites(t.db, [{ bucket: 12, status: 0, checkedMinutesAgo: 1 }]);
      },
      "Run rollout projection-drift --limit=100 and fix legacy projection drift before continuing.",
    ],
  ])("next action for %s", async (_n, seed, action) => {
    await seed();
    const r = await run(["state-report", "--output=json"], { cfg: pinned(12, 34, { BUCKET_TOTAL: 100 }) });
    expect(r.json().suggested_next_action).toBe(action);
  });

  test("delivery WARN is the next action once the rest is healthy", async () => {
    await seedSites(t.db, [{ bucket: 12, checkedMinutesAgo: 1 }]);
    const r = await run(["state-report", "--output=json"], {
      cfg: pinned(12, 34, { BUCKET_TOTAL: 100, API_PORT: 8090 }),
    });
    expect(r.json().suggested_next_action).toBe(
      "Set DELIVERY_OWNER_HOST or explicitly approve multi-owner delivery before enabling API delivery workers.",
    );
  });

  test("config, db and build failures: exit 1, zero-valued report in JSON, FAIL on stderr in text", async () => {
    const c = await run(["state-report", "--output=json"], { configError: "parse config: x.json: line 1" });
    expect(c.code).toBe(1);
    expect(c.json()).toEqual({
      ok: false,
      command: "rollout state-report",
      generated_at: "2026-04-28T12:00:00Z",
      ownership: { mode: "", bucket_min: 0, bucket_max: 0 },
      bucket_coverage: { status: "", bucket_total: 0, host_count: 0 },
      activity: {
        since: "0001-01-01T00:00:00Z",
        active_sites: 0,
        checked_since: 0,
        unchecked_since: 0,
        checked_percent: 0,
      },
      projection_drift: { count: 0 },
      delivery_owner: { level: "", message: "" },
      issues: ["config parse: parse config: x.json: line 1"],
    });
    const d = await run(["state-report"], { cfg: DYN, dbError: "connection refused" });
    expect(d).toMatchObject({
      code: 1,
      out: ["PASS config parse"],
      err: ["FAIL db connect: connection refused"],
    });
    const s = await run(["state-report", "--since=1d"], { cfg: DYN });
    expect(s.code).toBe(1);
    expect(s.err).toEqual(['FAIL since "1d" must be a duration like 15m or an RFC3339 timestamp']);
    const q = await run(["state-report", "--output=json"], { cfg: DYN, db: empty.db });
    expect(q.code).toBe(1);
    expect(q.json().issues[0]).toStartWith("query jetmon_hosts: ");
  });
});

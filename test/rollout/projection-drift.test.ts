/**
 * projection-drift: the listing, counts by cause, truncation, and the repair that writes only
 * with --repair --yes, in one transaction, with an audit row per site.
 */
import { beforeEach, describe, expect, test } from "bun:test";
import { inArray, sql } from "drizzle-orm";
import { sites } from "../../src/db/schema.ts";
import { createRolloutStore } from "../../src/rollout/store.ts";
import { useTestDatabase } from "../support/db.ts";
import { NOW, pinned, resetTables, rolloutConfig, runner, seedOpenEvent, seedSites } from "./harness.ts";

const t = useTestDatabase();
const empty = useTestDatabase({ migrate: false });
const run = runner(() => t.db);

beforeEach(() => resetTables(t.db));

const DYN = rolloutConfig({ BUCKET_TOTAL: 10 });

async function statuses(): Promise<Record<number, number>> {
  const [rows] = (await t.db.execute(
    sql`SELECT blog_id, site_status FROM jetpack_monitor_sites ORDER BY blog_id`,
  )) as unknown as [{ blog_id: number; site_status: number }[]];
  return Object.fromEntries(rows.map((r) => [r.blog_id, r.site_status]));
}

/** Four drifted sites, one per cause, plus sites that agree with their events. */
async function seedEveryCause() {
  await seedSites(t.db, [
    { blogId: 42, bucket: 3, status: 1 }, // open Down, expects 2
    { blogId: 43, bucket: 4, status: 1 }, // open Seems Down, expects 0
    { blogId: 44, bucket: 2, status: 2 }, // no open event, expects 1
    { blogId: 45, bucket: 2, status: 0 }, // open event in another state, expects 1
    { blogId: 46, bucket: 5, status: 2 }, // open Down: agrees
    { blogId: 47, bucket: 6, status: 1 }, // no event: agrees
    { blogId: 48, bucket: 7, status: 1, active: false }, // inactive: ignored
    { blogId: 49, bucket: 8, status: 1 }, // only a closed or non-http event: agrees
  ]);
  const down = await seedOpenEvent(t.db, 42, "Down");
  await seedOpenEvent(t.db, 43, "Seems Down");
  await seedOpenEvent(t.db, 45, "Warning");
  await seedOpenEvent(t.db, 46, "Down");
  await seedOpenEvent(t.db, 48, "Down");
  await seedOpenEvent(t.db, 49, "Down", "tls");
  const closed = await seedOpenEvent(t.db, 49, "Down");
  await t.db.execute(sql`UPDATE jetmon_events SET ended_at = NOW(3) WHERE id = ${closed}`);
  return { down };
}

describe("rollout projection-drift", () => {
  test("no drift passes (§2.16)", async () => {
    await seedSites(t.db, [{ bucket: 1 }]);
    const r = await run(["projection-drift"], { cfg: DYN });
    expect(r.code).toBe(0);
    expect(r.out).toEqual([
      "PASS config parse",
      "PASS db connect",
      "INFO projection_drift_range=0-9",
      "INFO legacy_projection_drift=0",
      "PASS legacy_projection_drift=0",
    ]);
  });

  test("lists drifted sites with counts by cause and fails", async () => {
    const { down } = await seedEveryCause();
    const before = await statuses();
    const r = await run(["projection-drift"], { cfg: DYN });
    expect(r.code).toBe(1);
    expect(r.err).toEqual(["FAIL legacy projection drift=4 in range 0-9"]);
    expect(r.out.slice(2, 8)).toEqual([
      "INFO projection_drift_range=0-9",
      "INFO legacy_projection_drift=4",
      "INFO projection_drift_cause=open_down_event count=1 expected_site_status=2",
      "INFO projection_drift_cause=open_seems_down_event count=1 expected_site_status=0",
      "INFO projection_drift_cause=open_other_event count=1 expected_site_status=1",
      "INFO projection_drift_cause=no_open_event count=1 expected_site_status=1",
    ]);
    expect(r.out.slice(8)).toEqual([
      "BLOG_ID      BUCKET   SITE_STATUS EXPECTED  EVENT_ID   EVENT_STATE",
      "44           2        2           1         -          -",
      expect.stringMatching(/^45 {11}2 {8}0 {11}1 {9}\d+ +Warning$/),
      `42           3        1           2         ${String(down).padEnd(10)} Down`,
      expect.stringMatching(/^43 {11}4 {8}1 {11}0 {9}\d+ +Seems Down$/),
    ]);
    expect(await statuses()).toEqual(before);
  });

  test("range and limit: truncated rows are counted (§2.16)", async () => {
    await seedEveryCause();
    const r = await run(["projection-drift", "--bucket-min=2", "--bucket-max=3", "--limit=1"], { cfg: DYN });
    expect(r.err).toEqual(["FAIL legacy projection drift=3 in range 2-3"]);
    expect(r.out).toContain("INFO projection_drift_rows_truncated=2");
    expect(r.out.filter((l) => /^\d/.test(l))).toHaveLength(1);
  });

  test("defaults to the pinned range", async () => {
    await seedEveryCause();
    const r = await run(["projection-drift"], { cfg: pinned(4, 6) });
    expect(r.out).toContain("INFO projection_drift_range=4-6");
    expect(r.err).toEqual(["FAIL legacy projection drift=1 in range 4-6"]);
  });

  test("--repair without --yes writes nothing", async () => {
    await seedEveryCause();
    const before = await statuses();
    const r = await run(["projection-drift", "--repair"], { cfg: DYN });
    expect(r.code).toBe(1);
    expect(r.out).toContain("WARN projection_drift_repair=skipped reason=confirmation_required");
    expect(r.err).toEqual(["FAIL legacy projection drift=4 in range 0-9; --repair writes only with --yes"]);
    expect(await statuses()).toEqual(before);
  });

  test("--yes alone is refused", async () => {
    const r = await run(["projection-drift", "--yes"], { cfg: DYN });
    expect(r.err).toEqual(["FAIL --yes only confirms --repair; add --repair to rewrite site_status"]);
  });

  test("--repair --yes rewrites the range from the open events, with audit rows", async () => {
    await seedEveryCause();
    const r = await run(["projection-drift", "--repair", "--yes", "--bucket-min=0", "--bucket-max=3"], {
      cfg: DYN,
      hostname: "ops-1",
    });
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("PASS projection_drift_repaired=3 range=0-3");
    expect(r.out).toContain("INFO legacy_projection_drift_after_repair=0");
    expect(r.out.at(-1)).toBe("PASS legacy_projection_drift=0");
    const after = await statuses();
    expect(after).toMatchObject({ 42: 2, 43: 1, 44: 1, 45: 1, 46: 2, 47: 1, 48: 1, 49: 1 });
    const changed = await t.db
      .select({ at: sites.lastStatusChange })
      .from(sites)
      .where(inArray(sites.blogId, [42, 44, 45]));
    expect(changed.map((c) => c.at?.getTime())).toEqual([NOW, NOW, NOW]);
    const [audit] = (await t.db.execute(
      sql`SELECT blog_id, event_type, source, detail FROM jetmon_audit_log ORDER BY blog_id`,
    )) as unknown as [{ blog_id: number; event_type: string; source: string; detail: string }[]];
    expect(audit.map((a) => [a.blog_id, a.event_type, a.source])).toEqual([
      [42, "projection_repaired", "ops-1"],
      [44, "projection_repaired", "ops-1"],
      [45, "projection_repaired", "ops-1"],
    ]);
    expect(audit[1]!.detail).toBe("site_status 2 -> 1 (open http event none state none)");
    const rest = await run(["projection-drift"], { cfg: DYN });
    expect(rest.err).toEqual(["FAIL legacy projection drift=1 in range 0-9"]);
  });

  test("sites whose open http events disagree are left alone and reported", async () => {
    await seedSites(t.db, [{ blogId: 60, bucket: 1, status: 1 }]);
    await seedOpenEvent(t.db, 60, "Down");
    await t.db.execute(
      sql`INSERT INTO jetmon_events (blog_id, endpoint_id, check_type, severity, state) VALUES (60, 7, 'http', 3, 'Seems Down')`,
    );
    const r = await run(["projection-drift", "--repair", "--yes"], { cfg: DYN });
    expect(r.code).toBe(1);
    expect(r.out).toContain("PASS projection_drift_repaired=0 range=0-9");
    expect(r.out).toContain(
      "WARN projection_drift_repair_conflicts=1 blog_ids=60 reason=open_http_events_disagree",
    );
    expect(r.err).toEqual(["FAIL legacy projection drift=2 in range 0-9 after repair"]);
    expect(await statuses()).toEqual({ 60: 1 });
  });

  test("a failed repair rolls back every write", async () => {
    await seedEveryCause();
    const before = await statuses();
    await t.db.execute(sql`ALTER TABLE jetmon_audit_log MODIFY detail VARCHAR(5) NULL`);
    try {
      const r = await run(["projection-drift", "--repair", "--yes"], { cfg: DYN });
      expect(r.code).toBe(1);
      expect(r.err[0]).toStartWith("FAIL repair legacy projection drift in range 0-9: ");
      expect(await statuses()).toEqual(before);
    } finally {
      await t.db.execute(sql`ALTER TABLE jetmon_audit_log MODIFY detail VARCHAR(1024) NULL`);
    }
  });

  test("bad limit and bad ranges fail (§2.16)", async () => {
    const cases: [string[], string][] = [
      [["--limit=0"], "limit must be > 0"],
      [["--bucket-min=3"], "bucket-min and bucket-max must be set together"],
      [["--bucket-min=-2", "--bucket-max=-2"], "bucket-min and bucket-max must be >= 0"],
      [["--bucket-min=7", "--bucket-max=3"], "bucket-max must be >= bucket-min"],
      [["--bucket-min=0", "--bucket-max=10"], "bucket-max must be < BUCKET_TOTAL (10)"],
    ];
    for (const [args, message] of cases) {
      const r = await run(["projection-drift", ...args], { cfg: DYN });
      expect(r.err).toEqual([`FAIL ${message}`]);
    }
  });

  test("JSON: the table rows are output lines", async () => {
    await seedEveryCause();
    const r = await run(["projection-drift", "--output=json", "--limit=1"], { cfg: DYN });
    const doc = r.json();
    expect(doc.ok).toBe(false);
    expect(doc.failures).toEqual(["legacy projection drift=4 in range 0-9"]);
    expect(doc.lines).toContainEqual({
      level: "output",
      message: "BLOG_ID      BUCKET   SITE_STATUS EXPECTED  EVENT_ID   EVENT_STATE",
    });
    expect(doc.lines).toContainEqual({ level: "info", message: "projection_drift_rows_truncated=3" });
  });

  test("query errors name the query", async () => {
    const r = await run(["projection-drift"], { cfg: DYN, db: empty.db });
    expect(r.err[0]).toStartWith("FAIL count legacy projection drift in range 0-9: ");
  });

  test("store: a limit of 0 lists 50 rows", async () => {
    await seedSites(
      t.db,
      Array.from({ length: 55 }, () => ({ bucket: 1, status: 0 })),
    );
    const store = createRolloutStore(t.db);
    expect(await store.listProjectionDrift(0, 9, 0)).toHaveLength(50);
    expect(await store.countProjectionDrift(0, 9)).toBe(55);
  });
});

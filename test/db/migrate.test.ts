import { afterAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createDb } from "../../src/db/client.ts";
import { ER_DUP_ENTRY, mysqlErrno } from "../../src/db/errors.ts";
import { migrate, pendingMigrations, skipGuard, unknownMigrations } from "../../src/db/migrate.ts";
import { LATEST_MIGRATION_ID, MIGRATIONS, type Migration } from "../../src/db/migrations.ts";
import { createPool, type Pool } from "../../src/db/pool.ts";
import { events, sites } from "../../src/db/schema.ts";
import { createDatabase, dropDatabase } from "../support/db.ts";

const ALL = MIGRATIONS.map((m) => m.id);
const GO_IDS = ALL.filter((id) => id <= 26);
const OURS = ALL.filter((id) => id > 26);
const goList = MIGRATIONS.filter((m) => m.id <= 26);

const opened: Array<{ pool: Pool; name: string }> = [];
afterAll(async () => {
  for (const o of opened) {
    await o.pool.end().catch(() => {});
    await dropDatabase(o.name);
  }
});

/** A fresh, empty database for one test. */
async function freshPool(): Promise<Pool> {
  const settings = await createDatabase("jtmig");
  const pool = createPool(settings);
  opened.push({ pool, name: settings.database });
  return pool;
}

async function recorded(pool: Pool): Promise<number[]> {
  const [rows] = await pool.query("SELECT id FROM jetmon_schema_migrations ORDER BY id");
  return (rows as Array<{ id: number }>).map((r) => r.id);
}

async function columnNames(pool: Pool, table: string): Promise<string[]> {
  const [rows] = await pool.query(
    "SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
    [table],
  );
  return (rows as Array<{ name: string }>).map((r) => r.name);
}

async function tables(pool: Pool): Promise<string[]> {
  const [rows] = await pool.query(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
  );
  return (rows as Array<{ name: string }>).map((r) => r.name).sort();
}

async function indexNames(pool: Pool, table: string): Promise<string[]> {
  const [rows] = await pool.query(
    "SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
    [table],
  );
  return (rows as Array<{ name: string }>).map((r) => r.name).sort();
}

describe("migrate", () => {
  test("on an empty database applies every id in order, printing each, and records them", async () => {
    const pool = await freshPool();
    expect(await pendingMigrations(pool)).toEqual(ALL);
    const lines: string[] = [];
    const applied = await migrate(pool, { print: (l) => lines.push(l) });
    expect(applied).toEqual(ALL);
    expect(lines).toEqual(ALL.map((id) => `applying migration ${id}`));
    expect(await recorded(pool)).toEqual(ALL);
    expect(await pendingMigrations(pool)).toEqual([]);
    expect(await unknownMigrations(pool)).toEqual([]);
  });

  test("run twice: the second run applies and prints nothing", async () => {
    const pool = await freshPool();
    await migrate(pool);
    const lines: string[] = [];
    expect(await migrate(pool, { print: (l) => lines.push(l) })).toEqual([]);
    expect(lines).toEqual([]);
    expect(await recorded(pool)).toEqual(ALL);
  });

  test("a database Go jetmon2 migrated (ids 1-26, tables and rows present) gets only ours", async () => {
    const pool = await freshPool();
    expect(await migrate(pool, { migrations: goList })).toEqual(GO_IDS);
    await pool.query(
      "INSERT INTO jetpack_monitor_sites (blog_id, monitor_url, monitor_active) VALUES (7, 'https://a.example/', 1)",
    );
    expect(await pendingMigrations(pool)).toEqual(OURS);

    const lines: string[] = [];
    expect(await migrate(pool, { print: (l) => lines.push(l) })).toEqual(OURS);
    expect(lines).toEqual(OURS.map((id) => `applying migration ${id}`));
    expect(await recorded(pool)).toEqual(ALL);
    const [rows] = await pool.query("SELECT blog_id, monitor_url FROM jetpack_monitor_sites");
    expect(rows as unknown).toEqual([{ blog_id: 7, monitor_url: "https://a.example/" }]);
    expect(await indexNames(pool, "jetpack_monitor_sites")).toContain("idx_monitor_last_checked_blog_bucket");
    expect(await indexNames(pool, "jetmon_check_history")).toContain("idx_checked_at");
    expect(await indexNames(pool, "jetpack_monitor_sites")).toContain("idx_blog_id");
    expect(await columnNames(pool, "jetpack_monitor_sites")).toEqual(
      expect.arrayContaining(["forbidden_keyword", "forbidden_keywords"]),
    );
    expect(await columnNames(pool, "jetmon_check_history")).toContain("request_method");
  });

  test("a guarded migration is recorded without running where production's shape already satisfies it", async () => {
    const pool = await freshPool();
    await migrate(pool, { migrations: MIGRATIONS.filter((m) => m.id !== 10003) });
    // Production's v1 table carries blog_id_monitor_url (blog_id, monitor_url).
    await pool.query(
      "ALTER TABLE jetpack_monitor_sites ADD INDEX blog_id_monitor_url (blog_id, monitor_url(191))",
    );
    const lines: string[] = [];
    expect(await migrate(pool, { print: (l) => lines.push(l) })).toEqual([10003]);
    expect(lines).toEqual(["skipping migration 10003 (already satisfied)"]);
    const names = await indexNames(pool, "jetpack_monitor_sites");
    expect(names).toContain("blog_id_monitor_url");
    expect(names).not.toContain("idx_blog_id");
    expect(await pendingMigrations(pool)).toEqual([]);
  });

  test.each([
    ["-- skip-when: SELECT 1\nALTER TABLE t ADD INDEX i (c)", "SELECT 1"],
    ["ALTER TABLE t ADD INDEX i (c)", null],
    ["-- skip-when: DROP TABLE t\nALTER TABLE t ADD INDEX i (c)", null],
  ])("skipGuard(%p) is %p", (sql, guard) => {
    expect(skipGuard(sql)).toBe(guard);
  });

  test("a database recording an unknown id of our range is refused before anything is applied", async () => {
    const pool = await freshPool();
    await pool.query(MIGRATIONS[0]!.sql);
    await pool.query("INSERT INTO jetmon_schema_migrations (id) VALUES (10999)");
    expect(await unknownMigrations(pool)).toEqual([10999]);

    const lines: string[] = [];
    await expect(migrate(pool, { print: (l) => lines.push(l) })).rejects.toThrow(
      `database records migration 10999 which this jetmon2 does not know (latest known: ${LATEST_MIGRATION_ID}); refusing to migrate — upgrade jetmon2`,
    );
    expect(lines).toEqual([]);
    expect(await recorded(pool)).toEqual([10999]);
    expect(await tables(pool)).toEqual(["jetmon_schema_migrations"]);
  });

  test("several unknown ids are all named", async () => {
    const pool = await freshPool();
    await migrate(pool);
    await pool.query("INSERT INTO jetmon_schema_migrations (id) VALUES (10031), (10032)");
    await expect(migrate(pool)).rejects.toThrow(
      /^database records migrations 10031, 10032 which this jetmon2/,
    );
  });

  test("Go's later branch (27-33 recorded, its forbidden/request_method columns added) is joined, not refused", async () => {
    const pool = await freshPool();
    await migrate(pool, { migrations: goList });
    // What Go's later 27, 31, 32, 33 leave behind, with Go's names and types.
    await pool.query(
      "ALTER TABLE jetpack_monitor_sites ADD INDEX idx_monitor_last_checked_blog_bucket (monitor_active, last_checked_at, blog_id, bucket_no), ADD COLUMN next_check_at DATETIME NULL, ADD COLUMN forbidden_keyword VARCHAR(500) NULL AFTER check_keyword, ADD COLUMN forbidden_keywords JSON NULL AFTER forbidden_keyword",
    );
    await pool.query(
      "ALTER TABLE jetmon_check_history ADD COLUMN request_method VARCHAR(16) NOT NULL DEFAULT 'GET'",
    );
    await pool.query(
      "INSERT INTO jetmon_schema_migrations (id) VALUES (27), (28), (29), (30), (31), (32), (33)",
    );
    expect(await unknownMigrations(pool)).toEqual([]);

    const lines: string[] = [];
    // Go's 27 is our due index (guard skips it); its 28-29 are Go's next_check_at and stay Go's.
    expect(await migrate(pool, { print: (l) => lines.push(l) })).toEqual(OURS);
    expect(lines).toEqual([
      "skipping migration 10001 (already satisfied)",
      "applying migration 10002",
      "applying migration 10003",
      "skipping migration 10004 (already satisfied)",
      "skipping migration 10005 (already satisfied)",
      "skipping migration 10006 (already satisfied)",
    ]);
    expect(await recorded(pool)).toEqual([...GO_IDS, 27, 28, 29, 30, 31, 32, 33, ...OURS]);
  });

  test("this project's old ids 27-29 are mapped to 10001-10003 without re-running, and 28-29 are handed back to Go", async () => {
    const pool = await freshPool();
    await migrate(pool, { migrations: goList });
    // What the previous jetmon2 did: ran its 27-29 under those ids.
    for (const id of [10001, 10002, 10003]) await pool.query(MIGRATIONS.find((m) => m.id === id)!.sql);
    await pool.query("INSERT INTO jetmon_schema_migrations (id) VALUES (27), (28), (29)");
    const before = await indexNames(pool, "jetpack_monitor_sites");
    expect(await unknownMigrations(pool)).toEqual([]);
    expect(await pendingMigrations(pool)).toEqual(OURS);

    const lines: string[] = [];
    expect(await migrate(pool, { print: (l) => lines.push(l) })).toEqual(OURS);
    expect(lines).toEqual([
      "skipping migration 10001 (already satisfied)",
      "skipping migration 10002 (already satisfied)",
      "skipping migration 10003 (already satisfied)",
      "applying migration 10004",
      "applying migration 10005",
      "applying migration 10006",
      "released migration 28 to Go jetmon2 (this project's 28 is now 10002)",
      "released migration 29 to Go jetmon2 (this project's 29 is now 10003)",
    ]);
    // 27 stays (Go's 27 is the same index); 28 and 29 are free for Go's next_check_at.
    expect(await recorded(pool)).toEqual([...GO_IDS, 27, ...OURS]);
    expect(await indexNames(pool, "jetpack_monitor_sites")).toEqual(before);
    expect(await indexNames(pool, "jetmon_check_history")).toContain("idx_checked_at");
    expect(await migrate(pool)).toEqual([]);
  });

  test("Go's newest 27-28 (SELECT 1, no index) still get our index built: a recorded old id never stands in for the change", async () => {
    const pool = await freshPool();
    await migrate(pool, { migrations: goList });
    await pool.query("INSERT INTO jetmon_schema_migrations (id) VALUES (27), (28)");
    const lines: string[] = [];
    await migrate(pool, { print: (l) => lines.push(l) });
    expect(lines.slice(0, 2)).toEqual(["applying migration 10001", "applying migration 10002"]);
    expect(await indexNames(pool, "jetmon_check_history")).toContain("idx_checked_at");
    expect(await recorded(pool)).toEqual([...GO_IDS, 27, ...OURS]);
  });

  test("a failing migration stops the run with `migration N:`, is not recorded, and later ones do not run", async () => {
    const pool = await freshPool();
    const broken: Migration[] = [
      ...MIGRATIONS.filter((m) => m.id <= 26),
      { id: 10001, name: "broken", sql: "ALTER TABLE no_such_table ADD COLUMN x INT" },
      MIGRATIONS.find((m) => m.id === 10002)!,
    ];
    const lines: string[] = [];
    await expect(migrate(pool, { migrations: broken, print: (l) => lines.push(l) })).rejects.toThrow(
      /^migration 10001: .*no_such_table/,
    );
    expect(lines.at(-1)).toBe("applying migration 10001");
    expect(await recorded(pool)).toEqual(GO_IDS);
    expect(await pendingMigrations(pool)).toEqual(OURS);
    expect(await indexNames(pool, "jetmon_check_history")).not.toContain("idx_checked_at");

    // Fixed binary: the next run retries 10001 and carries on.
    expect(await migrate(pool)).toEqual(OURS);
  });

  test("a failing migration 1 reports `create migrations table:`", async () => {
    const pool = await freshPool();
    const list: Migration[] = [{ id: 1, name: "bad", sql: "CREATE TABLE" }];
    await expect(migrate(pool, { migrations: list })).rejects.toThrow(/^create migrations table: /);
  });

  test("a list without migration 1 is a programming error", async () => {
    const pool = await freshPool();
    await expect(migrate(pool, { migrations: MIGRATIONS.slice(1) })).rejects.toThrow(
      /must start with migration 1/,
    );
  });

  test("a concurrent migrator holding the lock makes migrate fail rather than run the same ALTER twice", async () => {
    const pool = await freshPool();
    const holder = await pool.getConnection();
    try {
      await holder.query("SELECT GET_LOCK(CONCAT('jetmon2_migrate:', MD5(DATABASE())), 0)");
      await expect(migrate(pool, { lockTimeoutSeconds: 0 })).rejects.toThrow(/another migrate is running/);
      expect(await pendingMigrations(pool)).toEqual(ALL);
    } finally {
      await holder.query("SELECT RELEASE_LOCK(CONCAT('jetmon2_migrate:', MD5(DATABASE())))");
      holder.release();
    }
    expect(await migrate(pool)).toEqual(ALL);
  });

  test("pendingMigrations lists what is not recorded; unknownMigrations is empty on a fresh database", async () => {
    const pool = await freshPool();
    expect(await unknownMigrations(pool)).toEqual([]);
    await migrate(pool, { migrations: MIGRATIONS.filter((m) => m.id <= 10) });
    expect(await pendingMigrations(pool)).toEqual(ALL.filter((id) => id > 10));
  });

  test("a query error other than a missing table propagates from pendingMigrations", async () => {
    const pool = await freshPool();
    await pool.query("CREATE TABLE jetmon_schema_migrations (other INT)"); // no id column
    await expect(pendingMigrations(pool)).rejects.toThrow(/Unknown column 'id'/);
  });
});

describe("the migrated schema", () => {
  test("affectedRows counts changed rows, not matched ones (-FOUND_ROWS, DESIGN.md defect 17)", async () => {
    const pool = await freshPool();
    await migrate(pool);
    await pool.query("INSERT INTO jetpack_monitor_sites (blog_id, monitor_active) VALUES (1, 1)");
    const update = "UPDATE jetpack_monitor_sites SET monitor_active = ? WHERE blog_id = 1";
    const [same] = await pool.query(update, [1]);
    expect((same as { affectedRows: number }).affectedRows).toBe(0);
    const [changed] = await pool.query(update, [0]);
    expect((changed as { affectedRows: number }).affectedRows).toBe(1);

    const db = createDb(pool);
    const [viaDrizzleSame] = await db.update(sites).set({ monitorActive: 0 }).where(eq(sites.blogId, 1));
    expect(viaDrizzleSame.affectedRows).toBe(0);
    const [viaDrizzle] = await db.update(sites).set({ monitorActive: 1 }).where(eq(sites.blogId, 1));
    expect(viaDrizzle.affectedRows).toBe(1);
  });

  test("uk_open_dedup allows one open event per blog/check type, and another once it has ended", async () => {
    const pool = await freshPool();
    await migrate(pool);
    const db = createDb(pool);
    const open = { blogId: 42, checkType: "http", severity: 4, state: "Down" };

    const [first] = await db.insert(events).values(open);
    const [row] = await db
      .select({ dedupKey: events.dedupKey })
      .from(events)
      .where(eq(events.id, first.insertId));
    expect(row!.dedupKey).toBe("42:0:http:");

    const dup = await Promise.resolve(db.insert(events).values(open)).then(
      () => null,
      (err: unknown) => err,
    );
    expect(mysqlErrno(dup)).toBe(ER_DUP_ENTRY);
    expect(String((dup as Error).cause)).toContain("Duplicate entry '42:0:http:' for key 'uk_open_dedup'");
    // A different check type, endpoint or discriminator is a different incident.
    await db.insert(events).values({ ...open, checkType: "tls" });
    await db.insert(events).values({ ...open, endpointId: 3 });
    await db.insert(events).values({ ...open, discriminator: "x" });

    await db.update(events).set({ endedAt: new Date() }).where(eq(events.id, first.insertId));
    const [closed] = await db
      .select({ dedupKey: events.dedupKey })
      .from(events)
      .where(eq(events.id, first.insertId));
    expect(closed!.dedupKey).toBeNull();

    const [second] = await db.insert(events).values(open);
    await db.update(events).set({ endedAt: new Date() }).where(eq(events.id, second.insertId));
    await db.insert(events).values(open); // two closed + one open for the same tuple coexist

    const [counts] = await pool.query(
      "SELECT SUM(ended_at IS NULL) AS open, SUM(ended_at IS NOT NULL) AS closed FROM jetmon_events WHERE blog_id = 42 AND check_type = 'http' AND endpoint_id IS NULL AND discriminator IS NULL",
    );
    const c = (counts as Array<{ open: string; closed: string }>)[0]!;
    expect([Number(c.open), Number(c.closed)]).toEqual([1, 2]);
  });
});

import { errorText } from "../error-text.ts";
import { ER_NO_SUCH_TABLE, mysqlErrno } from "./errors.ts";
import {
  GO_BASELINE_ID,
  LEGACY_IDS,
  type LegacyId,
  MIGRATIONS,
  type Migration,
  OWN_MIGRATION_BASE,
} from "./migrations.ts";
import type { Pool, PoolConnection } from "./pool.ts";

export interface MigrateOptions {
  /** Receives `applying migration N` before each migration runs. */
  print?: (line: string) => void;
  /** The list to apply; tests pass their own. Defaults to the embedded MIGRATIONS. */
  migrations?: ReadonlyArray<Migration>;
  /** Seconds to wait for another migrator's lock (default 60). */
  lockTimeoutSeconds?: number;
}

/** One lock per database. Hashed because MySQL caps user lock names at 64 characters. */
const LOCK_NAME = "CONCAT('jetmon2_migrate:', MD5(DATABASE()))";

/**
 * Applies pending migrations in id order, as Go jetmon2 does: migration 1 (the tracking table,
 * CREATE IF NOT EXISTS) always runs and is recorded; every later id not yet recorded is printed,
 * executed and recorded. There is no transaction (DDL auto-commits): a failed migration is not
 * recorded, so the next run retries it. Returns the ids newly recorded.
 *
 * Additions over Go: a database that records an id of this project's range that this binary
 * does not know is refused before anything is applied (a newer binary migrated it); ids of Go's
 * later branches (27 up to OWN_MIGRATION_BASE) are left alone; this project's old ids 27-29 are
 * handed back to Go once their new ids are recorded (each new id's guard finds the change there,
 * so nothing runs twice and nothing is lost: LEGACY_IDS); and concurrent migrators are
 * serialised with a named lock so two hosts starting together cannot run the same ALTER twice.
 */
export async function migrate(pool: Pool, opts: MigrateOptions = {}): Promise<number[]> {
  const list = sortedMigrations(opts.migrations ?? MIGRATIONS);
  const print = opts.print ?? (() => {});
  const conn = await pool.getConnection();
  try {
    await takeLock(conn, opts.lockTimeoutSeconds ?? 60);
    try {
      return await migrateLocked(conn, list, print);
    } finally {
      await conn.query(`SELECT RELEASE_LOCK(${LOCK_NAME})`).catch(() => {});
    }
  } finally {
    conn.release();
  }
}

async function migrateLocked(
  conn: PoolConnection,
  list: ReadonlyArray<Migration>,
  print: (line: string) => void,
): Promise<number[]> {
  const [first, ...rest] = list;
  if (first?.id !== 1) throw new Error("migration list must start with migration 1 (the tracking table)");
  try {
    await conn.query(first.sql);
  } catch (err) {
    throw new Error(`create migrations table: ${errorText(err)}`, { cause: err });
  }

  const recorded = await recordedIds(conn);
  const unknown = unknownOf(recorded, list);
  if (unknown.length > 0) throw new Error(unknownMessage(unknown, list));

  const applied: number[] = [];
  if (!recorded.has(1)) {
    print("applying migration 1");
    applied.push(1);
  }
  await record(conn, 1);

  for (const m of rest) {
    if (recorded.has(m.id)) continue;
    try {
      if (await alreadySatisfied(conn, m)) {
        print(`skipping migration ${m.id} (already satisfied)`);
      } else {
        print(`applying migration ${m.id}`);
        await conn.query(m.sql);
      }
      await record(conn, m.id);
    } catch (err) {
      throw new Error(`migration ${m.id}: ${errorText(err)}`, { cause: err });
    }
    applied.push(m.id);
    recorded.add(m.id);
  }
  for (const legacy of LEGACY_IDS) {
    if (recorded.has(legacy.from) && recorded.has(legacy.to)) await releaseLegacy(conn, legacy, print);
  }
  return applied;
}

/**
 * This project's old id and its new one are both recorded (the new one ran, or its guard found
 * the change there): delete the old row so Go's later branch, which owns that id, runs its own
 * change, unless Go's change for that id is already there (keepWhen).
 */
async function releaseLegacy(conn: PoolConnection, legacy: LegacyId, print: (line: string) => void) {
  try {
    if (await countAboveZero(conn, legacy.keepWhen)) return;
    await conn.query("DELETE FROM jetmon_schema_migrations WHERE id = ?", [legacy.from]);
  } catch (err) {
    throw new Error(`release migration ${legacy.from}: ${errorText(err)}`, { cause: err });
  }
  print(
    `released migration ${legacy.from} to Go jetmon2 (this project's ${legacy.from} is now ${legacy.to})`,
  );
}

/**
 * Known ids not recorded in the database, ascending. All of them if the tracking table is absent.
 */
export async function pendingMigrations(
  pool: Pool,
  migrations: ReadonlyArray<Migration> = MIGRATIONS,
): Promise<number[]> {
  const recorded = await recordedIds(pool);
  return sortedMigrations(migrations)
    .map((m) => m.id)
    .filter((id) => !recorded.has(id));
}

/** Pending ids from Go's own range (1-26): without them the tables the monitor needs are absent. */
export function goPending(pending: ReadonlyArray<number>): number[] {
  return pending.filter((id) => id <= GO_BASELINE_ID);
}

/** Ids of this project's range the database records and this binary does not know, ascending. */
export async function unknownMigrations(
  pool: Pool,
  migrations: ReadonlyArray<Migration> = MIGRATIONS,
): Promise<number[]> {
  return unknownOf(await recordedIds(pool), migrations);
}

type Queryable = Pick<Pool, "query">;

async function recordedIds(q: Queryable): Promise<Set<number>> {
  try {
    const [rows] = await q.query("SELECT id FROM jetmon_schema_migrations");
    return new Set((rows as Array<{ id: number | string }>).map((r) => Number(r.id)));
  } catch (err) {
    if (mysqlErrno(err) === ER_NO_SUCH_TABLE) return new Set();
    throw err;
  }
}

async function record(conn: PoolConnection, id: number): Promise<void> {
  await conn.query("INSERT IGNORE INTO jetmon_schema_migrations (id) VALUES (?)", [id]);
}

async function takeLock(conn: PoolConnection, timeoutSeconds: number): Promise<void> {
  const [rows] = await conn.query(`SELECT GET_LOCK(${LOCK_NAME}, ?) AS got`, [timeoutSeconds]);
  const got = (rows as Array<{ got: number | null }>)[0]?.got;
  if (got !== 1) {
    throw new Error(
      `another migrate is running on this database (lock jetmon2_migrate not free after ${timeoutSeconds}s)`,
    );
  }
}

/** Go's later branches own 27 up to OWN_MIGRATION_BASE: their ids are theirs to know, not ours. */
function unknownOf(recorded: Set<number>, migrations: ReadonlyArray<Migration>): number[] {
  const known = new Set(migrations.map((m) => m.id));
  return [...recorded].filter((id) => id > OWN_MIGRATION_BASE && !known.has(id)).sort((a, b) => a - b);
}

function unknownMessage(unknown: number[], migrations: ReadonlyArray<Migration>): string {
  const latest = Math.max(...migrations.map((m) => m.id));
  const what = unknown.length === 1 ? `migration ${unknown[0]}` : `migrations ${unknown.join(", ")}`;
  return (
    `database records ${what} which this jetmon2 does not know (latest known: ${latest}); ` +
    "refusing to migrate — upgrade jetmon2"
  );
}

function sortedMigrations(list: ReadonlyArray<Migration>): Migration[] {
  return [...list].sort((a, b) => a.id - b.id);
}

/**
 * A migration may carry `-- skip-when: <SELECT returning a count>`: when the count is above 0
 * the change is already there (production's v1 tables differ from the dev shape), so the id is
 * recorded without running the statement.
 */
export function skipGuard(sql: string): string | null {
  const m = /^--\s*skip-when:\s*(SELECT\b.+)$/im.exec(sql);
  return m?.[1]?.trim() ?? null;
}

async function alreadySatisfied(conn: PoolConnection, m: Migration): Promise<boolean> {
  const guard = skipGuard(m.sql);
  return guard !== null && (await countAboveZero(conn, guard));
}

async function countAboveZero(conn: PoolConnection, select: string): Promise<boolean> {
  const [rows] = await conn.query(select);
  const first = (rows as Record<string, unknown>[])[0];
  return first !== undefined && Number(Object.values(first)[0]) > 0;
}

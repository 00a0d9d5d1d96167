import { afterAll, beforeAll } from "bun:test";
import mysql from "mysql2/promise";
import { createDb, type Db } from "../../src/db/client.ts";
import { createPool, type DbSettings, type Pool, parseDsn } from "../../src/db/pool.ts";

/** Where the test MySQL lives: JETMON_TEST_DSN, else root@127.0.0.1:3306. */
export function testServer(): DbSettings {
  return parseDsn(process.env.JETMON_TEST_DSN || "mysql://root:@127.0.0.1:3306/");
}

let counter = 0;

/** Creates an empty database with a unique name and returns its settings. */
export async function createDatabase(prefix = "jt"): Promise<DbSettings> {
  const server = testServer();
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`.slice(0, 60);
  const conn = await mysql.createConnection({ ...server, database: undefined });
  try {
    await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  } finally {
    await conn.end();
  }
  return { ...server, database: name };
}

export async function dropDatabase(name: string): Promise<void> {
  const server = testServer();
  const conn = await mysql.createConnection({ ...server, database: undefined });
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await conn.end();
  }
}

export interface TestDb {
  settings: DbSettings;
  pool: Pool;
  db: Db;
}

/**
 * Gives the calling test file its own database, migrated to the latest schema unless
 * `migrate: false`, and drops it after the file's tests. Access the fields inside tests
 * (they are filled in beforeAll).
 */
export function useTestDatabase(opts: { migrate?: boolean } = {}): TestDb {
  const handle = {} as TestDb;
  beforeAll(async () => {
    handle.settings = await createDatabase();
    handle.pool = createPool(handle.settings);
    handle.db = createDb(handle.pool);
    if (opts.migrate !== false) {
      const { migrate } = await import("../../src/db/migrate.ts");
      await migrate(handle.pool, { print: () => {} });
    }
  });
  afterAll(async () => {
    await handle.pool?.end().catch(() => {});
    if (handle.settings) await dropDatabase(handle.settings.database);
  });
  return handle;
}

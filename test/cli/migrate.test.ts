import { afterAll, describe, expect, test } from "bun:test";
import type { CliContext } from "../../src/cli/context.ts";
import { makeMigrateCommand } from "../../src/cli/migrate.ts";
import { LATEST_MIGRATION_ID, MIGRATIONS } from "../../src/db/migrations.ts";
import { createPool, type DbSettings } from "../../src/db/pool.ts";
import { createDatabase, dropDatabase } from "../support/db.ts";

const created: string[] = [];
afterAll(async () => {
  for (const name of created) await dropDatabase(name);
});

async function freshDb(): Promise<DbSettings> {
  const s = await createDatabase("jtcli");
  created.push(s.database);
  return s;
}

function envFor(s: DbSettings): Record<string, string> {
  return {
    DB_HOST: s.host,
    DB_PORT: String(s.port),
    DB_USER: s.user,
    DB_PASSWORD: s.password,
    DB_NAME: s.database,
  };
}

async function run(env: Record<string, string | undefined>, args: string[] = [], attempts = 5) {
  const out: string[] = [];
  const err: string[] = [];
  const sleeps: number[] = [];
  const ctx: CliContext = {
    args,
    configPath: "config/config.json",
    env,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  };
  const cmd = makeMigrateCommand({ attempts, sleep: async (ms) => void sleeps.push(ms) });
  const code = await cmd(ctx);
  return { code, out, err, sleeps };
}

describe("jetmon2 migrate", () => {
  test("on an empty database prints each applied id then Go's success line; again prints no pending", async () => {
    const s = await freshDb();
    const first = await run(envFor(s));
    expect(first).toMatchObject({ code: 0, err: [] });
    expect(first.out).toEqual([
      ...MIGRATIONS.map((m) => `applying migration ${m.id}`),
      "migrations applied successfully",
    ]);

    const second = await run(envFor(s));
    expect(second).toMatchObject({ code: 0, err: [] });
    expect(second.out).toEqual(["no pending migrations", "migrations applied successfully"]);
  });

  test("a database recording an unknown id exits 1 with migrate: <error> and applies nothing", async () => {
    const s = await freshDb();
    const pool = createPool(s);
    try {
      await pool.query(MIGRATIONS[0]!.sql);
      await pool.query("INSERT INTO jetmon_schema_migrations (id) VALUES (1), (10031)");
    } finally {
      await pool.end();
    }
    const r = await run(envFor(s));
    expect(r.code).toBe(1);
    expect(r.out).toEqual([]);
    expect(r.err).toEqual([
      `migrate: database records migration 10031 which this jetmon2 does not know (latest known: ${LATEST_MIGRATION_ID}); refusing to migrate — upgrade jetmon2`,
    ]);
  });

  test("an unreachable database is retried with backoff, then exits 1", async () => {
    const s = await freshDb();
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const r = await run({ ...envFor(s), DB_HOST: "127.0.0.1", DB_PORT: "1" }, [], 3);
    expect(r.code).toBe(1);
    expect(r.out).toEqual([]);
    expect(r.sleeps).toEqual([1000, 2000]);
    expect(r.err).toHaveLength(3);
    expect(r.err[0]).toStartWith("migrate: connect attempt 1 failed: ");
    expect(r.err[1]).toStartWith("migrate: connect attempt 2 failed: ");
    expect(r.err[2]).toMatch(/^migrate: \S/);
  });

  test("a missing database exits 1 naming it", async () => {
    const s = await freshDb();
    const r = await run({ ...envFor(s), DB_NAME: "jt_does_not_exist_x" }, [], 1);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([expect.stringMatching(/^migrate: .*jt_does_not_exist_x/)]);
  });

  test("a bad DB_PORT exits 1 naming the variable", async () => {
    const r = await run({ DB_PORT: "abc" });
    expect(r).toEqual({
      code: 1,
      out: [],
      err: ['migrate: DB_PORT: expected a port number 1-65535, got "abc"'],
      sleeps: [],
    });
  });

  test("arguments are a usage error", async () => {
    await expect(run({}, ["--force"])).rejects.toThrow(/migrate takes no arguments/);
  });
});

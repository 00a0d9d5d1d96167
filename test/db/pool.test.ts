/** The pool's statement timeout and the connect retry's permanent errors (issue 15). */
import { expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createDb } from "../../src/db/client.ts";
import { isUnreachableError } from "../../src/db/errors.ts";
import { connectWithRetry, createPool } from "../../src/db/pool.ts";
import { testServer } from "../support/db.ts";

test("a statement past queryTimeoutMs fails as unreachable and the pool keeps working", async () => {
  const pool = createPool({ ...testServer(), database: "" }, { queryTimeoutMs: 200 });
  const db = createDb(pool);
  try {
    const plain = await db.execute(sql`SELECT SLEEP(1)`).catch((e: unknown) => e);
    expect(isUnreachableError(plain)).toBe(true);
    expect(String((plain as { cause?: { code?: string } }).cause?.code)).toBe("PROTOCOL_SEQUENCE_TIMEOUT");
    // In a transaction the rollback meets the destroyed connection: still unreachable, not "wrong".
    const inTx = await db
      .transaction(async (tx) => {
        await tx.execute(sql`SELECT SLEEP(1)`);
      })
      .catch((e: unknown) => e);
    expect(isUnreachableError(inTx)).toBe(true);
    const [rows] = (await db.execute(sql`SELECT 7 AS x`)) as unknown as [{ x: number }[]];
    expect(rows[0]?.x).toBe(7);
  } finally {
    await pool.end();
  }
});

test("without queryTimeoutMs a slow statement is left alone", async () => {
  const pool = createPool({ ...testServer(), database: "" });
  try {
    const [rows] = (await createDb(pool).execute(sql`SELECT SLEEP(0.3) AS s`)) as unknown as [
      { s: number }[],
    ];
    expect(Number(rows[0]?.s)).toBe(0);
  } finally {
    await pool.end();
  }
});

test("an unknown database fails the connect at once with the server's message", async () => {
  const pool = createPool({ ...testServer(), database: "jetmon_no_such_db_15" });
  const retries: number[] = [];
  try {
    const err = await connectWithRetry(pool, 10, {
      sleep: async () => {},
      onRetry: (n) => retries.push(n),
    }).catch((e: unknown) => e);
    expect((err as Error).message).toContain("Unknown database 'jetmon_no_such_db_15'");
    expect(retries).toEqual([]);
  } finally {
    await pool.end();
  }
});

test("a refused connection is still retried", async () => {
  const pool = createPool({ ...testServer(), host: "127.0.0.1", port: 1 });
  const retries: number[] = [];
  try {
    await connectWithRetry(pool, 3, { sleep: async () => {}, onRetry: (n) => retries.push(n) }).catch(
      () => {},
    );
    expect(retries).toEqual([1, 2]);
  } finally {
    await pool.end();
  }
});

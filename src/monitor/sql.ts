import type { SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { isRetryableLockError } from "../db/errors.ts";

/** Anything that can run raw SQL: the Db or a transaction handle. */
export type Executor = Pick<Db, "execute">;

/** Runs a SELECT and returns its rows. */
export async function selectRows<T>(db: Executor, query: SQL): Promise<T[]> {
  const [rows] = (await db.execute(query)) as unknown as [T[], unknown];
  return rows;
}

/** Runs a statement and returns changed rows (the pool connects without FOUND_ROWS). */
export async function run(db: Executor, query: SQL): Promise<{ affectedRows: number; insertId: number }> {
  const [header] = (await db.execute(query)) as unknown as [
    { affectedRows: number; insertId: number },
    unknown,
  ];
  return { affectedRows: Number(header.affectedRows ?? 0), insertId: Number(header.insertId ?? 0) };
}

/**
 * Runs `fn` (a transaction), again after a short pause when MySQL picked it as a deadlock
 * victim or its lock wait timed out: both mean "try again", not "something is wrong".
 */
export async function retryOnConflict<T>(fn: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !isRetryableLockError(err)) throw err;
      await Bun.sleep(10 * i + Math.floor(Math.random() * 20));
    }
  }
}

/**
 * Errors that mean "MySQL is not reachable right now" rather than "this statement is wrong":
 * the monitor pauses and keeps results for these, and drops (loudly) on anything else.
 */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_CON_COUNT_ERROR",
  "ER_SERVER_SHUTDOWN",
  "ER_QUERY_INTERRUPTED",
  "ERR_SOCKET_CLOSED",
  "POOL_CLOSED",
]);

export function isConnectionError(err: unknown): boolean {
  for (
    let e = err as { code?: string; cause?: unknown; message?: string } | undefined, i = 0;
    e && i < 4;
    i++
  ) {
    if (e.code && CONNECTION_CODES.has(e.code)) return true;
    if (
      typeof e.message === "string" &&
      /connection (lost|closed|refused)|closed state|Can't add new command/i.test(e.message)
    )
      return true;
    e = e.cause as typeof e;
  }
  return false;
}

export function errorText(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  const own = e?.message ?? String(err);
  // drizzle wraps driver errors as "Failed query: ..."; the cause says what went wrong.
  return e?.cause?.message && own.startsWith("Failed query") ? e.cause.message : own;
}

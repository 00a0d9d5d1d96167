/**
 * The raw-SQL helpers every module uses. Only src/db knows the mysql2 result shape (drizzle's
 * `execute` hands back `[rows, fields]` or `[header, fields]`) and `KILL QUERY`.
 */
import { type SQL, sql } from "drizzle-orm";
import { settleWithin } from "../timeout.ts";
import type { Db } from "./client.ts";
import { isRetryableLockError } from "./errors.ts";

/** A drizzle transaction on `Db`: the same query builder, on one pinned connection. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/**
 * Something that runs SQL: the Db (each call on any pooled connection) or a transaction. Given
 * a transaction, a function joins the caller's work so both commit or roll back together.
 */
export type Executor = Db | Tx;

/** Runs `fn` in a transaction on `db` (a savepoint when `db` is already a transaction). */
export function inTransaction<T>(db: Executor, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return (db as Db).transaction(fn);
}

/** Runs a SELECT and returns its rows. */
export async function selectRows<T>(db: Pick<Executor, "execute">, query: SQL): Promise<T[]> {
  const [rows] = (await db.execute(query)) as unknown as [T[], unknown];
  return rows;
}

/** Runs a statement and returns changed rows (the pool connects without FOUND_ROWS). */
export async function run(
  db: Pick<Executor, "execute">,
  query: SQL,
): Promise<{ affectedRows: number; insertId: number }> {
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
 * Runs `work` in a transaction that `signal` can cut short. The transaction learns its
 * connection id first; when `signal` aborts, the statement under way gets `KILL QUERY`, work
 * not yet started never starts, and work that finishes anyway is rolled back, never committed.
 * The promise rejects with `signal.reason`: at once when `settleMs` is 0, else after the kill
 * and the rollback have had up to `settleMs` each (so nothing the caller gave up on lands
 * behind its next write).
 */
export function killableTransaction<T>(
  db: Db,
  signal: AbortSignal,
  work: (tx: Tx) => Promise<T>,
  settleMs = 0,
): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  let connectionId: number | null = null;
  const tx = db.transaction(async (tx) => {
    const [rows] = await selectRows<{ id: number }>(tx, sql`SELECT CONNECTION_ID() AS id`);
    connectionId = Number(rows?.id);
    if (signal.aborted) throw signal.reason;
    const value = await work(tx);
    if (signal.aborted) throw signal.reason;
    return value;
  });
  return new Promise<T>((resolve, reject) => {
    const onAbort = async () => {
      const id = connectionId;
      const kill =
        id !== null && Number.isSafeInteger(id) ? db.execute(sql.raw(`KILL QUERY ${id}`)) : Promise.resolve();
      kill.catch(() => {});
      tx.catch(() => {});
      if (settleMs > 0) {
        await settleWithin(settleMs, kill);
        await settleWithin(settleMs, tx);
      }
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    tx.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        if (!signal.aborted) resolve(v);
      },
      (err) => {
        signal.removeEventListener("abort", onAbort);
        if (!signal.aborted) reject(err);
      },
    );
  });
}

/**
 * A DATETIME/TIMESTAMP parameter cut to whole seconds: those columns have no fraction, and
 * MySQL rounds a fraction up where MariaDB truncates it (a row enqueued "now" would be due a
 * second late on MySQL).
 */
export function dbTime(at: number | Date): Date {
  const ms = typeof at === "number" ? at : at.getTime();
  return new Date(Math.floor(ms / 1000) * 1000);
}

/**
 * A TIMESTAMP/DATETIME value read through drizzle's raw `execute`, which hands them over as
 * `YYYY-MM-DD HH:MM:SS[.fff]` text in the session time zone (UTC). NULL stays null.
 */
export function readDbTime(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v;
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?$/.exec(String(v));
  if (!m) throw new Error(`unexpected time value from the database: ${JSON.stringify(v)}`);
  const ms = m[7] ? Math.round(Number(`0${m[7]}`) * 1000) : 0;
  const [, year, month, day, hour, minute, second] = m;
  return new Date(
    Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), ms),
  );
}

/**
 * The few helpers every delivery query uses: raw SQL through drizzle's `execute`, typed rows,
 * changed-row counts, and TIMESTAMP values from the injected clock.
 */
import type { SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";

/** Milliseconds since the epoch; injected so tests move time instead of sleeping. */
export type Clock = () => number;

/** Anything that runs SQL: the Db or a transaction handle. */
export type Executor = Pick<Db, "execute">;

/** Runs a SELECT and returns its rows. */
export async function queryRows<T>(ex: Executor, q: SQL): Promise<T[]> {
  const res = (await ex.execute(q)) as unknown as [T[], unknown];
  return res[0];
}

/** Runs a write and returns what changed (the pool reports changed rows, not found rows). */
export async function execWrite(ex: Executor, q: SQL): Promise<{ affectedRows: number; insertId: number }> {
  const res = (await ex.execute(q)) as unknown as [{ affectedRows: number; insertId: number }, unknown];
  return { affectedRows: res[0].affectedRows, insertId: res[0].insertId };
}

/**
 * A TIMESTAMP parameter for `ms`, cut to whole seconds: the delivery columns have no fraction,
 * and MySQL rounds a fraction up where MariaDB truncates it, which would make a row enqueued
 * "now" due one second late on MySQL.
 */
export function dbTime(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

/** An error's message, for the text stored in `last_response` and written to logs. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
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
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms));
}

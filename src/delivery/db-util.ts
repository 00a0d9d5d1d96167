/**
 * The few helpers every delivery query uses: raw SQL through drizzle's `execute` (typed rows and
 * changed-row counts, shared with the monitor), and TIMESTAMP values from the injected clock.
 */
export { type Executor, run as execWrite, selectRows as queryRows } from "../monitor/sql.ts";

/** Milliseconds since the epoch; injected so tests move time instead of sleeping. */
export type Clock = () => number;

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
  const [, year, month, day, hour, minute, second] = m;
  return new Date(
    Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), ms),
  );
}

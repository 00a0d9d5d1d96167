import mysql from "mysql2/promise";
import { isPermanentConnectError } from "./errors.ts";

export type Pool = mysql.Pool;
export type PoolConnection = mysql.PoolConnection;

export interface DbSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/**
 * Opens a mysql2 pool. Every session runs in UTC. `-FOUND_ROWS` makes affectedRows
 * report changed rows rather than matched rows (docs/design.md defect 17), so
 * code can branch on whether an UPDATE really changed something.
 */
export function createPool(
  s: DbSettings,
  opts: { connectionLimit?: number; queryTimeoutMs?: number } = {},
): Pool {
  const queryTimeoutMs = opts.queryTimeoutMs ?? 0;
  const pool = mysql
    .createPool({
      host: s.host,
      port: s.port,
      user: s.user,
      password: s.password,
      database: s.database || undefined,
      connectionLimit: opts.connectionLimit ?? 10,
      maxIdle: 5,
      idleTimeout: 300_000,
      // A server that accepts TCP but never answers (SIGSTOP) is noticed as fast as a hung query.
      connectTimeout: queryTimeoutMs > 0 ? Math.min(10_000, Math.max(1000, queryTimeoutMs)) : 10_000,
      timezone: "Z",
      dateStrings: false,
      supportBigNumbers: true,
      bigNumberStrings: false,
      multipleStatements: false,
      flags: ["-FOUND_ROWS"],
      enableKeepAlive: true,
    })
    .on("connection", (conn) => {
      // mysql2's `timezone` only converts values client-side; the server session must agree.
      (conn as unknown as { query: (sql: string) => void }).query("SET time_zone = '+00:00'");
    });
  if (queryTimeoutMs > 0) {
    pool.pool.on("connection", (conn) => boundQueries(conn as unknown as CoreConnection, queryTimeoutMs));
  }
  return pool;
}

type Callback = (err: unknown, ...rest: unknown[]) => void;
interface CoreConnection {
  query: (sql: unknown, values?: unknown, cb?: unknown) => unknown;
  execute: (sql: unknown, values?: unknown, cb?: unknown) => unknown;
  destroy: () => void;
}

/**
 * Gives every statement on `conn` a timeout (mysql2's per-query `timeout`), and destroys the
 * connection when one passes: a statement that timed out may still be queued on the socket,
 * and a connection returned to the pool with it would hang the next caller too. The caller sees
 * `PROTOCOL_SEQUENCE_TIMEOUT`, which the writer counts as unreachable (issue 15).
 */
function boundQueries(conn: CoreConnection, timeoutMs: number): void {
  // The statement that timed out: a later one on this destroyed connection (a transaction's
  // ROLLBACK, say) fails with "closed state", which would hide the cause from the operator.
  let timedOut: unknown = null;
  for (const method of ["query", "execute"] as const) {
    const original = conn[method].bind(conn);
    const wrap =
      (done: Callback): Callback =>
      (err, ...rest) => {
        if ((err as { code?: string } | null)?.code === "PROTOCOL_SEQUENCE_TIMEOUT") {
          timedOut = err;
          conn.destroy();
        } else if (timedOut && /closed state/.test(String((err as { message?: string } | null)?.message))) {
          done(timedOut, ...rest);
          return;
        }
        done(err, ...rest);
      };
    conn[method] = (sqlOrOptions: unknown, values?: unknown, cb?: unknown) => {
      // The pool builds the Query command itself and hands it over: bound it in place.
      const isCommand =
        typeof sqlOrOptions === "object" && sqlOrOptions !== null && "onResult" in sqlOrOptions;
      if (isCommand) {
        const cmd = sqlOrOptions as { timeout?: number; onResult?: Callback };
        if (!cmd.timeout) cmd.timeout = timeoutMs;
        if (cmd.onResult) cmd.onResult = wrap(cmd.onResult);
        return original(cmd, values, cb);
      }
      const options =
        typeof sqlOrOptions === "string"
          ? { sql: sqlOrOptions, timeout: timeoutMs }
          : { timeout: timeoutMs, ...(sqlOrOptions as object) };
      if (typeof values === "function") return original(options, wrap(values as Callback));
      if (typeof cb === "function") return original(options, values, wrap(cb as Callback));
      return original(options, values);
    };
  }
}

/**
 * Pings with retry: waits min(2^i s, 30 s) between attempts (docs/reference/monitor-core.md §4.1). A permanent error
 * (wrong password, unknown database) is thrown at once: no retry can fix it.
 */
export async function connectWithRetry(
  pool: Pool,
  attempts: number,
  opts: { sleep?: (ms: number) => Promise<void>; onRetry?: (attempt: number, err: unknown) => void } = {},
): Promise<void> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const conn = await pool.getConnection();
      try {
        await conn.ping();
      } finally {
        conn.release();
      }
      return;
    } catch (err) {
      last = err;
      if (isPermanentConnectError(err)) throw err;
      if (i < attempts - 1) {
        opts.onRetry?.(i + 1, err);
        await sleep(Math.min(2 ** i * 1000, 30_000));
      }
    }
  }
  throw last;
}

/**
 * A small pool for a one-shot command (2 connections), pinged with connectWithRetry. When every
 * attempt fails the pool is ended and the last error rethrown.
 */
export async function openCommandPool(
  settings: DbSettings,
  attempts: number,
  opts: Parameters<typeof connectWithRetry>[2] = {},
): Promise<Pool> {
  const pool = createPool(settings, { connectionLimit: 2 });
  try {
    await connectWithRetry(pool, attempts, opts);
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  return pool;
}

/** Parses mysql://user:pass@host:port/db into settings (db optional). */
export function parseDsn(dsn: string): DbSettings {
  const u = new URL(dsn);
  if (u.protocol !== "mysql:") throw new Error(`DSN must start with mysql://, got ${JSON.stringify(dsn)}`);
  return {
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || "root"),
    password: decodeURIComponent(u.password || ""),
    database: u.pathname.replace(/^\//, ""),
  };
}

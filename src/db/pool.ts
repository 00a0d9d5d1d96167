import mysql from "mysql2/promise";

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
export function createPool(s: DbSettings, opts: { connectionLimit?: number } = {}): Pool {
  return mysql
    .createPool({
      host: s.host,
      port: s.port,
      user: s.user,
      password: s.password,
      database: s.database || undefined,
      connectionLimit: opts.connectionLimit ?? 10,
      maxIdle: 5,
      idleTimeout: 300_000,
      connectTimeout: 10_000,
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
}

/** Pings with retry: waits min(2^i s, 30 s) between attempts (docs/reference/monitor-core.md §4.1). */
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

/**
 * MySQL error numbers without importing mysql2 elsewhere. drizzle wraps driver errors in a
 * DrizzleQueryError whose `cause` is the mysql2 error, so these walk the cause chain.
 */
export const ER_DUP_ENTRY = 1062;
export const ER_NO_SUCH_TABLE = 1146;
export const ER_LOCK_DEADLOCK = 1213;
export const ER_LOCK_WAIT_TIMEOUT = 1205;

/** The MySQL errno of `err` or of the first error in its cause chain that has one. */
export function mysqlErrno(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const errno = (e as { errno?: unknown }).errno;
    if (typeof errno === "number") return errno;
  }
  return undefined;
}

/** A unique key rejected the row (e.g. a second open event for the same dedup key). */
export function isDuplicateKeyError(err: unknown): boolean {
  return mysqlErrno(err) === ER_DUP_ENTRY;
}

/** Deadlock or lock-wait timeout: the statement may be retried. */
export function isRetryableLockError(err: unknown): boolean {
  const n = mysqlErrno(err);
  return n === ER_LOCK_DEADLOCK || n === ER_LOCK_WAIT_TIMEOUT;
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

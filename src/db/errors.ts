/**
 * MySQL error numbers without importing mysql2 elsewhere. drizzle wraps driver errors in a
 * DrizzleQueryError whose `cause` is the mysql2 error, so these walk the cause chain.
 */
export const ER_DUP_ENTRY = 1062;
export const ER_NO_SUCH_TABLE = 1146;
export const ER_LOCK_DEADLOCK = 1213;
export const ER_LOCK_WAIT_TIMEOUT = 1205;

/** The MySQL errno of `err` or of the first error in its cause chain that has one (positive). */
export function mysqlErrno(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const errno = (e as { errno?: unknown }).errno;
    // Node's OS errors carry a negative errno (-111 for ECONNREFUSED): not a MySQL number.
    if (typeof errno === "number" && errno > 0) return errno;
  }
  return undefined;
}

/** Deadlock or lock-wait timeout: the statement may be retried. */
export function isRetryableLockError(err: unknown): boolean {
  const n = mysqlErrno(err);
  return n === ER_LOCK_DEADLOCK || n === ER_LOCK_WAIT_TIMEOUT;
}

/**
 * What a failed result write means, by MySQL error number (issue 15):
 * - `transient`: the server cannot take writes right now (connection lost or timed out, lock
 *   conflict, read-only, disk or table full, too many connections, revoked grant): hold the
 *   results and retry; nothing is dropped.
 * - `poison`: the server will never accept this row (value out of range, bad date, too long,
 *   duplicate key): drop that row alone, logged with its site.
 * - `fatal`: the schema is not what this binary writes (missing table or column, SQL the
 *   server cannot parse): stop checking and go red, since every later write would fail too.
 * An error with no known number or code is held as transient: pausing is recoverable, a
 * dropped result is not.
 */
export type WriteErrorKind = "transient" | "poison" | "fatal";

const TRANSIENT_ERRNOS = new Set([
  1021, // ER_DISK_FULL
  1030, // ER_GET_ERRNO (storage engine error, e.g. out of space)
  1037, // ER_OUTOFMEMORY
  1038, // ER_OUT_OF_SORTMEMORY
  1040, // ER_CON_COUNT_ERROR (too many connections)
  1053, // ER_SERVER_SHUTDOWN
  1114, // ER_RECORD_FILE_FULL (table is full)
  1142, // ER_TABLEACCESS_DENIED_ERROR (a revoked grant)
  1180, // ER_ERROR_DURING_COMMIT
  1203, // ER_TOO_MANY_USER_CONNECTIONS
  1205, // ER_LOCK_WAIT_TIMEOUT
  1213, // ER_LOCK_DEADLOCK
  1290, // ER_OPTION_PREVENTS_STATEMENT (--read-only, --super-read-only)
  1317, // ER_QUERY_INTERRUPTED
  1615, // ER_NEED_REPREPARE
  1792, // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
  1836, // ER_READ_ONLY_MODE
  1927, // ER_CONNECTION_KILLED (MariaDB)
  1969, // ER_STATEMENT_TIMEOUT (MariaDB max_statement_time)
  2002, // CR_CONNECTION_ERROR
  2003, // CR_CONN_HOST_ERROR
  2006, // CR_SERVER_GONE_ERROR
  2013, // CR_SERVER_LOST
  3024, // ER_QUERY_TIMEOUT (MySQL max_execution_time)
]);

const POISON_ERRNOS = new Set([
  1048, // ER_BAD_NULL_ERROR
  ER_DUP_ENTRY,
  1264, // ER_WARN_DATA_OUT_OF_RANGE
  1265, // WARN_DATA_TRUNCATED
  1292, // ER_TRUNCATED_WRONG_VALUE (a bad date)
  1366, // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
  1367, // ER_ILLEGAL_VALUE_FOR_TYPE
  1406, // ER_DATA_TOO_LONG
  1452, // ER_NO_REFERENCED_ROW_2
  3819, // ER_CHECK_CONSTRAINT_VIOLATED (MySQL)
  4025, // ER_CONSTRAINT_FAILED (MariaDB)
]);

const FATAL_ERRNOS = new Set([
  1049, // ER_BAD_DB_ERROR
  1054, // ER_BAD_FIELD_ERROR
  1064, // ER_PARSE_ERROR
  1109, // ER_UNKNOWN_TABLE
  1136, // ER_WRONG_VALUE_COUNT_ON_ROW
  1146, // ER_NO_SUCH_TABLE
  1364, // ER_NO_DEFAULT_FOR_FIELD (a column this binary does not know)
]);

/** Driver-side codes (no server errno): the connection failed or timed out. */
const TRANSIENT_CODES = new Set([
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
  "ERR_SOCKET_CLOSED",
  "POOL_CLOSED",
]);

/** A driver-side sign that the connection is gone: a known code, or mysql2's `fatal` flag. */
function connectionGone(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, fatal, message } = e as { code?: unknown; fatal?: unknown; message?: unknown };
    if (typeof code === "string" && TRANSIENT_CODES.has(code)) return true;
    if (fatal === true) return true;
    // mysql2 on a connection it already closed (e.g. the rollback after a timed-out statement).
    if (typeof message === "string" && /closed state|Can't add new command/.test(message)) return true;
  }
  return false;
}

export function classifyWriteError(err: unknown): WriteErrorKind {
  const n = mysqlErrno(err);
  if (n === undefined || TRANSIENT_ERRNOS.has(n)) return "transient";
  if (POISON_ERRNOS.has(n)) return "poison";
  if (FATAL_ERRNOS.has(n)) return "fatal";
  return "transient";
}

/**
 * The transient errors that mean "MySQL is not reachable" (connection refused, lost, timed out,
 * server shutting down): checks pause at once. Other transient errors (read-only, disk full)
 * keep checking until the hold is full.
 */
export function isUnreachableError(err: unknown): boolean {
  const n = mysqlErrno(err);
  if (n !== undefined) return n === 1040 || n === 1053 || n === 1927 || (n >= 2002 && n <= 2013);
  return connectionGone(err);
}

/**
 * Connect errors no retry can fix: a wrong user or password, no access to the database, a
 * database that does not exist, a locked account. Startup fails at once with the server's words.
 */
const PERMANENT_CONNECT_ERRNOS = new Set([
  1044, // ER_DBACCESS_DENIED_ERROR
  1045, // ER_ACCESS_DENIED_ERROR
  1049, // ER_BAD_DB_ERROR
  1251, // ER_NOT_SUPPORTED_AUTH_MODE
  1698, // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
  1862, // ER_MUST_CHANGE_PASSWORD_LOGIN
  3118, // ER_ACCOUNT_HAS_BEEN_LOCKED (MySQL)
  4151, // ER_ACCOUNT_HAS_BEEN_LOCKED (MariaDB)
]);

export function isPermanentConnectError(err: unknown): boolean {
  const n = mysqlErrno(err);
  return n !== undefined && PERMANENT_CONNECT_ERRNOS.has(n);
}

import { describe, expect, test } from "bun:test";
import {
  classifyWriteError,
  ER_DUP_ENTRY,
  isPermanentConnectError,
  isRetryableLockError,
  isUnreachableError,
  mysqlErrno,
  type WriteErrorKind,
} from "../../src/db/errors.ts";

const driver = (errno: number) => Object.assign(new Error("driver"), { errno });
const wrapped = (cause: unknown) => new Error("Failed query: ...", { cause });

describe("mysqlErrno", () => {
  test.each([
    ["a driver error", driver(1062), 1062],
    ["a drizzle-wrapped driver error", wrapped(driver(1146)), 1146],
    ["twice wrapped", wrapped(wrapped(driver(1213))), 1213],
    ["an error without errno", new Error("x"), undefined],
    ["a non-numeric errno", Object.assign(new Error("x"), { errno: "1062" }), undefined],
    [
      "an OS error's negative errno",
      Object.assign(new Error("connect ECONNREFUSED"), { errno: -111 }),
      undefined,
    ],
    ["null", null, undefined],
    ["a string", "boom", undefined],
  ] as Array<[string, unknown, number | undefined]>)("%s", (_name, err, want) => {
    expect(mysqlErrno(err)).toBe(want);
  });

  test("stops on a cause cycle", () => {
    const a = new Error("a") as Error & { cause?: unknown };
    a.cause = a;
    expect(mysqlErrno(a)).toBeUndefined();
  });
});

test("duplicate key errno / isRetryableLockError", () => {
  expect(mysqlErrno(wrapped(driver(1062)))).toBe(ER_DUP_ENTRY);
  expect(mysqlErrno(driver(1213))).not.toBe(ER_DUP_ENTRY);
  expect(isRetryableLockError(driver(1213))).toBe(true);
  expect(isRetryableLockError(wrapped(driver(1205)))).toBe(true);
  expect(isRetryableLockError(driver(1062))).toBe(false);
});

describe("classifyWriteError", () => {
  const code = (c: string) => Object.assign(new Error(c), { code: c });
  test.each([
    ["read_only (1290)", driver(1290), "transient"],
    ["read-only transaction (1792)", driver(1792), "transient"],
    ["read-only engine (1836)", driver(1836), "transient"],
    ["disk full (1021)", driver(1021), "transient"],
    ["table full (1114)", driver(1114), "transient"],
    ["too many connections (1040)", driver(1040), "transient"],
    ["revoked grant (1142)", wrapped(driver(1142)), "transient"],
    ["deadlock (1213)", driver(1213), "transient"],
    ["lock wait (1205)", driver(1205), "transient"],
    ["server gone (2006)", driver(2006), "transient"],
    ["connection killed (1927)", driver(1927), "transient"],
    ["statement timeout (1969)", driver(1969), "transient"],
    ["query timeout (driver)", code("PROTOCOL_SEQUENCE_TIMEOUT"), "transient"],
    ["connection lost (driver)", wrapped(code("PROTOCOL_CONNECTION_LOST")), "transient"],
    ["refused (driver)", code("ECONNREFUSED"), "transient"],
    ["an unknown server errno", driver(9999), "transient"],
    ["a plain error", new Error("boom"), "transient"],
    ["out of range (1264)", wrapped(driver(1264)), "poison"],
    ["bad date (1292)", driver(1292), "poison"],
    ["wrong value for field (1366)", driver(1366), "poison"],
    ["too long (1406)", driver(1406), "poison"],
    ["null in NOT NULL (1048)", driver(1048), "poison"],
    ["duplicate key (1062)", driver(1062), "poison"],
    ["check constraint (4025)", driver(4025), "poison"],
    ["no such table (1146)", wrapped(driver(1146)), "fatal"],
    ["unknown column (1054)", driver(1054), "fatal"],
    ["parse error (1064)", driver(1064), "fatal"],
    ["no default for a column (1364)", driver(1364), "fatal"],
    ["database gone (1049)", driver(1049), "fatal"],
  ] as Array<[string, unknown, WriteErrorKind]>)("%s is %s", (_name, err, want) => {
    expect(classifyWriteError(err)).toBe(want);
  });
});

describe("isUnreachableError", () => {
  const code = (c: string) => Object.assign(new Error(c), { code: c });
  test.each([
    ["query timeout", code("PROTOCOL_SEQUENCE_TIMEOUT"), true],
    ["connect timeout", wrapped(code("ETIMEDOUT")), true],
    ["refused", code("ECONNREFUSED"), true],
    ["refused, as Node reports it", Object.assign(code("ECONNREFUSED"), { errno: -111, fatal: true }), true],
    ["lost", code("PROTOCOL_CONNECTION_LOST"), true],
    ["too many connections", driver(1040), true],
    ["server shutdown", driver(1053), true],
    ["server gone", driver(2006), true],
    ["read_only", driver(1290), false],
    ["disk full", driver(1021), false],
    ["deadlock", driver(1213), false],
    ["plain error", new Error("x"), false],
    ["mysql2 fatal flag", wrapped(Object.assign(new Error("gone"), { fatal: true })), true],
    [
      "command on a closed connection",
      new Error("Can't add new command when connection is in closed state"),
      true,
    ],
  ] as Array<[string, unknown, boolean]>)("%s: %p", (_name, err, want) => {
    expect(isUnreachableError(err)).toBe(want);
  });
});

describe("isPermanentConnectError", () => {
  test.each([
    ["wrong password (1045)", driver(1045), true],
    ["no access to the database (1044)", driver(1044), true],
    ["unknown database (1049)", wrapped(driver(1049)), true],
    ["locked account (4151)", driver(4151), true],
    ["too many connections (1040)", driver(1040), false],
    ["refused", Object.assign(new Error("r"), { code: "ECONNREFUSED" }), false],
    ["no errno", new Error("x"), false],
  ] as Array<[string, unknown, boolean]>)("%s: %p", (_name, err, want) => {
    expect(isPermanentConnectError(err)).toBe(want);
  });
});

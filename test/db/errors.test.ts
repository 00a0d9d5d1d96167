import { describe, expect, test } from "bun:test";
import { isDuplicateKeyError, isRetryableLockError, mysqlErrno } from "../../src/db/errors.ts";

const driver = (errno: number) => Object.assign(new Error("driver"), { errno });
const wrapped = (cause: unknown) => new Error("Failed query: ...", { cause });

describe("mysqlErrno", () => {
  test.each([
    ["a driver error", driver(1062), 1062],
    ["a drizzle-wrapped driver error", wrapped(driver(1146)), 1146],
    ["twice wrapped", wrapped(wrapped(driver(1213))), 1213],
    ["an error without errno", new Error("x"), undefined],
    ["a non-numeric errno", Object.assign(new Error("x"), { errno: "1062" }), undefined],
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

test("isDuplicateKeyError / isRetryableLockError", () => {
  expect(isDuplicateKeyError(wrapped(driver(1062)))).toBe(true);
  expect(isDuplicateKeyError(driver(1213))).toBe(false);
  expect(isRetryableLockError(driver(1213))).toBe(true);
  expect(isRetryableLockError(wrapped(driver(1205)))).toBe(true);
  expect(isRetryableLockError(driver(1062))).toBe(false);
});

import { describe, expect, test } from "bun:test";
import { classifyError, errorFacts } from "../../src/check/classify.ts";
import { CheckError, isFailedResult, isFailure } from "../../src/check/errors.ts";

describe("classifyError", () => {
  // Codes as Bun 1.4.5's fetch and node:tls report them (measured; see docs/checks.md).
  const cases: Array<[string, Parameters<typeof classifyError>[0], CheckError]> = [
    ["our deadline wins over any code", { timedOut: true, code: "ECONNREFUSED" }, CheckError.Timeout],
    ["AbortSignal timeout", { name: "TimeoutError", code: 23 }, CheckError.Timeout],
    ["ETIMEDOUT", { code: "ETIMEDOUT" }, CheckError.Timeout],
    ["expired certificate", { name: "TypeError", code: "CERT_HAS_EXPIRED" }, CheckError.TLSExpired],
    ["self-signed", { code: "DEPTH_ZERO_SELF_SIGNED_CERT" }, CheckError.SSL],
    ["unknown issuer", { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }, CheckError.SSL],
    ["self-signed in chain", { code: "SELF_SIGNED_CERT_IN_CHAIN" }, CheckError.SSL],
    ["wrong host", { code: "ERR_TLS_CERT_ALTNAME_INVALID" }, CheckError.SSL],
    ["not yet valid", { code: "CERT_NOT_YET_VALID" }, CheckError.SSL],
    ["handshake failure", { code: "EPROTO" }, CheckError.SSL],
    ["unlisted TLS code by prefix", { code: "ERR_SSL_SOMETHING_NEW" }, CheckError.SSL],
    ["unlisted cert code by prefix", { code: "CERT_SOMETHING_NEW" }, CheckError.SSL],
    ["refused", { code: "ECONNREFUSED" }, CheckError.Connect],
    ["refused (Bun name)", { code: "ConnectionRefused" }, CheckError.Connect],
    ["reset", { code: "ECONNRESET" }, CheckError.Connect],
    ["DNS", { code: "ENOTFOUND" }, CheckError.Connect],
    ["DNS temporary", { code: "EAI_AGAIN" }, CheckError.Connect],
    ["unreachable", { code: "EHOSTUNREACH" }, CheckError.Connect],
    ["bad URL", { code: "ERR_INVALID_URL" }, CheckError.Connect],
    ["unknown code", { code: "SOMETHING_ELSE" }, CheckError.Connect],
    ["no facts at all", {}, CheckError.Connect],
    // A message that mentions TLS must not matter: only structured fields count.
    ["message text ignored", { name: "Error", code: "ECONNREFUSED" }, CheckError.Connect],
    // After the headers: whatever cut the body short is TruncatedBody.
    [
      "body reset (short Content-Length, chunked cut)",
      { phase: "body", code: "ECONNRESET" },
      CheckError.TruncatedBody,
    ],
    [
      "body stalled past our deadline",
      { phase: "body", timedOut: true, name: "TimeoutError" },
      CheckError.TruncatedBody,
    ],
    ["body error without facts", { phase: "body" }, CheckError.TruncatedBody],
    ["request phase keeps the old rules", { phase: "request", code: "ECONNRESET" }, CheckError.Connect],
    ["request phase deadline is Timeout", { phase: "request", timedOut: true }, CheckError.Timeout],
  ];
  for (const [label, facts, want] of cases) {
    test(label, () => {
      expect(classifyError(facts).code).toBe(want);
    });
  }

  test("detail names the deciding code", () => {
    expect(classifyError({ phase: "body", timedOut: true }).detail).toBe("body stalled past the timeout");
    expect(classifyError({ phase: "body", code: "ECONNRESET" }).detail).toBe("ECONNRESET");
    expect(classifyError({ code: "ECONNREFUSED" }).detail).toBe("ECONNREFUSED");
    expect(classifyError({ name: "TimeoutError" }).detail).toBe("TimeoutError");
  });
});

describe("Go's numbering", () => {
  test("every code keeps Go's number", () => {
    expect([
      CheckError.None,
      CheckError.Timeout,
      CheckError.Connect,
      CheckError.SSL,
      CheckError.Redirect,
      CheckError.Keyword,
      CheckError.TLSExpired,
      CheckError.TLSDeprecated,
      CheckError.TruncatedBody,
    ]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe("errorFacts", () => {
  test("carries the phase, from the error or its cause", () => {
    const reset = Object.assign(new TypeError("socket closed"), { code: "ECONNRESET" });
    expect(errorFacts(reset, false, "body")).toEqual({
      timedOut: false,
      phase: "body",
      name: "TypeError",
      code: "ECONNRESET",
    });
    const wrapped = new Error("read", { cause: reset });
    expect(classifyError(errorFacts(wrapped, false, "body")).code).toBe(CheckError.TruncatedBody);
    expect(errorFacts("x", true, "body")).toEqual({ timedOut: true, phase: "body" });
  });
  test("reads name and code", () => {
    const err = Object.assign(new TypeError("redirect tls certificate"), { code: "ECONNREFUSED" });
    expect(classifyError(errorFacts(err)).code).toBe(CheckError.Connect);
  });
  test("falls back to the cause's code", () => {
    const err = new Error("wrapped", { cause: Object.assign(new Error("x"), { code: "CERT_HAS_EXPIRED" }) });
    expect(classifyError(errorFacts(err)).code).toBe(CheckError.TLSExpired);
  });
  test("non-objects", () => {
    expect(errorFacts("boom")).toEqual({ timedOut: false });
    expect(errorFacts(null, true)).toEqual({ timedOut: true });
  });
});

describe("isFailure", () => {
  const cases: Array<[CheckError, boolean]> = [
    [CheckError.None, false],
    [CheckError.TLSDeprecated, false],
    [CheckError.Timeout, true],
    [CheckError.Connect, true],
    [CheckError.SSL, true],
    [CheckError.Redirect, true],
    [CheckError.Keyword, true],
    [CheckError.TLSExpired, true],
    [CheckError.TruncatedBody, true],
  ];
  for (const [code, want] of cases) test(`code ${code}`, () => expect(isFailure(code)).toBe(want));

  test("isFailedResult (reference §2.5 table)", () => {
    expect(isFailedResult({ success: true, errorCode: CheckError.None })).toBe(false);
    expect(isFailedResult({ success: true, errorCode: CheckError.TLSDeprecated })).toBe(false);
    expect(isFailedResult({ success: true, errorCode: CheckError.Keyword })).toBe(true);
    expect(isFailedResult({ success: false, errorCode: CheckError.Connect })).toBe(true);
  });
});

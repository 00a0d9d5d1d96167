import { describe, expect, test } from "bun:test";
import { BY_CODE, classifyError, errorFacts, TLS_CODE_PREFIXES } from "../../src/check/classify.ts";
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

describe("every structured code (the whole table)", () => {
  // One row per code the classifier knows, with where it comes from. Adding a code to
  // BY_CODE without a row here fails the completeness test below.
  const T = CheckError.Timeout;
  const C = CheckError.Connect;
  const S = CheckError.SSL;
  const table: Record<string, [CheckError, string]> = {
    ETIMEDOUT: [T, "node socket/DNS timeout"],
    ESOCKETTIMEDOUT: [T, "socket idle timeout"],
    UND_ERR_CONNECT_TIMEOUT: [T, "undici-style connect timeout"],
    Timeout: [T, "Bun's own timeout code"],
    CERT_HAS_EXPIRED: [CheckError.TLSExpired, "expired leaf (verify error)"],
    CERT_NOT_YET_VALID: [S, "verify error"],
    CERT_REVOKED: [S, "verify error"],
    CERT_UNTRUSTED: [S, "verify error"],
    CERT_REJECTED: [S, "verify error"],
    CERT_SIGNATURE_FAILURE: [S, "verify error"],
    CERT_CHAIN_TOO_LONG: [S, "verify error"],
    DEPTH_ZERO_SELF_SIGNED_CERT: [S, "self-signed leaf"],
    SELF_SIGNED_CERT_IN_CHAIN: [S, "self-signed root in chain"],
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: [S, "unknown issuer"],
    UNABLE_TO_GET_ISSUER_CERT: [S, "verify error"],
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: [S, "verify error"],
    UNABLE_TO_DECRYPT_CERT_SIGNATURE: [S, "verify error"],
    UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: [S, "verify error"],
    INVALID_CA: [S, "verify error"],
    INVALID_PURPOSE: [S, "verify error"],
    PATH_LENGTH_EXCEEDED: [S, "verify error"],
    HOSTNAME_MISMATCH: [S, "verify error"],
    ERR_TLS_CERT_ALTNAME_INVALID: [S, "node's hostname check"],
    ERR_TLS_HANDSHAKE_TIMEOUT: [S, "handshake did not finish"],
    ERR_SSL_WRONG_VERSION_NUMBER: [S, "TLS record from a non-TLS peer"],
    EPROTO: [S, "protocol version mismatch (fetch, TLS <= 1.1 server)"],
    TLSHandshakeFailed: [S, "Bun's handshake failure code"],
    ECONNREFUSED: [C, "port closed"],
    ConnectionRefused: [C, "Bun's refused code"],
    ECONNRESET: [C, "reset before the headers"],
    ConnectionClosed: [C, "Bun's closed code"],
    Malformed_HTTP_Response: [C, "a reply that is not HTTP"],
    EPIPE: [C, "write to a closed socket"],
    ENOTFOUND: [C, "name does not resolve"],
    EAI_AGAIN: [C, "DNS temporary failure"],
    EAI_FAIL: [C, "DNS permanent failure"],
    EAI_NONAME: [C, "DNS no such name"],
    DNSException: [C, "Bun's DNS failure code"],
    EHOSTUNREACH: [C, "no route to host"],
    ENETUNREACH: [C, "network unreachable"],
    EHOSTDOWN: [C, "host down"],
    EADDRNOTAVAIL: [C, "no local address"],
    ERR_INVALID_URL: [C, "malformed URL"],
    ERR_INVALID_ARG_VALUE: [C, "bad scheme or argument"],
    FailedToOpenSocket: [C, "Bun could not open a socket"],
  };

  test("covers every code the classifier knows", () => {
    expect(Object.keys(table).sort()).toEqual(Object.keys(BY_CODE).sort());
  });
  for (const [code, [want, source]] of Object.entries(table)) {
    test(`${code} (${source}) -> ${CheckError[want]}`, () => {
      // From the error itself, from its cause, and whatever the message says.
      const own = Object.assign(new TypeError("timeout certificate has expired refused"), { code });
      expect(classifyError(errorFacts(own))).toEqual({ code: want, detail: code });
      const wrapped = new Error("fetch failed", { cause: Object.assign(new Error("x"), { code }) });
      expect(classifyError(errorFacts(wrapped)).code).toBe(want);
      // After the headers every one of them is TruncatedBody.
      expect(classifyError(errorFacts(own, false, "body")).code).toBe(CheckError.TruncatedBody);
    });
  }

  // TLS alerts and verify errors Bun/BoringSSL report that the table does not list by name.
  test.each([
    "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION",
    "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE",
    "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA",
    "ERR_TLS_INVALID_PROTOCOL_VERSION",
    "SSL_ERROR_SYSCALL",
    "X509_V_ERR_UNSPECIFIED",
    "CERT_SOMETHING_NEW",
  ])("%s is SSL by its prefix", (code) => {
    expect(TLS_CODE_PREFIXES.some((p) => code.startsWith(p))).toBe(true);
    expect(classifyError({ code })).toEqual({ code: CheckError.SSL, detail: code });
  });
});

describe("message text never decides", () => {
  // Messages as Bun and Node word them; without a structured code they are all Connect.
  test.each([
    "The operation timed out.",
    "certificate has expired",
    "self signed certificate",
    "unable to connect: ECONNREFUSED",
    "Hostname/IP does not match certificate's altnames",
    "socket connection was closed unexpectedly",
    "too many redirects",
  ])("%p with no code is Connect", (message) => {
    expect(classifyError(errorFacts(new Error(message))).code).toBe(CheckError.Connect);
    expect(classifyError(errorFacts(new TypeError(message))).code).toBe(CheckError.Connect);
  });

  test("a numeric errno or code is not a code", () => {
    const err = Object.assign(new Error("connect ECONNREFUSED"), { errno: -111, code: -111 });
    expect(classifyError(errorFacts(err))).toEqual({ code: CheckError.Connect, detail: "Error" });
  });

  test("only our deadline or a TimeoutError name is Timeout; an AbortError is not", () => {
    expect(classifyError({ name: "AbortError" }).code).toBe(CheckError.Connect);
    expect(classifyError({ name: "AbortError", timedOut: true }).code).toBe(CheckError.Timeout);
    expect(classifyError({ name: "TimeoutError" }).code).toBe(CheckError.Timeout);
  });
});

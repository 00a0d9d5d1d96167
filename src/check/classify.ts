import { CheckError } from "./errors.ts";

/**
 * Error classification from structured fields only (`name`, `code`), never message text
 * (docs/design.md defect 15). Codes were measured from Bun 1.4.5's fetch and node:tls; see
 * docs/checks.md for the table.
 */
export const BY_CODE: Readonly<Record<string, CheckError>> = {
  // Timeouts raised below the abort signal.
  ETIMEDOUT: CheckError.Timeout,
  ESOCKETTIMEDOUT: CheckError.Timeout,
  UND_ERR_CONNECT_TIMEOUT: CheckError.Timeout,
  Timeout: CheckError.Timeout,
  // An expired leaf certificate.
  CERT_HAS_EXPIRED: CheckError.TLSExpired,
  // Every other certificate or handshake failure.
  CERT_NOT_YET_VALID: CheckError.SSL,
  CERT_REVOKED: CheckError.SSL,
  CERT_UNTRUSTED: CheckError.SSL,
  CERT_REJECTED: CheckError.SSL,
  CERT_SIGNATURE_FAILURE: CheckError.SSL,
  CERT_CHAIN_TOO_LONG: CheckError.SSL,
  DEPTH_ZERO_SELF_SIGNED_CERT: CheckError.SSL,
  SELF_SIGNED_CERT_IN_CHAIN: CheckError.SSL,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: CheckError.SSL,
  UNABLE_TO_GET_ISSUER_CERT: CheckError.SSL,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: CheckError.SSL,
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: CheckError.SSL,
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: CheckError.SSL,
  INVALID_CA: CheckError.SSL,
  INVALID_PURPOSE: CheckError.SSL,
  PATH_LENGTH_EXCEEDED: CheckError.SSL,
  HOSTNAME_MISMATCH: CheckError.SSL,
  ERR_TLS_CERT_ALTNAME_INVALID: CheckError.SSL,
  ERR_TLS_HANDSHAKE_TIMEOUT: CheckError.SSL,
  ERR_SSL_WRONG_VERSION_NUMBER: CheckError.SSL,
  EPROTO: CheckError.SSL,
  TLSHandshakeFailed: CheckError.SSL,
  // Connection-level failures: DNS, refused, reset, unreachable, bad URL.
  ECONNREFUSED: CheckError.Connect,
  ConnectionRefused: CheckError.Connect,
  ECONNRESET: CheckError.Connect,
  ConnectionClosed: CheckError.Connect,
  // A reply that is not HTTP (Bun's code; Go's transport fails it as a connection error).
  Malformed_HTTP_Response: CheckError.Connect,
  EPIPE: CheckError.Connect,
  ENOTFOUND: CheckError.Connect,
  EAI_AGAIN: CheckError.Connect,
  EAI_FAIL: CheckError.Connect,
  EAI_NONAME: CheckError.Connect,
  DNSException: CheckError.Connect,
  EHOSTUNREACH: CheckError.Connect,
  ENETUNREACH: CheckError.Connect,
  EHOSTDOWN: CheckError.Connect,
  EADDRNOTAVAIL: CheckError.Connect,
  ERR_INVALID_URL: CheckError.Connect,
  ERR_INVALID_ARG_VALUE: CheckError.Connect,
  FailedToOpenSocket: CheckError.Connect,
};

/** Code prefixes that always mean a TLS problem (OpenSSL/BoringSSL verify and protocol codes). */
export const TLS_CODE_PREFIXES = ["ERR_TLS_", "ERR_SSL_", "SSL_", "CERT_", "X509_"];

export interface ErrorFacts {
  /** Our own deadline fired (checked first, like Go's context error). */
  timedOut?: boolean;
  /**
   * Where the error happened. "body": the status line and headers had arrived, so whatever
   * broke (reset, close, our deadline) cut the body short: TruncatedBody, never Timeout.
   */
  phase?: "request" | "body";
  name?: unknown;
  code?: unknown;
}

export interface Classified {
  code: CheckError;
  /** The structured code or name that decided it, for errorDetail. */
  detail: string;
}

/** Maps an error's structured facts to a check error code. Unknown errors are Connect. */
export function classifyError(facts: ErrorFacts): Classified {
  const code = typeof facts.code === "string" ? facts.code : "";
  const name = typeof facts.name === "string" ? facts.name : "";
  if (facts.phase === "body") {
    return {
      code: CheckError.TruncatedBody,
      detail: facts.timedOut ? "body stalled past the timeout" : code || name || "body cut short",
    };
  }
  if (facts.timedOut) return { code: CheckError.Timeout, detail: code || name || "timeout" };
  if (name === "TimeoutError") return { code: CheckError.Timeout, detail: name };
  if (code) {
    const known = BY_CODE[code];
    if (known !== undefined) return { code: known, detail: code };
    if (TLS_CODE_PREFIXES.some((p) => code.startsWith(p))) return { code: CheckError.SSL, detail: code };
  }
  return { code: CheckError.Connect, detail: code || name || "error" };
}

/** Pulls the structured facts out of a thrown value (and its `cause`, when it has no code). */
export function errorFacts(err: unknown, timedOut = false, phase?: ErrorFacts["phase"]): ErrorFacts {
  const where = phase ? { timedOut, phase } : { timedOut };
  if (typeof err !== "object" || err === null) return where;
  const e = err as { name?: unknown; code?: unknown; cause?: unknown };
  if (typeof e.code !== "string" && typeof e.cause === "object" && e.cause !== null) {
    const c = e.cause as { name?: unknown; code?: unknown };
    if (typeof c.code === "string") return { ...where, name: c.name, code: c.code };
  }
  return { ...where, name: e.name, code: e.code };
}

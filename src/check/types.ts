import type { CheckError } from "./errors.ts";

export type RedirectPolicy = "follow" | "alert" | "fail";

/** One site to check. */
export interface CheckRequest {
  blogId: number;
  url: string;
  /** Whole-check deadline in seconds; 0 or less means 10 s. */
  timeoutSeconds: number;
  /** Case-sensitive substring that must appear in the first 1 MiB of the body; null/"" = none. */
  keyword?: string | null;
  /** Case-sensitive substrings that must not appear in the first 1 MiB (forbidden_keyword(s)). */
  forbidden?: readonly string[];
  customHeaders?: Record<string, string>;
  redirectPolicy: RedirectPolicy;
}

/** What one check found. Times are whole milliseconds; 0 means "not measured". */
export interface CheckResult {
  blogId: number;
  url: string;
  /** Status of the final response; 0 when there was none (or the redirect policy stopped it). */
  httpCode: number;
  errorCode: CheckError;
  /** HTTP status 1..399 after the redirect policy, and no failing error code. */
  success: boolean;
  /** Check start to the final response's headers, redirects included, body read excluded. */
  rttMs: number;
  dnsMs: number;
  tcpMs: number;
  tlsMs: number;
  /** Request sent to response headers, for the final hop. */
  ttfbMs: number;
  /** Leaf certificate notAfter for HTTPS, when known. */
  sslExpiry: Date | null;
  /** Negotiated TLS protocol, e.g. "TLSv1.3", when known. */
  tlsVersion?: string;
  /** Negotiated cipher (OpenSSL name), when a handshake of ours saw it. */
  tlsCipher?: string;
  /** The forbidden rule the body matched (errorCode Keyword). */
  forbiddenMatch?: string;
  /** Redirects followed (policy follow/alert). */
  redirects?: number;
  /** When the check started. */
  checkedAt: Date;
  /** Short machine-readable cause, e.g. "ECONNREFUSED" or "keyword not found". */
  errorDetail?: string;
}

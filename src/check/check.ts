import { CHECK_USER_AGENT } from "../version.ts";
import { classifyError, errorFacts } from "./classify.ts";
import { Deadline, type DeadlineQueue } from "./deadline.ts";
import { CheckError, isFailure } from "./errors.ts";
import { fetchHop, type Hop, type HopOptions, legacyTlsHop, type PeerCertificate } from "./hop.ts";
import { scanBody } from "./keyword.ts";
import { isDeprecatedTls, probeTls, type TlsInfo, type TlsInfoCache } from "./tls-probe.ts";
import type { CheckRequest, CheckResult } from "./types.ts";

/** Redirects followed before the check fails with Redirect (Go: more than 10 is an error). */
export const MAX_REDIRECTS = 10;
/** Used when a request's timeout is 0 or less. */
export const DEFAULT_TIMEOUT_SECONDS = 10;

export interface CheckOptions {
  /** Defaults to Go's `jetmon/2.0 (Jetpack Site Uptime Monitor by WordPress.com)`. */
  userAgent?: string;
  fetch?: typeof fetch;
  /** Wall clock for `checkedAt` and certificate expiry comparisons (ms since epoch). */
  now?: () => number;
  /** Shared certificate facts; without it every HTTPS check pays a second handshake. */
  tlsCache?: TlsInfoCache;
  /** Shared deadline timer; without it each check arms its own setTimeout. */
  deadlines?: DeadlineQueue;
  /** Extra trusted CA certificates (PEM), e.g. a private PKI or the test CA. */
  ca?: string | string[];
  /**
   * Reuse pooled keep-alive connections between checks. Off by default: every check opens
   * its own connection (DNS, TCP, TLS) as a first-time visitor would, like Go's per-check
   * transport. The benchmark turns it on to separate pool overhead from connection cost.
   */
  reuseConnections?: boolean;
  /**
   * Read the certificate from the check's own handshake (default true). Off, the cache alone
   * answers for up to its TTL: the old, stale-prone behaviour, kept so the benchmark can
   * measure what the hook costs.
   */
  peerCertificate?: boolean;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const HTTP_URL = /^https?:\/\//i;
const HTTPS_URL = /^https:/i;
/** RFC 9110 token characters. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_HEADER_VALUE = /[\r\n\0]/;
/** The verification code of an expired leaf, from fetch and node:tls alike. */
const CERT_HAS_EXPIRED = "CERT_HAS_EXPIRED";
/** Headers Go drops when a redirect leaves the original host. */
const CROSS_HOST_DROPPED = ["authorization", "www-authenticate", "cookie", "cookie2"];

/**
 * Checks one site. Never throws: every failure becomes an error code (docs/checks.md).
 */
export async function checkSite(req: CheckRequest, opts: CheckOptions = {}): Promise<CheckResult> {
  const now = opts.now ?? Date.now;
  const result = blankResult(req, new Date(now()));
  const started = performance.now();
  const timeoutSeconds = req.timeoutSeconds > 0 ? req.timeoutSeconds : DEFAULT_TIMEOUT_SECONDS;
  const deadline = new Deadline(timeoutSeconds * 1000, opts.deadlines);
  try {
    await runCheck(req, opts, now, started, deadline, result);
  } catch (err) {
    // Unexpected (a bug or a runtime surprise): still a result, never a throw.
    const c = classifyError(errorFacts(err, deadline.timedOut));
    fail(result, c.code, c.detail);
  } finally {
    deadline.clear();
  }
  return result;
}

/** A result with nothing measured yet: no response, no error code, not successful. */
export function blankResult(req: Pick<CheckRequest, "blogId" | "url">, checkedAt: Date): CheckResult {
  return {
    blogId: req.blogId,
    url: req.url,
    httpCode: 0,
    errorCode: CheckError.None,
    success: false,
    rttMs: 0,
    dnsMs: 0,
    tcpMs: 0,
    tlsMs: 0,
    ttfbMs: 0,
    sslExpiry: null,
    checkedAt,
  };
}

async function runCheck(
  req: CheckRequest,
  opts: CheckOptions,
  now: () => number,
  started: number,
  deadline: Deadline,
  result: CheckResult,
): Promise<void> {
  // The first hop skips URL parsing (a measurable cost per check): fetch parses anyway and a
  // bad URL fails there with ERR_INVALID_URL.
  let target = req.url;
  if (!HTTP_URL.test(target)) {
    return fail(
      result,
      CheckError.Connect,
      URL.canParse(target) ? "ERR_UNSUPPORTED_SCHEME" : "ERR_INVALID_URL",
    );
  }
  const headers = requestHeaders(
    opts.userAgent ?? CHECK_USER_AGENT,
    req.customHeaders,
    opts.reuseConnections === true,
  );
  if (!headers) return fail(result, CheckError.Connect, "ERR_INVALID_HEADER");
  const fetchFn = opts.fetch ?? fetch;
  // The certificate the check's own handshake saw: the source of its expiry, and the test of
  // whether the cached TLS facts still describe the site (a replaced certificate).
  let peer: PeerCertificate | null = null;
  const hopOpts: HopOptions = {
    headers,
    signal: deadline.signal,
    ca: opts.ca,
    keepalive: opts.reuseConnections === true,
    ...(opts.peerCertificate === false
      ? {}
      : {
          onPeerCertificate: (cert: PeerCertificate) => {
            peer = cert;
          },
        }),
  };
  let redirects = 0;
  let legacyTls: TlsInfo | null = null;

  for (;;) {
    const hopStarted = performance.now();
    let hop: Hop;
    legacyTls = null;
    peer = null;
    try {
      hop = await fetchHop(fetchFn, target, hopOpts);
    } catch (err) {
      const c = classifyError(errorFacts(err, deadline.timedOut));
      if (c.code === CheckError.SSL && c.detail === "EPROTO" && isHttps(target)) {
        const legacy = await deprecatedTls(new URL(target), deadline, opts.ca);
        if (legacy?.expired) {
          // As fetch would have said at TLS 1.2+: the certificate expired, no response.
          applyTlsFacts(result, legacy.info, true);
          return fail(result, CheckError.TLSExpired, CERT_HAS_EXPIRED);
        }
        legacyTls = legacy?.info ?? null;
      }
      if (!legacyTls) {
        if (c.code === CheckError.TLSExpired)
          await addTlsFacts(result, new URL(target), deadline, opts, true);
        return fail(result, c.code, c.detail);
      }
      try {
        hop = await legacyTlsHop(new URL(target), hopOpts);
      } catch (legacyErr) {
        const lc = classifyError(errorFacts(legacyErr, deadline.timedOut));
        return fail(result, lc.code, lc.detail);
      }
    }
    result.ttfbMs = ms(performance.now() - hopStarted);

    if (REDIRECT_STATUSES.has(hop.status) && hop.location) {
      hop.discard();
      if (req.redirectPolicy === "fail") return fail(result, CheckError.Redirect, "redirect not allowed");
      redirects++;
      if (redirects > MAX_REDIRECTS) return fail(result, CheckError.Redirect, "too many redirects");
      const from = new URL(target);
      let next: URL;
      try {
        next = new URL(hop.location, from);
      } catch {
        return fail(result, CheckError.Connect, "ERR_INVALID_REDIRECT_URL");
      }
      if (next.protocol !== "http:" && next.protocol !== "https:") {
        return fail(result, CheckError.Connect, "ERR_UNSUPPORTED_SCHEME");
      }
      if (next.hostname !== from.hostname) for (const h of CROSS_HOST_DROPPED) delete headers[h];
      target = next.href;
      continue;
    }

    result.rttMs = ms(performance.now() - started);
    result.httpCode = hop.status;
    if (redirects > 0) result.redirects = redirects;
    try {
      if (isHttps(target)) {
        if (legacyTls) applyTlsFacts(result, legacyTls, true);
        else await addTlsFacts(result, new URL(target), deadline, opts, false, peer);
        if (result.sslExpiry && result.sslExpiry.getTime() <= now()) {
          return fail(result, CheckError.TLSExpired, "certificate expired", true);
        }
        if (isDeprecatedTls(result.tlsVersion)) result.errorCode = CheckError.TLSDeprecated;
      }
      // A failing status is the verdict already; otherwise the body must arrive whole (to the
      // 1 MiB cap) and pass the content rules.
      if (result.httpCode >= 1 && result.httpCode <= 399) {
        const scan = await scanBody(hop.body ?? emptyBody(), {
          required: req.keyword,
          forbidden: req.forbidden ?? [],
          readToEnd: true,
        });
        if (scan.forbiddenMatch !== null) {
          result.forbiddenMatch = scan.forbiddenMatch;
          return fail(result, CheckError.Keyword, "forbidden keyword found", true);
        }
        if (scan.readError !== undefined) {
          const c = classifyError(errorFacts(scan.readError, deadline.timedOut, "body"));
          return fail(result, c.code, c.detail, true);
        }
        if (!scan.requiredFound) return fail(result, CheckError.Keyword, "keyword not found", true);
      }
    } finally {
      hop.discard();
    }
    result.success = result.httpCode >= 1 && result.httpCode <= 399 && !isFailure(result.errorCode);
    return;
  }
}

/**
 * Builds the request headers: our user agent first, then the site's headers (set semantics,
 * names lower-cased). Returns null when a custom header is not a valid HTTP header.
 */
function requestHeaders(
  userAgent: string,
  custom: Record<string, string> | undefined,
  keepalive: boolean,
): Record<string, string> | null {
  const headers: Record<string, string> = { "user-agent": userAgent };
  // Bun does not send Connection: close for keepalive:false; say it so the server closes too.
  if (!keepalive) headers.connection = "close";
  if (custom) {
    for (const [name, value] of Object.entries(custom)) {
      if (!HEADER_NAME.test(name) || typeof value !== "string" || BAD_HEADER_VALUE.test(value)) return null;
      const key = name.toLowerCase();
      // Go's client ignores a custom Host header; so do we.
      if (key !== "host") headers[key] = value;
    }
  }
  return headers;
}

function isHttps(url: string): boolean {
  return HTTPS_URL.test(url);
}

/** A server that speaks only TLS 1.1 or older, with a trusted or an expired certificate. */
interface LegacyTls {
  info: TlsInfo;
  /**
   * The chain failed with CERT_HAS_EXPIRED: what fetch reports for an expired leaf at TLS 1.2+,
   * even one whose issuer is also unknown (BoringSSL reports the expiry, its last test).
   */
  expired: boolean;
}

/**
 * After EPROTO: does the server speak only TLS 1.1 or older? Returns its facts if so and its
 * certificate is trusted or expired; null for any other certificate failure (SSL).
 */
async function deprecatedTls(
  url: URL,
  deadline: Deadline,
  ca: CheckOptions["ca"],
): Promise<LegacyTls | null> {
  const remaining = deadline.remaining();
  if (remaining < 20) return null;
  try {
    const info = await probeTls({ ...endpoint(url), timeoutMs: remaining, ca, minVersion: "TLSv1" });
    if (!isDeprecatedTls(info.protocol)) return null;
    if (info.authorized) return { info, expired: false };
    return info.authorizationError === CERT_HAS_EXPIRED ? { info, expired: true } : null;
  } catch {
    return null;
  }
}

/**
 * Fills sslExpiry/tlsVersion/tlsCipher (and, when a probe ran, the DNS/TCP/TLS phases). The
 * expiry comes from the certificate the check's own handshake saw (`peer`) whenever there is
 * one; the cache supplies the protocol and cipher only while its fingerprint is that same
 * certificate. A replaced certificate (another fingerprint) or no entry means one extra
 * handshake, whose facts replace the entry. A failed probe leaves the protocol unknown; it never
 * fails the check.
 */
async function addTlsFacts(
  result: CheckResult,
  url: URL,
  deadline: Deadline,
  opts: CheckOptions,
  certExpired: boolean,
  peer: PeerCertificate | null = null,
): Promise<void> {
  const target = endpoint(url);
  const origin = `${target.host}:${target.port}`;
  const cached = certExpired ? opts.tlsCache?.peek(origin) : opts.tlsCache?.get(origin);
  const sameCert = cached && (!peer?.fingerprint || cached.fingerprint === peer.fingerprint);
  if (cached && sameCert) {
    applyTlsFacts(result, cached, false);
    if (peer?.validTo) result.sslExpiry = peer.validTo;
    return;
  }
  if (peer) result.sslExpiry = peer.validTo;
  const remaining = deadline.remaining();
  if (remaining < 20) return;
  try {
    const info = await probeTls({ ...target, timeoutMs: remaining, ca: opts.ca });
    opts.tlsCache?.set(origin, info);
    applyTlsFacts(result, info, true);
    if (peer?.validTo) result.sslExpiry = peer.validTo;
  } catch {
    // Unknown protocol is better than a false failure.
  }
}

function applyTlsFacts(result: CheckResult, info: TlsInfo, measuredNow: boolean): void {
  result.sslExpiry = info.validTo;
  if (info.protocol) result.tlsVersion = info.protocol;
  if (info.cipher) result.tlsCipher = info.cipher;
  if (measuredNow) {
    result.dnsMs = info.dnsMs;
    result.tcpMs = info.tcpMs;
    result.tlsMs = info.tlsMs;
  }
}

function endpoint(url: URL): { host: string; port: number } {
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  return { host, port };
}

/** Marks the result failed. `keepHttpCode` keeps the status of a response that did arrive. */
function fail(result: CheckResult, code: CheckError, detail: string, keepHttpCode = false): void {
  result.errorCode = code;
  result.errorDetail = detail;
  result.success = false;
  if (!keepHttpCode) result.httpCode = 0;
}

function ms(x: number): number {
  return Math.max(0, Math.round(x));
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}

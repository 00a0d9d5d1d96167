import { isIP } from "node:net";
import * as tls from "node:tls";

/** What a separate TLS handshake tells us that fetch does not expose. */
export interface TlsInfo {
  /** Leaf certificate notAfter; null if the server sent no certificate. */
  validTo: Date | null;
  /** Negotiated protocol, e.g. "TLSv1.3". */
  protocol: string | null;
  /** Negotiated cipher (OpenSSL name), e.g. "ECDHE-RSA-AES128-SHA". */
  cipher: string | null;
  /** SHA-256 fingerprint of the leaf certificate; tells one certificate from its replacement. */
  fingerprint: string | null;
  /** Whether the chain verified against the trust store (and `ca`). */
  authorized: boolean;
  /**
   * Why it did not, as node:tls reports it (e.g. "CERT_HAS_EXPIRED"); null when authorized.
   * BoringSSL reports the last failed test, so an expired leaf says CERT_HAS_EXPIRED even when
   * its issuer is unknown, as fetch does.
   */
  authorizationError: string | null;
  /** Phase durations of this handshake's connection, ms (0 when the phase did not happen). */
  dnsMs: number;
  tcpMs: number;
  tlsMs: number;
}

export interface ProbeOptions {
  host: string;
  port: number;
  timeoutMs: number;
  /** Extra trusted CA certificates (PEM). */
  ca?: string | string[];
  /** Lowest protocol to offer; "TLSv1" to detect servers stuck on deprecated versions. */
  minVersion?: tls.SecureVersion;
}

/**
 * Opens one TLS connection, reads the peer certificate and protocol, and closes it. Never
 * rejects the chain (fetch already verified it, or failed on it); `authorized` reports the
 * verdict. Rejects with the socket error (structured `code`) or a Timeout-coded error.
 */
export function probeTls(opts: ProbeOptions): Promise<TlsInfo> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let tLookup = 0;
    let tConnect = 0;
    let settled = false;
    const socket = tls.connect({
      host: opts.host,
      port: opts.port,
      // SNI must not be an IP address.
      servername: isIP(opts.host) ? undefined : opts.host,
      ca: opts.ca ? [...tls.rootCertificates, ...[opts.ca].flat()] : undefined,
      minVersion: opts.minVersion,
      rejectUnauthorized: false,
    });
    const finish = (err: unknown, info?: TlsInfo) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err || !info) reject(err ?? new Error("TLS probe ended without a result"));
      else resolve(info);
    };
    const timer = setTimeout(
      () => finish(Object.assign(new Error("TLS probe timed out"), { code: "ETIMEDOUT" })),
      opts.timeoutMs,
    );
    socket.on("lookup", () => {
      tLookup = performance.now();
    });
    socket.on("connect", () => {
      tConnect = performance.now();
    });
    socket.on("secureConnect", () => {
      const now = performance.now();
      const cert = socket.getPeerCertificate();
      const validTo = cert?.valid_to ? new Date(cert.valid_to) : null;
      const connectAt = tConnect || now;
      finish(null, {
        validTo: validTo && !Number.isNaN(validTo.getTime()) ? validTo : null,
        protocol: socket.getProtocol() ?? null,
        cipher: socket.getCipher()?.name ?? null,
        fingerprint: cert?.fingerprint256 || null,
        authorized: socket.authorized,
        authorizationError: socket.authorized ? null : errorName(socket.authorizationError),
        dnsMs: tLookup ? Math.round(tLookup - t0) : 0,
        tcpMs: tConnect ? Math.round(tConnect - (tLookup || t0)) : 0,
        tlsMs: Math.round(now - connectAt),
      });
    });
    socket.on("error", (err) => finish(err));
  });
}

/** node:tls types `authorizationError` as an Error; at run time it is the code string. */
function errorName(err: unknown): string | null {
  if (typeof err === "string") return err || null;
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" ? code : null;
}

/** Deprecated protocol names, as node:tls reports them. */
export function isDeprecatedTls(protocol: string | null | undefined): boolean {
  return protocol === "TLSv1" || protocol === "TLSv1.1" || protocol === "SSLv3";
}

interface CacheEntry {
  info: TlsInfo;
  at: number;
}

/**
 * Remembers each HTTPS origin's certificate facts so a check pays for the extra handshake
 * only when the facts are unknown, older than `ttlMs` (default a day), or contradict a
 * successful handshake (cached expiry already past). Oldest entries are evicted first.
 */
export class TlsInfoCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(opts: { ttlMs?: number; maxEntries?: number; now?: () => number } = {}) {
    this.ttlMs = opts.ttlMs ?? 24 * 60 * 60 * 1000;
    this.maxEntries = opts.maxEntries ?? 200_000;
    this.now = opts.now ?? Date.now;
  }

  /** The cached facts for `origin` if still fresh, else undefined. */
  get(origin: string): TlsInfo | undefined {
    const e = this.entries.get(origin);
    if (!e) return undefined;
    const now = this.now();
    if (now - e.at >= this.ttlMs || (e.info.validTo && e.info.validTo.getTime() <= now)) {
      this.entries.delete(origin);
      return undefined;
    }
    return e.info;
  }

  /** The cached facts for `origin` if younger than the TTL, even when the certificate expired. */
  peek(origin: string): TlsInfo | undefined {
    const e = this.entries.get(origin);
    return e && this.now() - e.at < this.ttlMs ? e.info : undefined;
  }

  set(origin: string, info: TlsInfo): void {
    this.entries.delete(origin);
    this.entries.set(origin, { info, at: this.now() });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

import * as https from "node:https";
import * as tls from "node:tls";

/** The leaf certificate this hop's own handshake was shown. */
export interface PeerCertificate {
  validTo: Date | null;
  /** SHA-256 fingerprint, e.g. "79:78:F0:...". */
  fingerprint: string | null;
}

/** Largest unread body read to the end rather than cancelled. */
const DRAIN_LIMIT = 64 * 1024;

/** One HTTP request/response of a check (a redirect chain is several hops). */
export interface Hop {
  status: number;
  /** The Location header, for redirect statuses. */
  location: string | null;
  /** The response body; read only as far as needed, then `discard()`. */
  body: AsyncIterable<Uint8Array> | null;
  /** Drops the rest of the body and the connection. Safe to call more than once. */
  discard(): void;
}

export interface HopOptions {
  /** Lower-case names. */
  headers: Record<string, string>;
  signal: AbortSignal;
  /** Extra trusted CA certificates (PEM). */
  ca?: string | string[];
  /** Allow connection reuse (fetch only). */
  keepalive?: boolean;
  /**
   * Told the leaf certificate of each TLS handshake the hop makes, after the chain verified and
   * before the hostname check (which still runs). Not called on a reused connection.
   */
  onPeerCertificate?: (cert: PeerCertificate) => void;
}

type CertObject = { valid_to?: string; fingerprint256?: string };

export function peerCertificate(cert: CertObject | undefined): PeerCertificate {
  const validTo = cert?.valid_to ? new Date(cert.valid_to) : null;
  return {
    validTo: validTo && !Number.isNaN(validTo.getTime()) ? validTo : null,
    fingerprint: cert?.fingerprint256 || null,
  };
}

/**
 * One GET through Bun's fetch. Redirects are handled by the caller (manual). Unless
 * `keepalive`, no connection is kept for reuse.
 */
export async function fetchHop(fetchFn: typeof fetch, url: string, opts: HopOptions): Promise<Hop> {
  const init: RequestInit & {
    tls?: {
      ca?: string | string[];
      checkServerIdentity?: (host: string, cert: tls.PeerCertificate) => Error | undefined;
    };
  } = {
    method: "GET",
    headers: opts.headers,
    redirect: "manual",
    signal: opts.signal,
    keepalive: opts.keepalive === true,
  };
  if (opts.ca || opts.onPeerCertificate) {
    const seen = opts.onPeerCertificate;
    init.tls = {
      ...(opts.ca ? { ca: opts.ca } : {}),
      ...(seen
        ? {
            checkServerIdentity: (host, cert) => {
              seen(peerCertificate(cert));
              return tls.checkServerIdentity(host, cert);
            },
          }
        : {}),
    };
  }
  const res = await fetchFn(url, init);
  // res.body builds a JS stream; only the keyword check needs one, so it is made on demand.
  let stream: ReadableStream<Uint8Array> | null | undefined;
  let discarded = false;
  return {
    status: res.status,
    location: res.headers.get("location"),
    get body() {
      if (stream === undefined) stream = res.body;
      // Bun's ReadableStream is async-iterable; the DOM lib typings do not say so.
      return stream as unknown as AsyncIterable<Uint8Array> | null;
    },
    discard() {
      if (discarded) return;
      discarded = true;
      if (stream === undefined) {
        // Untouched: a small body is cheapest to finish reading (and keeps a reusable
        // connection reusable); anything else is cancelled.
        const length = Number(res.headers.get("content-length") ?? Number.NaN);
        if (length <= DRAIN_LIMIT) {
          res.arrayBuffer().catch(() => {});
          return;
        }
        stream = res.body;
      }
      if (stream && !stream.locked) stream.cancel().catch(() => {});
    },
  };
}

/**
 * The same GET through node:https with TLS 1.0/1.1 allowed. Bun's fetch refuses those
 * versions (EPROTO), so this path runs only after a probe proved the server speaks nothing
 * newer; the check then reports TLSDeprecated instead of an SSL failure.
 */
export function legacyTlsHop(url: URL, opts: HopOptions): Promise<Hop> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      {
        headers: opts.headers,
        minVersion: "TLSv1",
        ca: opts.ca ? [...tls.rootCertificates, ...[opts.ca].flat()] : undefined,
        agent: false,
        signal: opts.signal,
      },
      (res) => {
        // Errors after the check is done (abort, reset) must not become uncaught.
        res.on("error", () => {});
        const location = res.headers.location;
        resolve({
          status: res.statusCode ?? 0,
          location: typeof location === "string" ? location : null,
          body: res,
          discard: () => res.destroy(),
        });
      },
    );
    req.on("error", reject);
  });
}

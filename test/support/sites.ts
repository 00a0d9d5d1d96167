/**
 * Site fixture: one in-process server set that plays many websites, each with a scripted
 * behaviour that can be switched while running. Plain HTTP sites are spread over loopback
 * addresses 127.0.0.1..N (one listener each); HTTPS sites live on one listener per certificate
 * kind on 127.0.0.1. Sites are paths (`/s/<name>`), so thousands cost nothing.
 *
 * The server speaks raw HTTP/1.1 over Bun.listen so it can also misbehave: hang, reset the
 * connection, stall, stream large bodies with backpressure.
 *
 *   const sites = await startSiteFixture({ addresses: 4 });
 *   sites.set("shop", { kind: "ok", body: "welcome to jetpack" });
 *   await checkSite({ url: sites.url("shop"), ... }, { ca: sites.ca });
 *   sites.set("shop", { kind: "status", status: 500 });   // takes effect for the next request
 *   sites.hits("shop"); sites.lastHeaders("shop"); await sites.stop();
 */
import { readFileSync } from "node:fs";
import type { AddressInfo, Socket as NodeSocket } from "node:net";
import { join } from "node:path";
import * as tls from "node:tls";
import type { Socket, TCPSocketListener } from "bun";

/** The TLS 1.0/1.1-only kinds, and the certificate each serves. */
const LEGACY_CERTS = { legacy: "valid", "legacy-expired": "expired" } as const;
type LegacyKind = keyof typeof LEGACY_CERTS;

export type CertKind = "valid" | "expired" | "wronghost" | "selfsigned" | LegacyKind;

export type SiteBehaviour =
  /** 200 (or `status`) with a small literal body. */
  | { kind: "ok"; status?: number; body?: string; headers?: Record<string, string> }
  | { kind: "status"; status: number; body?: string }
  /** Waits `ms` before sending the response head. */
  | { kind: "slow"; ms: number; status?: number; body?: string }
  /** Reads the request and never answers (until the fixture stops). */
  | { kind: "hang" }
  /** Sends the head and part of the body, then stalls forever. */
  | { kind: "stall"; body?: string }
  /** Declares Content-Length `body` + `short` bytes, sends `body`, then closes. */
  | { kind: "short"; body: string; short: number }
  /** A chunked body sent as one chunk, then the connection closes without the last (0) chunk. */
  | { kind: "chunked-cut"; body: string }
  /** Closes the connection as soon as the request arrives. */
  | { kind: "reset" }
  /** A generated body of `size` bytes of filler with `keyword` written at byte `at`. */
  | { kind: "body"; size: number; keyword?: string; at?: number; chunk?: number }
  /** `hops` redirects (`status`, default 302) through this site, then 200 or on to site `to`. */
  | { kind: "redirect"; hops: number; to?: string; status?: number }
  /** Holds every request until `until` are held at once, then answers them all 200. */
  | { kind: "hold"; until: number; timeoutMs?: number };

export interface SiteOptions {
  /**
   * Serve over HTTPS with this certificate. "legacy" is the valid cert, TLS 1.0/1.1 only;
   * "legacy-expired" the expired one, TLS 1.0/1.1 only.
   */
  tls?: CertKind;
}

export interface SiteFixture {
  /** The site's URL; it changes only when the site's `tls` option changes. */
  url(name: string): string;
  set(name: string, behaviour: SiteBehaviour, opts?: SiteOptions): void;
  /** Requests received, redirect hops included. */
  hits(name: string): number;
  /** Most requests in progress at once. */
  peak(name: string): number;
  /** Body bytes handed to the socket. */
  bytesSent(name: string): number;
  /** Headers of the latest request (lower-case names). */
  lastHeaders(name: string): Record<string, string>;
  /** How the latest hold ended: "count" (reached `until`) or "timeout". */
  holdReleasedBy(name: string): "count" | "timeout" | null;
  /** PEM of the CA that issued the valid/expired/wronghost certificates. */
  ca: string;
  /** The plain listeners, e.g. for a benchmark: `http://<host>:<port>/s/<name>`. */
  origins: string[];
  stop(): Promise<void>;
}

const CERT_DIR = join(import.meta.dir, "certs");
const pem = (name: string) => readFileSync(join(CERT_DIR, name), "utf8");
const HEAD_LIMIT = 64 * 1024;

interface Site {
  name: string;
  behaviour: SiteBehaviour;
  tls?: CertKind;
  address: number;
  hits: number;
  inflight: number;
  peak: number;
  bytesSent: number;
  lastHeaders: Record<string, string>;
  held: Array<() => void>;
  holdTimer: ReturnType<typeof setTimeout> | null;
  releasedBy: "count" | "timeout" | null;
}

interface ParsedRequest {
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
}

/** A connection, whichever server accepted it. `send` returns false while output is backed up. */
interface Conn {
  send(data: Uint8Array | string): boolean;
  end(): void;
  reset(): void;
  onDrain: (() => void) | null;
  closed: boolean;
}

export async function startSiteFixture(opts: { addresses?: number } = {}): Promise<SiteFixture> {
  const addressCount = Math.max(1, Math.min(opts.addresses ?? 4, 250));
  const sites = new Map<string, Site>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const conns = new Set<Conn>();
  let nextAddress = 0;

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const site = (name: string): Site => {
    const s = sites.get(name);
    if (!s) throw new Error(`site fixture: unknown site ${JSON.stringify(name)}`);
    return s;
  };

  // ---- HTTP handling shared by every listener ----

  const head = (status: number, headers: Record<string, string | number>) => {
    let out = `HTTP/1.1 ${status} ${status < 400 ? "OK" : "Error"}\r\n`;
    for (const [k, v] of Object.entries(headers)) out += `${k}: ${v}\r\n`;
    return `${out}\r\n`;
  };

  /** Answers one request; calls `done` when the response is complete (keep-alive may go on). */
  function handle(conn: Conn, req: ParsedRequest, base: string, done: (close: boolean) => void) {
    const name = req.path.startsWith("/s/") ? decodeURIComponent(req.path.slice(3)) : "";
    const s = sites.get(name);
    if (!s) {
      conn.send(head(404, { "content-length": 9, "content-type": "text/plain" }) + "not found");
      return done(false);
    }
    s.hits++;
    s.inflight++;
    s.peak = Math.max(s.peak, s.inflight);
    s.lastHeaders = req.headers;
    let finished = false;
    const finish = (close = false) => {
      if (finished) return;
      finished = true;
      s.inflight--;
      done(close);
    };
    const simple = (status: number, body: string, extra: Record<string, string> = {}) => {
      if (conn.closed) return finish(true);
      conn.send(
        head(status, { "content-type": "text/plain", "content-length": Buffer.byteLength(body), ...extra }),
      );
      conn.send(body);
      s.bytesSent += Buffer.byteLength(body);
      finish();
    };
    const b = s.behaviour;
    switch (b.kind) {
      case "ok":
        return simple(b.status ?? 200, b.body ?? "ok", b.headers);
      case "status":
        return simple(b.status, b.body ?? `status ${b.status}`);
      case "slow":
        return later(b.ms, () => simple(b.status ?? 200, b.body ?? "slow ok"));
      case "hang":
        return; // the connection stays open until the client gives up or the fixture stops
      case "stall": {
        const body = b.body ?? "partial";
        conn.send(
          head(200, { "content-type": "text/plain", "content-length": body.length + 1_000_000 }) + body,
        );
        return;
      }
      case "short": {
        const len = Buffer.byteLength(b.body);
        conn.send(head(200, { "content-type": "text/html", "content-length": len + b.short }) + b.body);
        s.bytesSent += len;
        return later(20, () => {
          conn.end();
          finish(true);
        });
      }
      case "chunked-cut": {
        const len = Buffer.byteLength(b.body);
        conn.send(
          `${head(200, { "content-type": "text/html", "transfer-encoding": "chunked" })}${len.toString(16)}\r\n${b.body}\r\n`,
        );
        s.bytesSent += len;
        return later(20, () => {
          conn.end();
          finish(true);
        });
      }
      case "reset":
        conn.reset();
        return finish(true);
      case "redirect": {
        const hop = Number(req.query.get("h") ?? "0");
        if (hop >= b.hops) return simple(200, "redirected ok");
        const last = hop + 1 >= b.hops;
        const location =
          last && b.to ? urlOf(site(b.to)) : `${base}/s/${encodeURIComponent(name)}?h=${hop + 1}`;
        return simple(b.status ?? 302, "", { location });
      }
      case "hold": {
        s.held.push(() => simple(200, "held ok"));
        if (s.held.length === 1) {
          s.releasedBy = null;
          s.holdTimer = setTimeout(() => release(s, "timeout"), b.timeoutMs ?? 10_000);
        }
        if (s.held.length >= b.until) release(s, "count");
        return;
      }
      case "body":
        return streamBody(conn, s, b, finish);
    }
  }

  function release(s: Site, by: "count" | "timeout"): void {
    if (s.holdTimer) clearTimeout(s.holdTimer);
    s.holdTimer = null;
    s.releasedBy = by;
    for (const answer of s.held.splice(0)) answer();
  }

  /** Streams a generated body in chunks, waiting for drain when the socket backs up. */
  function streamBody(
    conn: Conn,
    s: Site,
    b: Extract<SiteBehaviour, { kind: "body" }>,
    finish: (close?: boolean) => void,
  ) {
    const chunkSize = b.chunk ?? 64 * 1024;
    const keyword = b.keyword ? Buffer.from(b.keyword) : null;
    const at = b.at ?? 0;
    let offset = 0;
    conn.send(head(200, { "content-type": "text/plain", "content-length": b.size }));
    const pump = () => {
      while (offset < b.size) {
        if (conn.closed) return finish(true);
        const len = Math.min(chunkSize, b.size - offset);
        const chunk = Buffer.alloc(len, "x");
        if (keyword && at < offset + len && at + keyword.length > offset) {
          // Copy the part of the keyword that falls inside this chunk.
          const from = Math.max(0, offset - at);
          const to = Math.min(keyword.length, offset + len - at);
          keyword.copy(chunk, Math.max(0, at - offset), from, to);
        }
        offset += len;
        s.bytesSent += len;
        if (!conn.send(chunk)) {
          conn.onDrain = pump;
          return;
        }
      }
      conn.onDrain = null;
      finish();
    };
    pump();
  }

  /** Feeds received bytes through the request parser; one request at a time per connection. */
  function makeParser(conn: Conn, base: string) {
    let buf = Buffer.alloc(0);
    let busy = false;
    const next = () => {
      while (!busy && !conn.closed) {
        // Not HTTP (e.g. a TLS ClientHello on a plain port): answer 400 and hang up, as nginx does.
        if (buf.length > 0 && (buf[0]! < 0x41 || buf[0]! > 0x5a)) {
          conn.send("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
          return conn.end();
        }
        const end = buf.indexOf("\r\n\r\n");
        if (end === -1) {
          if (buf.length > HEAD_LIMIT) conn.end();
          return;
        }
        const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
        buf = buf.subarray(end + 4);
        const [, target = "/"] = (lines[0] ?? "").split(" ");
        const headers: Record<string, string> = {};
        for (const line of lines.slice(1)) {
          const i = line.indexOf(":");
          if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        const bodyLen = Number(headers["content-length"] ?? 0);
        if (bodyLen > 0) buf = buf.subarray(Math.min(bodyLen, buf.length));
        const q = target.indexOf("?");
        const req: ParsedRequest = {
          path: q === -1 ? target : target.slice(0, q),
          query: new URLSearchParams(q === -1 ? "" : target.slice(q + 1)),
          headers,
        };
        busy = true;
        const wantsClose = headers.connection?.toLowerCase() === "close";
        handle(conn, req, base, (close) => {
          busy = false;
          if (close || wantsClose) conn.end();
          else queueMicrotask(next);
        });
      }
    };
    return (data: Uint8Array) => {
      buf = buf.length === 0 ? Buffer.from(data) : Buffer.concat([buf, data]);
      next();
    };
  }

  // ---- Listeners ----

  interface BunConnState {
    conn: Conn;
    feed: (d: Uint8Array) => void;
  }

  /** Wraps a Bun socket so writes queue while the kernel buffer is full. */
  function bunConn(socket: Socket<BunConnState>): Conn {
    const queue: Uint8Array[] = [];
    const conn: Conn = {
      closed: false,
      onDrain: null,
      send(data) {
        const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : data;
        if (conn.closed) return false;
        if (queue.length === 0) {
          const n = socket.write(bytes);
          if (n < bytes.length) queue.push(bytes.subarray(Math.max(0, n)));
        } else queue.push(bytes);
        return queue.length === 0;
      },
      end() {
        if (conn.closed) return;
        conn.closed = true;
        socket.end();
      },
      reset() {
        if (conn.closed) return;
        conn.closed = true;
        socket.terminate();
      },
    };
    (conn as Conn & { flush: () => void }).flush = () => {
      while (queue.length > 0 && !conn.closed) {
        const head = queue[0]!;
        const n = socket.write(head);
        if (n < head.length) {
          queue[0] = head.subarray(Math.max(0, n));
          return;
        }
        queue.shift();
      }
      conn.onDrain?.();
    };
    return conn;
  }

  const listen = (
    hostname: string,
    certKind?: Exclude<CertKind, LegacyKind>,
  ): TCPSocketListener<BunConnState> => {
    const scheme = certKind ? "https" : "http";
    let base = "";
    const listener = Bun.listen<BunConnState>({
      hostname,
      port: 0,
      ...(certKind ? { tls: { cert: pem(`${certKind}.pem`), key: pem(`${certKind}.key`) } } : {}),
      socket: {
        open(socket) {
          const conn = bunConn(socket);
          conns.add(conn);
          socket.data = { conn, feed: makeParser(conn, base) };
        },
        data(socket, data) {
          socket.data.feed(data);
        },
        drain(socket) {
          (socket.data.conn as Conn & { flush: () => void }).flush();
        },
        close(socket) {
          socket.data.conn.closed = true;
          conns.delete(socket.data.conn);
          socket.data.conn.onDrain?.();
        },
        error() {},
      },
    });
    base = `${scheme}://${hostname}:${listener.port}`;
    return listener;
  };

  const plain = Array.from({ length: addressCount }, (_, i) => listen(`127.0.0.${i + 1}`));
  const secure: Record<Exclude<CertKind, LegacyKind>, TCPSocketListener<BunConnState>> = {
    valid: listen("127.0.0.1", "valid"),
    expired: listen("127.0.0.1", "expired"),
    wronghost: listen("127.0.0.1", "wronghost"),
    selfsigned: listen("127.0.0.1", "selfsigned"),
  };

  // Bun.listen cannot cap the TLS version, so the TLS 1.0/1.1-only sites run on node:tls.
  const legacySockets = new Set<NodeSocket>();
  const legacyListen = async (cert: string): Promise<{ server: tls.Server; base: string }> => {
    let base = "";
    const server = tls.createServer(
      { cert: pem(`${cert}.pem`), key: pem(`${cert}.key`), minVersion: "TLSv1", maxVersion: "TLSv1.1" },
      (socket) => {
        legacySockets.add(socket);
        const conn: Conn = {
          closed: false,
          onDrain: null,
          send(data) {
            if (!conn.closed) socket.write(data);
            return true;
          },
          end() {
            conn.closed = true;
            socket.end();
          },
          reset() {
            conn.closed = true;
            socket.destroy();
          },
        };
        const feed = makeParser(conn, base);
        socket.on("data", feed);
        socket.on("error", () => {});
        socket.on("close", () => {
          conn.closed = true;
          legacySockets.delete(socket);
        });
      },
    );
    server.on("tlsClientError", () => {});
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { server, base };
  };
  const legacy: Record<LegacyKind, { server: tls.Server; base: string }> = {
    legacy: await legacyListen(LEGACY_CERTS.legacy),
    "legacy-expired": await legacyListen(LEGACY_CERTS["legacy-expired"]),
  };
  const isLegacy = (kind: CertKind): kind is LegacyKind => kind in LEGACY_CERTS;

  function urlOf(s: Site): string {
    const path = `/s/${encodeURIComponent(s.name)}`;
    if (s.tls && isLegacy(s.tls)) return legacy[s.tls].base + path;
    if (s.tls) return `https://127.0.0.1:${secure[s.tls].port}${path}`;
    return `http://127.0.0.${s.address + 1}:${plain[s.address]!.port}${path}`;
  }

  return {
    ca: pem("ca.pem"),
    origins: plain.map((l, i) => `http://127.0.0.${i + 1}:${l.port}`),
    url: (name) => urlOf(site(name)),
    set(name, behaviour, siteOpts = {}) {
      const existing = sites.get(name);
      if (existing) {
        if (existing.held.length > 0 && behaviour.kind !== "hold") release(existing, "timeout");
        existing.behaviour = behaviour;
        existing.tls = siteOpts.tls;
        return;
      }
      sites.set(name, {
        name,
        behaviour,
        tls: siteOpts.tls,
        address: nextAddress++ % addressCount,
        hits: 0,
        inflight: 0,
        peak: 0,
        bytesSent: 0,
        lastHeaders: {},
        held: [],
        holdTimer: null,
        releasedBy: null,
      });
    },
    hits: (name) => site(name).hits,
    peak: (name) => site(name).peak,
    bytesSent: (name) => site(name).bytesSent,
    lastHeaders: (name) => site(name).lastHeaders,
    holdReleasedBy: (name) => site(name).releasedBy,
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sites.values()) if (s.holdTimer) clearTimeout(s.holdTimer);
      for (const c of conns) c.reset();
      for (const l of [...plain, ...Object.values(secure)]) l.stop(true);
      for (const s of legacySockets) s.destroy();
      await Promise.all(
        Object.values(legacy).map(
          ({ server }) => new Promise<void>((resolve) => server.close(() => resolve())),
        ),
      );
    },
  };
}

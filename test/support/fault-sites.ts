/**
 * Loopback sites that induce the failures of issue 12, for checks run by another process (the
 * compiled binary). Raw HTTP/1.1 over node:net / node:tls so a response can lie: a short
 * Content-Length, a chunked body without its last chunk, a body that stalls, a HEAD answer that
 * differs from the GET one. One request per connection (the checker sends Connection: close).
 *
 *   const f = await startFaultSites();
 *   f.set("cut", { kind: "short", body: "x".repeat(100), short: 100 });
 *   f.url("cut");                      // http://127.0.0.1:<port>/s/cut
 *   const s = await startTlsSite({ cert, key, maxVersion: "TLSv1.1" }, { kind: "ok", body: "hi" });
 *   s.swap({ cert, key, minVersion: "TLSv1.2" });   // new connections only
 *   s.getsSinceSwap();                 // GETs on connections whose handshake followed the swap
 */
import * as net from "node:net";
import * as tls from "node:tls";

export type FaultBehaviour =
  /** 200 with `body` to GET; HEAD gets `headStatus` (default 200) and no body. */
  | { kind: "ok"; body: string; headStatus?: number }
  /** Content-Length says `body` + `short` bytes; `body` is sent, then the connection closes. */
  | { kind: "short"; body: string; short: number }
  /** Chunked: one chunk of `body`, then the connection closes without the terminating 0 chunk. */
  | { kind: "chunked-cut"; body: string }
  /** Content-Length twice `body`; `body` is sent, then nothing (until the fixture stops). */
  | { kind: "stall"; body: string };

interface Served {
  get: number;
  head: number;
  other: number;
}

function respond(socket: net.Socket, method: string, b: FaultBehaviour): void {
  const head = (status: number, reason: string, headers: string[]) =>
    `HTTP/1.1 ${status} ${reason}\r\n${[...headers, "Connection: close"].join("\r\n")}\r\n\r\n`;
  const len = (n: number) => `Content-Length: ${n}`;
  const type = "Content-Type: text/html";
  if (method === "HEAD") {
    const status = b.kind === "ok" ? (b.headStatus ?? 200) : 200;
    const size = b.kind === "short" ? b.body.length + b.short : b.body.length;
    socket.end(
      head(status, status === 200 ? "OK" : "Method Not Allowed", [type, len(status === 200 ? size : 0)]),
    );
    return;
  }
  switch (b.kind) {
    case "ok":
      socket.end(head(200, "OK", [type, len(Buffer.byteLength(b.body))]) + b.body);
      return;
    case "short":
      socket.end(head(200, "OK", [type, len(b.body.length + b.short)]) + b.body);
      return;
    case "chunked-cut":
      socket.end(
        `${head(200, "OK", [type, "Transfer-Encoding: chunked"])}${b.body.length.toString(16)}\r\n${b.body}\r\n`,
      );
      return;
    case "stall":
      socket.write(head(200, "OK", [type, len(b.body.length * 2)]) + b.body);
      return;
  }
}

/** Reads one request head, then answers it with whatever `route` says for its path. */
function serve(socket: net.Socket, route: (path: string, method: string) => FaultBehaviour | null): void {
  let buf = "";
  socket.on("error", () => {});
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => {
    buf += chunk;
    const end = buf.indexOf("\r\n\r\n");
    if (end === -1) return;
    const [method = "", target = "/"] = (buf.slice(0, buf.indexOf("\r\n")) || "").split(" ");
    buf = "";
    socket.removeAllListeners("data");
    const b = route(target.split("?")[0] ?? "/", method);
    if (!b) socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    else respond(socket, method, b);
  });
}

function count(served: Served, method: string): void {
  if (method === "GET") served.get++;
  else if (method === "HEAD") served.head++;
  else served.other++;
}

export interface FaultSites {
  set(name: string, b: FaultBehaviour): void;
  url(name: string): string;
  served(name: string): Served;
  stop(): Promise<void>;
}

/** Plain HTTP sites at `/s/<name>` on one loopback listener. */
export async function startFaultSites(hostname = "127.0.0.1"): Promise<FaultSites> {
  const sites = new Map<string, { b: FaultBehaviour; served: Served }>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    serve(socket, (path, method) => {
      const site = sites.get(path.replace(/^\/s\//, ""));
      if (!site) return null;
      count(site.served, method);
      return site.b;
    });
  });
  await new Promise<void>((r) => server.listen(0, hostname, r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    set(name, b) {
      const old = sites.get(name);
      sites.set(name, { b, served: old?.served ?? { get: 0, head: 0, other: 0 } });
    },
    url: (name) => `http://${hostname}:${port}/s/${name}`,
    served: (name) => ({ ...(sites.get(name)?.served ?? { get: 0, head: 0, other: 0 }) }),
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface TlsSiteOptions {
  cert: string;
  key: string;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
}

export interface TlsSite {
  url: string;
  /** New certificate and/or protocol range, for connections from now on. */
  swap(opts: TlsSiteOptions): void;
  /** GETs on connections whose handshake happened after the latest swap (or start). */
  getsSinceSwap(): number;
  /** Protocol of the latest handshake. */
  lastProtocol(): string | null;
  stop(): Promise<void>;
}

/**
 * One HTTPS site on its own node:tls listener. Bun's node:tls serves TLS 1.0/1.1 when asked
 * (`maxVersion: "TLSv1.1"`), measured on Bun 1.4.5; `swap` changes the certificate or the
 * protocol range without moving the port (setSecureContext).
 */
export async function startTlsSite(
  opts: TlsSiteOptions,
  behaviour: FaultBehaviour,
  hostname = "127.0.0.1",
): Promise<TlsSite> {
  let generation = 0;
  let gets = 0;
  let protocol: string | null = null;
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ ...opts }, (socket) => {
    const born = generation;
    protocol = socket.getProtocol();
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    serve(socket, (_path, method) => {
      if (method === "GET" && born === generation) gets++;
      return behaviour;
    });
  });
  server.on("tlsClientError", () => {});
  await new Promise<void>((r) => server.listen(0, hostname, r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `https://${hostname}:${port}/`,
    swap(next) {
      server.setSecureContext({ ...next });
      generation++;
      gets = 0;
    },
    getsSinceSwap: () => gets,
    lastProtocol: () => protocol,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

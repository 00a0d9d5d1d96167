import { timingSafeEqual } from "node:crypto";
import { hostname as osHostname } from "node:os";
import { CheckPool } from "../check/pool.ts";
import type { CheckRequest, CheckResult } from "../check/types.ts";
import { log as defaultLog, type Logger } from "../log.ts";
import { VerifierMetric } from "../metrics/names.ts";
import type { Metrics } from "../metrics/statsd.ts";
import { VERSION } from "../version.ts";
import {
  decodeCheckBody,
  fromWireRequest,
  toWireResult,
  type WireCheckResponse,
  WireDecodeError,
} from "./wire.ts";

/** The body cap on POST /check. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Sites that may wait for a check worker across all requests; beyond it /check answers 503. */
const QUEUE_LIMIT = 100_000;

/** The StatsD calls the server makes (docs/reference/monitor-core.md §7.2 "verifier server side"). */
export type VeriflierMetrics = Pick<Metrics, "increment" | "timing">;

export interface VeriflierServerOptions {
  token: string;
  port: number;
  /** Bind address; default all IPv4 interfaces. */
  hostname?: string;
  /** Sites checked at once, across requests. */
  checkConcurrency: number;
  /** Replaces the HTTP check (tests). */
  checkSite?: (req: CheckRequest) => Promise<CheckResult>;
  /** `Host` in results; default the OS hostname. */
  reportedHost?: string;
  /** `version` in GET /status; default the build version. */
  version?: string;
  logger?: Logger;
  metrics?: VeriflierMetrics;
}

export interface VeriflierServer {
  port: number;
  /** Stops taking requests, lets in-flight ones finish for up to `graceMs`, then closes all. */
  stop(graceMs?: number): Promise<void>;
}

/** Serves POST /check and GET /status (docs/reference/monitor-core.md §5.1). */
export function createVeriflierServer(opts: VeriflierServerOptions): VeriflierServer {
  if (!opts.token) throw new Error("veriflier: refusing to serve with an empty token");
  const logger = opts.logger ?? defaultLog;
  const host = opts.reportedHost ?? osHostname();
  const version = opts.version ?? VERSION;
  const expectedAuth = Buffer.from(`Bearer ${opts.token}`);
  // Without a checkSite the pool runs checkSite with its own TLS facts cache and deadline queue.
  const pool = new CheckPool({
    size: opts.checkConcurrency,
    queueLimit: QUEUE_LIMIT,
    check: opts.checkSite,
    logger,
  });
  let stopping: Promise<void> | null = null;

  const authorized = (header: string | null): boolean => {
    if (header === null) return false;
    const got = Buffer.from(header);
    return got.length === expectedAuth.length && timingSafeEqual(got, expectedAuth);
  };

  async function handleCheck(req: Request, server: Bun.Server<undefined>): Promise<Response> {
    if (req.method !== "POST") return plain(405, "method not allowed");
    if (!authorized(req.headers.get("authorization"))) {
      opts.metrics?.increment(VerifierMetric.authRejected);
      return plain(401, "unauthorized");
    }
    if (stopping) return plain(503, "shutting down");
    // A batch may take as long as its slowest site; the idle timer must not cut it off.
    server.timeout(req, 0);
    const body = await readCapped(req, MAX_BODY_BYTES);
    if (body === null) return plain(413, "request body too large");
    let sites: ReturnType<typeof decodeCheckBody>;
    try {
      sites = decodeCheckBody(body);
    } catch (err) {
      if (err instanceof WireDecodeError) return plain(400, `decode: ${err.message}`);
      throw err;
    }
    if (pool.stats().queueDepth + sites.length > QUEUE_LIMIT) return plain(503, "too many checks queued");
    const started = performance.now();
    const results = await Promise.all(
      sites.map(async (site) => {
        logger.info({ blog_id: site.BlogID, request_id: site.RequestID, url: site.URL }, "veriflier check");
        const result = await pool.submit(fromWireRequest(site));
        if (!result) throw new Error("check pool refused a site");
        return toWireResult(site, result, host);
      }),
    );
    opts.metrics?.increment(VerifierMetric.checksReceived, sites.length);
    opts.metrics?.timing(VerifierMetric.checksDuration, Math.round(performance.now() - started));
    const payload: WireCheckResponse = { results };
    return Response.json(payload);
  }

  const server = Bun.serve({
    port: opts.port,
    hostname: opts.hostname ?? "0.0.0.0",
    // Go: IdleTimeout 120 s. Read/write deadlines have no Bun equivalent; a check's own
    // timeout bounds the work.
    idleTimeout: 120,
    // Above our cap so our own 413 message answers bodies between the two.
    maxRequestBodySize: MAX_BODY_BYTES * 2,
    async fetch(req, srv) {
      const path = new URL(req.url).pathname;
      if (path === "/status") return Response.json({ status: "OK", version });
      if (path === "/check") return handleCheck(req, srv);
      return plain(404, "404 page not found");
    },
    error(err) {
      logger.error({ err: String(err) }, "veriflier request failed");
      return plain(500, "internal error");
    },
  });

  return {
    port: server.port ?? opts.port,
    stop(graceMs = 30_000) {
      if (!stopping) {
        stopping = (async () => {
          let timer: ReturnType<typeof setTimeout> | undefined;
          const graceful = server.stop(false).then(() => "done" as const);
          const deadline = new Promise<"timeout">((resolve) => {
            timer = setTimeout(() => resolve("timeout"), graceMs);
          });
          const outcome = await Promise.race([graceful, deadline]);
          clearTimeout(timer);
          if (outcome === "timeout") {
            logger.warn({ grace_ms: graceMs }, "veriflier shutdown grace expired");
            await server.stop(true);
          }
          void pool.drain();
        })();
      }
      return stopping;
    },
  };
}

/** A plain-text error body with a trailing newline, as Go's http.Error writes. */
function plain(status: number, message: string): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" },
  });
}

/** Reads the body as text, or null when it is larger than `cap` bytes. */
async function readCapped(req: Request, cap: number): Promise<string | null> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > cap) return null;
  if (!req.body) return "";
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of req.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > cap) return null;
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString("utf8");
}

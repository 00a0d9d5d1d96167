/**
 * Idempotency-Key replay (docs/reference/cli-rollout-api.md §3.5), scoped to (API key, method, path,
 * header value): Go scopes it to (key, header value) only and so replays one endpoint's
 * response on another (docs/compatibility.md). Same body hash -> the stored status, headers and
 * body plus `Idempotency-Replayed: true`; another body -> 409 `idempotency_conflict`. Only 2xx
 * and 4xx responses are kept, for 24 h, in memory.
 */
import { createHash } from "node:crypto";
import type { Clock } from "../time.ts";
import { ApiError } from "./errors.ts";

const TTL_MS = 24 * 3_600_000;

interface Stored {
  bodyHash: string;
  status: number;
  headers: [string, string][];
  body: ArrayBuffer;
  storedMs: number;
}

export interface IdempotencyRequest {
  keyId: number;
  method: string;
  path: string;
  header: string;
  body: string;
}

export class IdempotencyCache {
  private readonly entries = new Map<string, Stored>();
  constructor(private readonly now: Clock = Date.now) {}

  async run(req: IdempotencyRequest, execute: () => Promise<Response>): Promise<Response> {
    const cacheKey = JSON.stringify([req.keyId, req.method, req.path, req.header]);
    const bodyHash = createHash("sha256").update(req.body).digest("hex");
    const hit = this.entries.get(cacheKey);
    if (hit && this.now() - hit.storedMs < TTL_MS) {
      if (hit.bodyHash !== bodyHash) {
        throw new ApiError(
          "idempotency_conflict",
          "Idempotency-Key was already used with a different request body",
        );
      }
      const headers = new Headers(hit.headers);
      headers.set("idempotency-replayed", "true");
      return new Response(hit.status === 204 ? null : hit.body.slice(0), { status: hit.status, headers });
    }
    const res = await execute();
    if (res.status >= 500 || res.status < 200 || (res.status >= 300 && res.status < 400)) return res;
    const body = await res.arrayBuffer();
    this.entries.set(cacheKey, {
      bodyHash,
      status: res.status,
      headers: headerPairs(res.headers),
      body,
      storedMs: this.now(),
    });
    return new Response(res.status === 204 ? null : body.slice(0), {
      status: res.status,
      headers: res.headers,
    });
  }

  /** Drops entries older than 24 h. */
  gc(): void {
    const cutoff = this.now() - TTL_MS;
    for (const [k, v] of this.entries) if (v.storedMs < cutoff) this.entries.delete(k);
  }
}

function headerPairs(h: Headers): [string, string][] {
  const out: [string, string][] = [];
  h.forEach((v, k) => {
    out.push([k, v]);
  });
  return out;
}

/**
 * The API's route table and request pipeline (docs/reference/cli-rollout-api.md §3.1-§3.5, docs/reference/cli-rollout-api.md §3.7).
 * Per authenticated route, in order: request id -> bearer token -> key lookup -> scope -> rate
 * limit -> gateway context -> body (size, JSON, TypeBox) -> idempotency -> handler -> audit row.
 * An unknown path is 404 `endpoint_not_found`; a known path with another method is 405 with
 * `Allow` (Go answers 404 there: docs/compatibility.md).
 */
import { randomBytes } from "node:crypto";
import type { Static, TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { Db } from "../db/client.ts";
import { errorText } from "../error-text.ts";
import type { Logger } from "../log.ts";
import { writeApiAccess } from "./audit.ts";
import { ApiError, type ErrorCode, errorResponse } from "./errors.ts";
import { IdempotencyCache } from "./idempotency.ts";
import { type ApiKey, lookupToken, type Scope, scopeRank } from "./keys.ts";
import { RateLimiter } from "./rate-limit.ts";

/** Bodies above this get 413 `body_too_large` before they are parsed. */
export const MAX_BODY_BYTES = 1 << 20;

export interface RequestContext<B = unknown> {
  request: Request;
  url: URL;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The validated body (undefined when the route takes none or none was sent). */
  body: B;
  key: ApiKey;
  requestId: string;
}

export interface RouteDef<S extends TSchema | undefined = TSchema | undefined> {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** `/api/v1/sites/:id`; each `:name` matches one non-empty segment. */
  path: string;
  /** null: no auth, no audit (health). */
  scope: Scope | null;
  /** Honours Idempotency-Key (the routes marked I in docs/reference/cli-rollout-api.md §3.2). */
  idempotent?: boolean;
  summary: string;
  /** The JSON body schema, when the route reads one. */
  body?: S;
  /** Whether a body is required (default: true when `body` is set on POST). */
  bodyRequired?: boolean;
  /**
   * Body fields whose schema failures get their own code and message instead of 400
   * `invalid_body` (the TypeBox detail is appended).
   */
  fieldErrors?: Readonly<Record<string, { code: ErrorCode; message: string }>>;
  /** Query parameters for the OpenAPI document (validated by the handler: each has its own code). */
  queryParams?: readonly string[];
  handler: (c: RequestContext<S extends TSchema ? Static<S> : undefined>) => Promise<Response> | Response;
}

/** Keeps the handler's body type tied to its schema. */
export function route<S extends TSchema | undefined = undefined>(def: RouteDef<S>): RouteDef {
  return def as unknown as RouteDef;
}

export interface PipelineOptions {
  db: Db;
  log: Logger;
  routes: readonly RouteDef[];
  now?: () => number;
  limiter?: RateLimiter;
  idempotency?: IdempotencyCache;
}

function matchPath(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/");
  const s = path.split("/");
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const want = p[i] ?? "";
    const got = s[i] ?? "";
    if (want.startsWith(":")) {
      if (got === "") return null;
      params[want.slice(1)] = decodeSegment(got);
    } else if (want !== got) return null;
  }
  return params;
}

/** A path segment decoded; malformed percent-encoding is kept as sent (the id parsers refuse it). */
function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const GATEWAY_HEADERS = [
  "X-Jetmon-Tenant-ID",
  "X-Jetmon-Actor-ID",
  "X-Jetmon-Public-Scopes",
  "X-Jetmon-Gateway-Request-ID",
  "X-Jetmon-Plan",
] as const;

/** Reads the body up to MAX_BODY_BYTES + 1 so an oversized chunked body is refused too. */
async function readBody(request: Request): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES)
    throw new ApiError("body_too_large", `request body exceeds ${MAX_BODY_BYTES} bytes`);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      throw new ApiError("body_too_large", `request body exceeds ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The first TypeBox error as `<path>: <message>` (`/blog_id: Expected integer`), with the
 * top-level field it is in ("" for the body itself).
 */
function schemaError(schema: TSchema, value: unknown): { text: string; field: string } | null {
  const first = Value.Errors(schema, value).First();
  if (!first) return null;
  const where = first.path === "" ? "body" : first.path.slice(1).replaceAll("/", ".");
  return { text: `${where}: ${first.message}`, field: first.path.split("/")[1] ?? "" };
}

function parseBody(def: RouteDef, text: string): unknown {
  const schema = def.body;
  if (!schema) return undefined;
  const required = def.bodyRequired ?? def.method === "POST";
  if (text.trim() === "") {
    if (required) throw new ApiError("invalid_body", "request body is required");
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ApiError("invalid_body", `request body is not valid JSON: ${errorText(err)}`);
  }
  const problem = schemaError(schema, parsed);
  if (problem) {
    const named = Object.hasOwn(def.fieldErrors ?? {}, problem.field)
      ? def.fieldErrors?.[problem.field]
      : undefined;
    if (named) throw new ApiError(named.code, `${problem.field} ${named.message} (${problem.text})`);
    throw new ApiError("invalid_body", `invalid request body: ${problem.text}`);
  }
  return parsed;
}

/** Builds the request handler: `(Request) => Promise<Response>`. Never throws. */
export function createPipeline(opts: PipelineOptions): (request: Request) => Promise<Response> {
  const now = opts.now ?? Date.now;
  const limiter = opts.limiter ?? new RateLimiter(now);
  const idem = opts.idempotency ?? new IdempotencyCache(now);

  return async (request) => {
    try {
      return await dispatch(request);
    } catch (err) {
      // A fault in the pipeline itself: answered, logged, never a crashed process.
      opts.log.error({ err: errorText(err) }, "api request failed");
      return errorResponse(new ApiError("internal_error", "internal error"));
    }
  };

  async function dispatch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname;
    const method = request.method.toUpperCase();
    let params: Record<string, string> | null = null;
    let def: RouteDef | undefined;
    const allowed: string[] = [];
    for (const r of opts.routes) {
      const p = matchPath(r.path, path);
      if (!p) continue;
      allowed.push(r.method);
      if (r.method === method) {
        def = r;
        params = p;
      }
    }
    if (!def || !params) {
      if (allowed.length === 0) {
        return errorResponse(new ApiError("endpoint_not_found", `no route for ${method} ${path}`));
      }
      return errorResponse(
        new ApiError(
          "method_not_allowed",
          `method ${method} not allowed on ${path} (allowed: ${allowed.join(", ")})`,
        ),
        undefined,
        { allow: allowed.join(", ") },
      );
    }
    if (def.scope === null) {
      try {
        return await def.handler({ request, url, params, query: url.searchParams } as RequestContext<never>);
      } catch (err) {
        return failure(err);
      }
    }
    return authenticated(def, request, url, params);
  }

  function failure(err: unknown, requestId?: string, headers: Record<string, string> = {}): Response {
    if (err instanceof ApiError) return errorResponse(err, requestId, headers);
    opts.log.error({ err: errorText(err), request_id: requestId }, "api request failed");
    return errorResponse(new ApiError("db_error", `database error: ${errorText(err)}`), requestId, headers);
  }

  async function authenticated(def: RouteDef, request: Request, url: URL, params: Record<string, string>) {
    const started = performance.now();
    const requestId = randomBytes(16).toString("hex");
    const base: Record<string, string> = { "x-request-id": requestId };
    let key: ApiKey | null = null;
    let note = "";
    let response: Response;
    try {
      response = await (async () => {
        const auth = request.headers.get("authorization") ?? "";
        const token = auth.startsWith("Bearer ") ? auth.slice(7).trim() : "";
        if (!token) {
          note = "missing token";
          throw new ApiError("missing_token", "Authorization header with Bearer token is required");
        }
        let found: Awaited<ReturnType<typeof lookupToken>>;
        try {
          found = await lookupToken(opts.db, token);
        } catch (err) {
          note = "auth_error";
          opts.log.error({ err: errorText(err), request_id: requestId }, "api key lookup failed");
          throw new ApiError("auth_error", "could not verify the API key");
        }
        if (!found.ok) {
          note = found.code;
          throw new ApiError(found.code, TOKEN_MESSAGES[found.code]);
        }
        key = found.key;
        if (scopeRank(key.scope) < scopeRank(def.scope as Scope)) {
          note = "insufficient scope";
          throw new ApiError(
            "insufficient_scope",
            `this endpoint requires scope ${def.scope}; your key has scope ${key.scope}`,
          );
        }
        const rate = limiter.take(key.id, key.rateLimitPerMinute);
        Object.assign(base, rate.headers);
        if (!rate.allowed) {
          note = "rate limited";
          throw new ApiError("rate_limited", `rate limit exceeded; retry after ${rate.retryAfter} seconds`);
        }
        const gateway = GATEWAY_HEADERS.filter((h) => (request.headers.get(h) ?? "").trim() !== "");
        if (gateway.length > 0) {
          if (key.consumerName !== "gateway") {
            note = "forbidden_gateway_context";
            throw new ApiError(
              "forbidden_gateway_context",
              "gateway context headers are only accepted from the gateway key",
            );
          }
          note = "invalid_gateway_context";
          throw new ApiError(
            "invalid_gateway_context",
            "gateway tenant scoping is not implemented by this jetmon2",
          );
        }
        const text = await readBody(request);
        const body = parseBody(def, text);
        const ctx: RequestContext = { request, url, params, query: url.searchParams, body, key, requestId };
        const idemKey = def.idempotent ? request.headers.get("idempotency-key") : null;
        if (idemKey) {
          return idem.run(
            { keyId: key.id, method: def.method, path: url.pathname, header: idemKey, body: text },
            () => runHandler(def, ctx).then((r) => withHeaders(r, base)),
          );
        }
        return runHandler(def, ctx);
      })();
    } catch (err) {
      response = failure(err, requestId);
    }
    withHeaders(response, base);
    const k = key as ApiKey | null;
    await writeApiAccess(opts.db, opts.log, {
      keyId: k?.id ?? null,
      consumer: k?.consumerName ?? "",
      method: def.method,
      path: url.pathname,
      status: response.status,
      durationMs: note ? 0 : Math.round(performance.now() - started),
      requestId,
      remoteAddr: request.headers.get("x-forwarded-for") ?? "",
      note,
    });
    return response;
  }

  async function runHandler(def: RouteDef, ctx: RequestContext): Promise<Response> {
    try {
      return await def.handler(ctx as never);
    } catch (err) {
      return failure(err, ctx.requestId);
    }
  }
}

/** Sets each header the response does not have yet (a replay keeps its original ones). */
function withHeaders(response: Response, headers: Record<string, string>): Response {
  for (const [k, v] of Object.entries(headers)) if (!response.headers.has(k)) response.headers.set(k, v);
  return response;
}

const TOKEN_MESSAGES = {
  invalid_token: "API key is not recognised",
  token_revoked: "API key has been revoked",
  token_expired: "API key has expired",
} as const;

/**
 * The verifier wire format (docs/reference/monitor-core.md §5.1): JSON whose keys are Go field names.
 * Go decodes keys case-insensitively and fills missing fields with zero values, so decoding
 * here does the same; encoding always emits the exact Go names.
 */
import { type Static, type TObject, type TSchema, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { CheckError } from "../check/errors.ts";
import type { CheckRequest, CheckResult, RedirectPolicy } from "../check/types.ts";
import { errorText } from "../error-text.ts";

export const WireCheckRequest = Type.Object({
  BlogID: Type.Integer(),
  URL: Type.String(),
  TimeoutSeconds: Type.Integer(),
  Keyword: Type.String(),
  CustomHeaders: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
  RedirectPolicy: Type.String(),
  RequestID: Type.String(),
  /**
   * This project's addition: forbidden-content rules, sent only when the site has some (so a
   * request without them is byte-for-byte Go's). Go verifiers ignore it (docs/compatibility.md).
   */
  ForbiddenKeywords: Type.Optional(Type.Array(Type.String())),
});
export type WireCheckRequest = Static<typeof WireCheckRequest>;

export const WireCheckResult = Type.Object({
  BlogID: Type.Integer(),
  URL: Type.String(),
  Host: Type.String(),
  Success: Type.Boolean(),
  HTTPCode: Type.Integer(),
  ErrorCode: Type.Integer(),
  RTTMs: Type.Integer(),
  RequestID: Type.String(),
});
export type WireCheckResult = Static<typeof WireCheckResult>;

export interface WireCheckBody {
  sites: WireCheckRequest[];
}
export interface WireCheckResponse {
  results: WireCheckResult[];
}
export interface WireStatus {
  status: string;
  version: string;
}

/** Go's zero values, used for absent or null fields. */
const REQUEST_ZERO: WireCheckRequest = {
  BlogID: 0,
  URL: "",
  TimeoutSeconds: 0,
  Keyword: "",
  CustomHeaders: null,
  RedirectPolicy: "",
  RequestID: "",
};
const RESULT_ZERO: WireCheckResult = {
  BlogID: 0,
  URL: "",
  Host: "",
  Success: false,
  HTTPCode: 0,
  ErrorCode: 0,
  RTTMs: 0,
  RequestID: "",
};

/** A body that is not valid JSON or does not fit the wire types; the message names the field. */
export class WireDecodeError extends Error {}

/** Decodes a `POST /check` body: `{"sites":[...]}`. */
export function decodeCheckBody(text: string): WireCheckRequest[] {
  return decodeList(text, "sites", WireCheckRequest, REQUEST_ZERO);
}

/** Decodes a `/check` response: `{"results":[...]}`. */
export function decodeCheckResponse(text: string): WireCheckResult[] {
  return decodeList(text, "results", WireCheckResult, RESULT_ZERO);
}

/** Decodes a `/status` response; fields missing or of the wrong type come back empty. */
export function decodeStatus(text: string): WireStatus {
  try {
    const raw = JSON.parse(text) as unknown;
    const obj = isPlainObject(raw) ? canonical(raw, ["status", "version"]) : {};
    return {
      status: typeof obj.status === "string" ? obj.status : "",
      version: typeof obj.version === "string" ? obj.version : "",
    };
  } catch {
    return { status: "", version: "" };
  }
}

function decodeList<T extends TObject>(
  text: string,
  listKey: string,
  schema: T,
  zero: Static<T>,
): Static<T>[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new WireDecodeError(errorText(err));
  }
  if (!isPlainObject(raw)) throw new WireDecodeError(`body: expected an object, got ${describe(raw)}`);
  const list = canonical(raw, [listKey])[listKey];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new WireDecodeError(`${listKey}: expected an array, got ${describe(list)}`);
  const names = Object.keys(schema.properties);
  return list.map((item, i) => {
    const where = `${listKey}[${i}]`;
    if (item === null) return { ...zero };
    if (!isPlainObject(item))
      throw new WireDecodeError(`${where}: expected an object, got ${describe(item)}`);
    const fields = canonical(item, names);
    const value: Record<string, unknown> = { ...zero };
    for (const name of names) {
      const v = fields[name];
      if (v === undefined || v === null) continue;
      const fieldSchema = schema.properties[name] as TSchema;
      if (!Value.Check(fieldSchema, v)) {
        throw new WireDecodeError(`${where}.${name}: expected ${expected(fieldSchema)}, got ${describe(v)}`);
      }
      value[name] = v;
    }
    return value as Static<T>;
  });
}

/**
 * Maps keys onto canonical names case-insensitively, as Go's encoding/json does; an exact
 * match wins over a case-folded one. Unknown keys are dropped.
 */
function canonical(obj: Record<string, unknown>, names: string[]): Record<string, unknown> {
  const byLower = new Map(names.map((n) => [n.toLowerCase(), n]));
  const out: Record<string, unknown> = {};
  const exact = new Set<string>();
  for (const [key, value] of Object.entries(obj)) {
    const name = byLower.get(key.toLowerCase());
    if (!name) continue;
    if (key === name) {
      out[name] = value;
      exact.add(name);
    } else if (!exact.has(name)) {
      out[name] = value;
    }
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return "an array";
  if (v === null) return "null";
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function expected(schema: TSchema): string {
  if (schema.type === "integer") return "an integer";
  if (schema.type === "string") return "a string";
  if (schema.type === "boolean") return "a boolean";
  if (schema.type === "array") return "an array of strings";
  return "an object of strings";
}

// ---- Mapping between the wire and the checker ----

/** Maps a wire request onto the checker: "" keyword = none, timeout <= 0 = default. */
export function fromWireRequest(w: WireCheckRequest): CheckRequest {
  return {
    blogId: w.BlogID,
    url: w.URL,
    timeoutSeconds: w.TimeoutSeconds,
    keyword: w.Keyword === "" ? null : w.Keyword,
    ...(w.ForbiddenKeywords && w.ForbiddenKeywords.length > 0 ? { forbidden: w.ForbiddenKeywords } : {}),
    customHeaders: w.CustomHeaders ?? undefined,
    redirectPolicy: redirectPolicy(w.RedirectPolicy),
  };
}

export function toWireRequest(req: CheckRequest, requestId: string): WireCheckRequest {
  return {
    BlogID: req.blogId,
    URL: req.url,
    TimeoutSeconds: Math.max(0, Math.round(req.timeoutSeconds)),
    Keyword: req.keyword ?? "",
    CustomHeaders: req.customHeaders && Object.keys(req.customHeaders).length > 0 ? req.customHeaders : null,
    RedirectPolicy: req.redirectPolicy,
    RequestID: requestId,
    ...(req.forbidden && req.forbidden.length > 0 ? { ForbiddenKeywords: [...req.forbidden] } : {}),
  };
}

/** The result fields the verifier returns; `URL` is the request's URL as sent. */
export function toWireResult(req: WireCheckRequest, result: CheckResult, host: string): WireCheckResult {
  return {
    BlogID: req.BlogID,
    URL: req.URL,
    Host: host,
    Success: result.success,
    HTTPCode: result.httpCode,
    ErrorCode: result.errorCode,
    RTTMs: result.rttMs,
    RequestID: req.RequestID,
  };
}

/**
 * The verifier round trip's allowance on top of the site's check timeout (upstream
 * `verifierRPCHeadroom`): the client's whole-request bound and the monitor's escalation deadline.
 */
export const VERIFIER_TIMEOUT_HEADROOM_MS = 5000;

/**
 * One site sent to a verifier, as the monitor and the client speak of it (the wire's
 * `WireCheckRequest`). The monitor always sets `requestId`; the client generates a missing one.
 */
export interface VerifierRequest extends CheckRequest {
  requestId?: string;
}

/** A verifier's answer for one site, as the monitor uses it (the wire's `WireCheckResult`). */
export interface VerifierReply {
  blogId: number;
  url: string;
  /** The verifier's hostname. */
  host: string;
  success: boolean;
  httpCode: number;
  errorCode: CheckError;
  rttMs: number;
  requestId: string;
}

export function fromWireResult(w: WireCheckResult): VerifierReply {
  return {
    blogId: w.BlogID,
    url: w.URL,
    host: w.Host,
    success: w.Success,
    httpCode: w.HTTPCode,
    // A newer verifier may send a code this build does not know; keep the number.
    errorCode: w.ErrorCode as CheckError,
    rttMs: w.RTTMs,
    requestId: w.RequestID,
  };
}

/** Unknown or empty policies mean follow, as in Go. */
export function redirectPolicy(raw: string): RedirectPolicy {
  const p = raw.toLowerCase();
  return p === "alert" || p === "fail" ? p : "follow";
}

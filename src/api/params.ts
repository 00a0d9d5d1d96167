/** Query and path parameter parsing with the named 400 codes of docs/reference/cli-rollout-api.md §3.6. */
import { parseRfc3339 } from "../time.ts";
import { ApiError, type ErrorCode } from "./errors.ts";

const MAX_INT64 = 9223372036854775807n;

/** A path id: a positive int64 (kept as a number; ids stay below 2^53), else `code`. */
export function parseId(raw: string | undefined, code: ErrorCode, what: string): number {
  const text = raw ?? "";
  if (!/^\d{1,19}$/.test(text) || BigInt(text) < 1n || BigInt(text) > MAX_INT64) {
    throw new ApiError(code, `${what} must be a positive integer, got ${JSON.stringify(text)}`);
  }
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new ApiError(code, `${what} ${text} is out of range`);
  return n;
}

export const MAX_LIMIT = 200;

/** `limit`: integer >= 1, default `fallback`, silently clamped to 200. */
export function parseLimit(q: URLSearchParams, fallback = 50): number {
  const raw = q.get("limit");
  if (raw === null || raw === "") return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ApiError("invalid_limit", "limit must be an integer");
  const n = Number(raw);
  if (n < 1) throw new ApiError("invalid_limit", "limit must be >= 1");
  return Math.min(n, MAX_LIMIT);
}

/** The opaque cursor: unpadded base64url of `{"id":<int64>}`. */
export function encodeCursor(id: number): string {
  return Buffer.from(JSON.stringify({ id })).toString("base64url");
}

export function parseCursor(q: URLSearchParams): number | null {
  const raw = q.get("cursor");
  if (raw === null || raw === "") return null;
  const bad = () => new ApiError("invalid_cursor", "cursor is not one this API issued");
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) throw bad();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
  } catch {
    throw bad();
  }
  const id = (value as { id?: unknown } | null)?.id;
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1) throw bad();
  return id;
}

/** true/1/false/0 (absent -> undefined). */
export function parseBool(q: URLSearchParams, name: string, code: ErrorCode): boolean | undefined {
  const raw = q.get(name);
  if (raw === null || raw === "") return undefined;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new ApiError(code, `${name} must be true, false, 1 or 0, got ${JSON.stringify(raw)}`);
}

/** `name` or `name__in` (CSV), not both; each value checked by `valid`. */
export function parseInFilter(
  q: URLSearchParams,
  name: string,
  code: ErrorCode,
  valid: (v: string) => boolean = () => true,
): string[] | undefined {
  const one = q.get(name);
  const many = q.get(`${name}__in`);
  if (one !== null && many !== null) throw new ApiError(code, `use ${name} or ${name}__in, not both`);
  const raw = one ?? many;
  if (raw === null) return undefined;
  const values = one !== null ? [one] : raw.split(",").map((v) => v.trim());
  if (values.some((v) => v === "" || !valid(v))) {
    throw new ApiError(code, `invalid ${name} filter ${JSON.stringify(raw)}`);
  }
  return values;
}

/** An RFC 3339 time query parameter. */
export function parseTimeParam(q: URLSearchParams, name: string, code: ErrorCode): Date | undefined {
  const raw = q.get(name);
  if (raw === null || raw === "") return undefined;
  const ms = parseRfc3339(raw);
  if (ms === undefined)
    throw new ApiError(code, `${name} must be an RFC 3339 time, got ${JSON.stringify(raw)}`);
  return new Date(ms);
}

/** The page of a `limit + 1` fetch and its `next` cursor (the last row's id), or null at the end. */
export function pageOf<T>(
  rows: T[],
  limit: number,
  idOf: (row: T) => number,
): { page: T[]; next: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { page, next: rows.length > limit && last !== undefined ? encodeCursor(idOf(last)) : null };
}

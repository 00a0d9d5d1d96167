/**
 * API keys (docs/reference/cli-rollout-api.md §1.9, docs/reference/cli-rollout-api.md §3.3): tokens are `jm_` + unpadded base32 of 32
 * random bytes (52 characters); only the lowercase hex SHA-256 is stored in jetmon_api_keys.
 * Expiry and revocation are judged by the database clock, half-open (valid strictly before).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { type Executor, inTransaction, readDbTime, run, selectRows } from "../db/sql.ts";

export const SCOPES = ["read", "write", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/** Default rate limit per scope when `--rate-limit` is 0 (docs/reference/cli-rollout-api.md §1.9). */
export const DEFAULT_RATE: Record<Scope, number> = { read: 60, write: 30, admin: 60 };

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32, no padding (Go's base32.StdEncoding.WithPadding(NoPadding)). */
export function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export function newToken(random: (n: number) => Uint8Array = randomBytes): string {
  return `jm_${base32(random(32))}`;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** read < write < admin; an unknown stored scope ranks as read. */
export function scopeRank(scope: string): number {
  const i = SCOPES.indexOf(scope as Scope);
  return Math.max(i, 0);
}

export function parseScope(s: string): Scope {
  if ((SCOPES as readonly string[]).includes(s)) return s as Scope;
  throw new Error(`apikeys: invalid scope ${JSON.stringify(s)} (want one of: read, write, admin)`);
}

export interface ApiKey {
  id: number;
  consumerName: string;
  scope: string;
  rateLimitPerMinute: number;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
  createdBy: string;
  /** revoked_at <= NOW() by the database clock. */
  revoked: boolean;
  /** expires_at <= NOW() by the database clock. */
  expired: boolean;
}

interface KeyRow {
  id: number;
  key_hash: string;
  consumer_name: string;
  scope: string;
  rate_limit_per_minute: number;
  expires_at: unknown;
  revoked_at: unknown;
  last_used_at: unknown;
  created_at: unknown;
  created_by: string;
  is_revoked: number | null;
  is_expired: number | null;
}

const KEY_COLUMNS = sql`id, key_hash, consumer_name, scope, rate_limit_per_minute, expires_at, revoked_at,
  last_used_at, created_at, created_by,
  (revoked_at IS NOT NULL AND revoked_at <= CURRENT_TIMESTAMP) AS is_revoked,
  (expires_at IS NOT NULL AND expires_at <= CURRENT_TIMESTAMP) AS is_expired`;

function toKey(r: KeyRow): ApiKey {
  return {
    id: Number(r.id),
    consumerName: r.consumer_name,
    scope: r.scope,
    rateLimitPerMinute: Number(r.rate_limit_per_minute),
    expiresAt: readDbTime(r.expires_at),
    revokedAt: readDbTime(r.revoked_at),
    lastUsedAt: readDbTime(r.last_used_at),
    createdAt: readDbTime(r.created_at) as Date,
    createdBy: r.created_by,
    revoked: Number(r.is_revoked) === 1,
    expired: Number(r.is_expired) === 1,
  };
}

export interface CreateKeyInput {
  consumerName: string;
  scope: Scope;
  /** 0 means the scope's default. */
  rateLimitPerMinute?: number;
  /** Seconds from now (database clock); 0 or absent never expires. */
  ttlSeconds?: number;
  createdBy?: string;
}

export interface CreatedKey {
  key: ApiKey;
  /** The raw token: shown once, never stored. */
  token: string;
}

export async function createKey(db: Executor, input: CreateKeyInput): Promise<CreatedKey> {
  if (!input.consumerName.trim()) throw new Error("apikeys: consumer name is required");
  const rate = input.rateLimitPerMinute && input.rateLimitPerMinute > 0 ? input.rateLimitPerMinute : 0;
  if (input.rateLimitPerMinute !== undefined && input.rateLimitPerMinute < 0) {
    throw new Error(`apikeys: rate limit must be >= 0, got ${input.rateLimitPerMinute}`);
  }
  const ttl = Math.floor(input.ttlSeconds ?? 0);
  if (ttl < 0) throw new Error(`apikeys: ttl must be >= 0, got ${ttl}s`);
  const token = newToken();
  const expires = ttl > 0 ? sql`CURRENT_TIMESTAMP + INTERVAL ${ttl} SECOND` : sql`NULL`;
  const { insertId } = await run(
    db,
    sql`INSERT INTO jetmon_api_keys (key_hash, consumer_name, scope, rate_limit_per_minute, expires_at, created_by)
        VALUES (${hashToken(token)}, ${input.consumerName}, ${input.scope},
                ${rate || DEFAULT_RATE[input.scope]}, ${expires}, ${input.createdBy || "cli"})`,
  );
  const key = await getKey(db, insertId);
  if (!key) throw new Error(`apikeys: key ${insertId} vanished after insert`);
  return { key, token };
}

export async function getKey(db: Executor, id: number): Promise<ApiKey | null> {
  const rows = await selectRows<KeyRow>(db, sql`SELECT ${KEY_COLUMNS} FROM jetmon_api_keys WHERE id = ${id}`);
  return rows[0] ? toKey(rows[0]) : null;
}

export async function listKeys(db: Executor): Promise<ApiKey[]> {
  const rows = await selectRows<KeyRow>(db, sql`SELECT ${KEY_COLUMNS} FROM jetmon_api_keys ORDER BY id`);
  return rows.map(toKey);
}

/**
 * Sets revoked_at = now where it is NULL. A key that already has a revoked_at (past, or a
 * rotation grace in the future) is left as it is, as Go does (docs/reference/cli-rollout-api.md §1.9). Throws when missing.
 */
export async function revokeKey(db: Executor, id: number): Promise<void> {
  const { affectedRows } = await run(
    db,
    sql`UPDATE jetmon_api_keys SET revoked_at = CURRENT_TIMESTAMP WHERE id = ${id} AND revoked_at IS NULL`,
  );
  if (affectedRows > 0) return;
  if (!(await getKey(db, id))) throw new Error(`apikeys: key ${id} not found`);
}

export interface RotateResult {
  old: ApiKey;
  created: CreatedKey;
}

/**
 * A new key with the old one's consumer, scope, rate and remaining TTL; the old key is revoked
 * now (grace <= 0) or at now + grace (database clock). One transaction.
 */
export function rotateKey(
  db: Db,
  id: number,
  graceSeconds: number,
  createdBy: string,
): Promise<RotateResult> {
  return inTransaction(db, async (tx) => {
    const rows = await selectRows<KeyRow & { remaining: number | null }>(
      tx,
      sql`SELECT ${KEY_COLUMNS}, TIMESTAMPDIFF(SECOND, CURRENT_TIMESTAMP, expires_at) AS remaining
          FROM jetmon_api_keys WHERE id = ${id} FOR UPDATE`,
    );
    const row = rows[0];
    if (!row) throw new Error(`apikeys: key ${id} not found`);
    if (row.revoked_at !== null)
      throw new Error(`apikeys: key ${id} already revoked; create a fresh key instead`);
    const remaining = row.remaining === null ? 0 : Math.max(1, Number(row.remaining));
    const created = await createKey(tx, {
      consumerName: row.consumer_name,
      scope: parseScope(row.scope),
      rateLimitPerMinute: Number(row.rate_limit_per_minute),
      ttlSeconds: remaining,
      createdBy,
    });
    const grace = Math.floor(graceSeconds);
    await run(
      tx,
      grace > 0
        ? sql`UPDATE jetmon_api_keys SET revoked_at = CURRENT_TIMESTAMP + INTERVAL ${grace} SECOND WHERE id = ${id}`
        : sql`UPDATE jetmon_api_keys SET revoked_at = CURRENT_TIMESTAMP WHERE id = ${id}`,
    );
    const old = await getKey(tx, id);
    return { old: old as ApiKey, created };
  });
}

export type LookupOutcome =
  | { ok: true; key: ApiKey }
  | { ok: false; code: "invalid_token" | "token_revoked" | "token_expired" };

/**
 * Finds the key for a bearer token. Tokens without `jm_` or shorter than 13 characters are
 * refused before the database. The stored hash is compared in constant time.
 */
export async function lookupToken(db: Executor, token: string): Promise<LookupOutcome> {
  if (!token.startsWith("jm_") || token.length < 13) return { ok: false, code: "invalid_token" };
  const hash = hashToken(token);
  const rows = await selectRows<KeyRow>(
    db,
    sql`SELECT ${KEY_COLUMNS} FROM jetmon_api_keys WHERE key_hash = ${hash}`,
  );
  const row = rows[0];
  if (!row || !timingSafeEqual(Buffer.from(row.key_hash, "utf8"), Buffer.from(hash, "utf8"))) {
    return { ok: false, code: "invalid_token" };
  }
  const key = toKey(row);
  if (key.revoked) return { ok: false, code: "token_revoked" };
  if (key.expired) return { ok: false, code: "token_expired" };
  // Touch last_used_at; a failure here must not fail the request.
  await run(db, sql`UPDATE jetmon_api_keys SET last_used_at = CURRENT_TIMESTAMP WHERE id = ${key.id}`).catch(
    () => {},
  );
  return { ok: true, key };
}

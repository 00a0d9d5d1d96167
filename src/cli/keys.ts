/**
 * `jetmon2 keys create|list|revoke|rotate` (docs/reference/cli-rollout-api.md §1.9): API key
 * management straight against the database. The raw token is printed once and never stored.
 */
import { type ApiKey, createKey, listKeys, parseScope, revokeKey, rotateKey } from "../api/keys.ts";
import type { Db } from "../db/client.ts";
import { errorText } from "../error-text.ts";
import { type FlagDef, FlagError, HelpRequested, parseFlags } from "../rollout/flags.ts";
import { parseGoDuration, rfc3339 } from "../time.ts";
import { UsageError } from "../usage-error.ts";
import type { CliContext, Command } from "./context.ts";
import { openCommandDb } from "./db-command.ts";

export const KEYS_USAGE = "usage: jetmon2 keys <create|list|revoke|rotate> [args]";

const defaultCreatedBy = (env: CliContext["env"]) => env.USER || env.LOGNAME || "cli";

function flags(ctx: CliContext, defs: FlagDef[], args: string[]) {
  try {
    return parseFlags(defs, args);
  } catch (err) {
    if (err instanceof HelpRequested) throw new UsageError(`usage of keys ${ctx.args[0]}`);
    if (err instanceof FlagError) throw new UsageError(err.message);
    throw err;
  }
}

function duration(text: string, name: string): number {
  const ms = parseGoDuration(text);
  if (ms === undefined)
    throw new UsageError(`invalid value ${JSON.stringify(text)} for flag -${name}: parse error`);
  return ms;
}

const when = (d: Date | null) => (d ? rfc3339(d.getTime()) : "never");

/** `revoked`, `revokes-at <t>`, `expired` or `active` (the database clock decides). */
export function keyStatus(k: ApiKey): string {
  if (k.revokedAt && k.revoked) return "revoked";
  if (k.revokedAt) return `revokes-at ${rfc3339(k.revokedAt.getTime())}`;
  if (k.expired) return "expired";
  return "active";
}

export function createKeysCommand(deps: { sleep?: (ms: number) => Promise<void> } = {}): Command {
  return async (ctx) => {
    const [sub, ...rest] = ctx.args;
    if (sub === undefined) {
      ctx.err(KEYS_USAGE);
      return 1;
    }
    const opened = await openCommandDb(ctx, { sleep: deps.sleep });
    if (!opened) return 1;
    try {
      switch (sub) {
        case "create":
          return await create(ctx, opened.db, rest);
        case "list":
          return await list(ctx, opened.db, rest);
        case "revoke":
          return await revoke(ctx, opened.db, rest);
        case "rotate":
          return await rotate(ctx, opened.db, rest);
        default:
          ctx.err(`unknown keys subcommand ${JSON.stringify(sub)} (want: create, list, revoke, rotate)`);
          return 1;
      }
    } finally {
      await opened.pool.end().catch(() => {});
    }
  };
}

export const keysCommand: Command = createKeysCommand();

async function create(ctx: CliContext, db: Db, args: string[]): Promise<number> {
  const f = flags(
    ctx,
    [
      { name: "consumer", kind: "string", default: "", help: "consumer name (required)" },
      { name: "scope", kind: "string", default: "read", help: "read, write or admin" },
      { name: "rate-limit", kind: "int", default: 0, help: "requests per minute (0 = scope default)" },
      { name: "ttl", kind: "string", default: "0", help: "lifetime, Go duration (0 = never expires)" },
      { name: "created-by", kind: "string", default: defaultCreatedBy(ctx.env), help: "recorded creator" },
    ],
    args,
  );
  const ttlMs = duration(String(f.values.get("ttl")), "ttl");
  const consumer = String(f.values.get("consumer"));
  if (!consumer) {
    ctx.err("--consumer is required");
    return 1;
  }
  try {
    const { key, token } = await createKey(db, {
      consumerName: consumer,
      scope: parseScope(String(f.values.get("scope"))),
      rateLimitPerMinute: Number(f.values.get("rate-limit")),
      ttlSeconds: Math.ceil(ttlMs / 1000),
      createdBy: String(f.values.get("created-by")),
    });
    ctx.out(
      `Created key id=${key.id} for consumer=${JSON.stringify(key.consumerName)} scope=${key.scope} rate=${key.rateLimitPerMinute}/min`,
    );
    ctx.out(`Expires: ${when(key.expiresAt)}`);
    ctx.out("");
    ctx.out("Token (shown ONCE — save it now):");
    ctx.out(token);
    return 0;
  } catch (err) {
    ctx.err(`create: ${errorText(err)}`);
    return 1;
  }
}

async function list(ctx: CliContext, db: Db, args: string[]): Promise<number> {
  const f = flags(
    ctx,
    [{ name: "include-revoked", kind: "bool", default: false, help: "show revoked keys" }],
    args,
  );
  const all = f.values.get("include-revoked") === true;
  try {
    const keys = await listKeys(db);
    ctx.out(
      `${"ID".padEnd(5)} ${"CONSUMER".padEnd(24)} ${"SCOPE".padEnd(7)} ${"RATE/MIN".padEnd(9)} ${"EXPIRES".padEnd(21)} ${"LAST USED".padEnd(21)} STATUS`,
    );
    ctx.out("-".repeat(110));
    for (const k of keys) {
      const status = keyStatus(k);
      if (status === "revoked" && !all) continue;
      ctx.out(
        `${String(k.id).padEnd(5)} ${k.consumerName.padEnd(24)} ${k.scope.padEnd(7)} ${String(k.rateLimitPerMinute).padEnd(9)} ${when(k.expiresAt).padEnd(21)} ${when(k.lastUsedAt).padEnd(21)} ${status}`,
      );
    }
    return 0;
  } catch (err) {
    ctx.err(`list: ${errorText(err)}`);
    return 1;
  }
}

/**
 * The key id argument, parsed as Go's: a leading integer, trailing junk ignored. Prints the
 * usage (missing) or the error (no digits) and returns null.
 */
function idArg(ctx: CliContext, raw: string | undefined, usage: string): number | null {
  if (raw === undefined) {
    ctx.err(usage);
    return null;
  }
  const m = /^\s*(\d+)/.exec(raw);
  if (!m) ctx.err(`invalid id ${JSON.stringify(raw)}: not an integer`);
  return m ? Number(m[1]) : null;
}

async function revoke(ctx: CliContext, db: Db, args: string[]): Promise<number> {
  const id = idArg(ctx, args[0], "usage: jetmon2 keys revoke <id>");
  if (id === null) return 1;
  try {
    await revokeKey(db, id);
    ctx.out(`Revoked key id=${id}`);
    return 0;
  } catch (err) {
    ctx.err(`revoke: ${errorText(err)}`);
    return 1;
  }
}

async function rotate(ctx: CliContext, db: Db, args: string[]): Promise<number> {
  const f = flags(
    ctx,
    [
      { name: "grace", kind: "string", default: "5m", help: "old key stays valid this long" },
      { name: "created-by", kind: "string", default: defaultCreatedBy(ctx.env), help: "recorded creator" },
    ],
    args,
  );
  const graceMs = duration(String(f.values.get("grace")), "grace");
  const id = idArg(ctx, f.positionals[0], "usage: jetmon2 keys rotate [--grace=DURATION] <id>");
  if (id === null) return 1;
  try {
    const { old, created } = await rotateKey(
      db,
      id,
      Math.ceil(graceMs / 1000),
      String(f.values.get("created-by")),
    );
    ctx.out(
      `Rotated key id=${old.id} → new key id=${created.key.id} for consumer=${JSON.stringify(old.consumerName)}`,
    );
    ctx.out(
      graceMs > 0 && old.revokedAt
        ? `Old key id=${old.id} will be revoked at ${rfc3339(old.revokedAt.getTime())}`
        : `Old key id=${old.id} revoked immediately`,
    );
    ctx.out("");
    ctx.out("New token (shown ONCE — save it now):");
    ctx.out(created.token);
    return 0;
  } catch (err) {
    ctx.err(`rotate: ${errorText(err)}`);
    return 1;
  }
}

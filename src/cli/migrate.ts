import { existsSync } from "node:fs";
import { dbSettingsFromEnv } from "../config/db-env.ts";
import { dbSettingsFromConfig, loadConfig } from "../config/load.ts";
import { migrate } from "../db/migrate.ts";
import { type DbSettings, openCommandPool, type Pool } from "../db/pool.ts";
import { UsageError } from "../usage-error.ts";
import type { Command } from "./context.ts";

export interface MigrateCommandDeps {
  /** Connection attempts before giving up (docs/reference/monitor-core.md §4.1: migrate uses 5). */
  attempts?: number;
  /** Waits between attempts; tests pass a no-op. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * `jetmon2 migrate`: applies pending migrations, printing `applying migration N` for each, then
 * Go's `migrations applied successfully` (preceded by `no pending migrations` when there were
 * none). Exits 1 with `migrate: <error>` on stderr on any failure.
 */
export function makeMigrateCommand(deps: MigrateCommandDeps = {}): Command {
  return async (ctx) => {
    if (ctx.args.length > 0)
      throw new UsageError(`migrate takes no arguments, got ${JSON.stringify(ctx.args)}`);
    let pool: Pool | undefined;
    try {
      pool = await openCommandPool(migrateDbSettings(ctx), deps.attempts ?? 5, {
        sleep: deps.sleep,
        onRetry: (attempt, err) =>
          ctx.err(`migrate: connect attempt ${attempt} failed: ${message(err)}; retrying`),
      });
      const applied = await migrate(pool, { print: ctx.out });
      if (applied.length === 0) ctx.out("no pending migrations");
      ctx.out("migrations applied successfully");
      return 0;
    } catch (err) {
      ctx.err(`migrate: ${message(err)}`);
      return 1;
    } finally {
      await pool?.end().catch(() => {});
    }
  };
}

export const migrateCommand: Command = makeMigrateCommand();

function message(err: unknown): string {
  if (err instanceof Error) return err.message || (err as { code?: string }).code || err.name;
  return String(err);
}

/**
 * The config file's DB_* keys when the file exists (env still wins, as everywhere), else the
 * environment alone: migrate must work on a host that has no config yet.
 */
function migrateDbSettings(ctx: { configPath: string; env: Record<string, string | undefined> }): DbSettings {
  if (!existsSync(ctx.configPath)) return dbSettingsFromEnv(ctx.env);
  return dbSettingsFromConfig(loadConfig(ctx.configPath, ctx.env).config);
}

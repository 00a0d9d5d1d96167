import { existsSync } from "node:fs";
import { dbSettingsFromEnv } from "../config/db-env.ts";
import { dbSettingsFromConfig, loadConfig } from "../config/load.ts";
import { createDb, type Db } from "../db/client.ts";
import { openCommandPool, type Pool } from "../db/pool.ts";
import { errorText } from "../error-text.ts";
import type { CliContext } from "./context.ts";

/**
 * Opens the database for a one-shot command (3 attempts, docs/reference/cli-rollout-api.md §0.3): the
 * config file's DB_* keys when it exists (env still wins), else the environment alone. Prints
 * `db: <err>` and returns null when it cannot connect.
 */
export async function openCommandDb(
  ctx: CliContext,
  opts: { attempts?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<{ db: Db; pool: Pool } | null> {
  try {
    const settings = existsSync(ctx.configPath)
      ? dbSettingsFromConfig(loadConfig(ctx.configPath, ctx.env).config)
      : dbSettingsFromEnv(ctx.env);
    const pool = await openCommandPool(settings, opts.attempts ?? 3, { sleep: opts.sleep });
    return { db: createDb(pool), pool };
  } catch (err) {
    ctx.err(`db: ${errorText(err)}`);
    return null;
  }
}

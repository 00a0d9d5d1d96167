/**
 * The real I/O behind the rollout gates: config file, MySQL, clock, hostname, HTTP, systemd,
 * files. Tests build their own RolloutDeps instead.
 */
import { readdir, readFile } from "node:fs/promises";
import { dbSettingsFromConfig, loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { createDb } from "../db/client.ts";
import { openCommandPool, type Pool } from "../db/pool.ts";
import { osErrorText } from "../error-text.ts";
import { hostIdentity } from "../host-identity.ts";
import type { RolloutDeps, SystemdVerifyResult } from "../rollout/gate-context.ts";
import { createRolloutStore } from "../rollout/store.ts";
import { formatGoSeconds } from "../time.ts";
import type { CliContext } from "./context.ts";

const DB_CONNECT_ATTEMPTS = 3;

async function runSystemdVerify(unit: string): Promise<SystemdVerifyResult> {
  let proc: ReturnType<typeof Bun.spawn>;
  try {
    proc = Bun.spawn(["systemd-analyze", "verify", unit], {
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
    });
  } catch {
    return { output: "", error: 'exec: "systemd-analyze": executable file not found in $PATH' };
  }
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout as ReadableStream).text(),
    new Response(proc.stderr as ReadableStream).text(),
    proc.exited,
  ]);
  const output = `${stdout}${stderr}`;
  return code === 0 ? { output } : { output, error: `exit status ${code}` };
}

/** Deps for one CLI invocation; `close` ends the pool if one was opened. */
export function defaultRolloutDeps(ctx: CliContext): RolloutDeps & { close(): Promise<void> } {
  let config: Config | undefined;
  let pool: Pool | undefined;
  const load = () => {
    config ??= loadConfig(ctx.configPath, ctx.env).config;
    return config;
  };
  return {
    async loadConfig() {
      return load();
    },
    async openStore() {
      pool = await openCommandPool(dbSettingsFromConfig(load()), DB_CONNECT_ATTEMPTS, {
        onRetry: (attempt, err) =>
          ctx.err(
            `db connect attempt ${attempt} failed: ${osErrorText(err)}, retrying in ${formatGoSeconds(Math.min(2 ** (attempt - 1), 30))}`,
          ),
      }).catch((err: unknown) => {
        throw new Error(`db connect failed after ${DB_CONNECT_ATTEMPTS} attempts: ${osErrorText(err)}`);
      });
      return createRolloutStore(createDb(pool));
    },
    now: () => Date.now(),
    hostname: () => hostIdentity(ctx.env),
    fetch: (url, init) => fetch(url, init),
    systemdVerify: runSystemdVerify,
    async readFile(path) {
      try {
        return await readFile(path, "utf8");
      } catch (err) {
        throw new Error(`open ${path}: ${osErrorText(err)}`);
      }
    },
    async listDir(path) {
      try {
        return await readdir(path);
      } catch {
        return [];
      }
    },
    readStdin: () => Bun.stdin.text(),
    configPath: ctx.configPath,
    async close() {
      await pool?.end().catch(() => {});
    },
  };
}

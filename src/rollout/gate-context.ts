/**
 * What a gate may touch. Everything with I/O or time is passed in, so tests run the gates
 * in-process against a seeded database, a fixed clock and a local HTTP server.
 */

import { errorText } from "../error-text.ts";
import type { RolloutConfig } from "./config.ts";
import { GateError, type Lines } from "./report.ts";
import type { RolloutStore } from "./store.ts";

export interface SystemdVerifyResult {
  /** Combined stdout+stderr of `systemd-analyze verify <unit>`. */
  output: string;
  /** Set when the command failed, e.g. `exit status 1`. */
  error?: string;
}

export interface RolloutDeps {
  /** Loads and validates the config file; throws with the loader's message. */
  loadConfig(): Promise<RolloutConfig>;
  /** Connects to the database (with retries); throws with the driver's message. */
  openStore(): Promise<RolloutStore>;
  now(): number;
  /** The OS hostname (trimmed by the caller). */
  hostname(): string;
  fetch(url: string, init?: RequestInit): Promise<Response>;
  systemdVerify(unit: string): Promise<SystemdVerifyResult>;
  readFile(path: string): Promise<string>;
  /** The names in a directory; empty when it does not exist. */
  listDir(path: string): Promise<string[]>;
  readStdin(): Promise<string>;
  /** The config file the gate reads (`--config`, JETMON_CONFIG or the default), when known. */
  configPath?: string;
}

export interface GateContext extends Omit<RolloutDeps, "loadConfig" | "openStore"> {
  lines: Lines;
  /** The config, loaded on first use, which prints `PASS config parse` unless `quiet`. */
  config(opts?: { quiet?: boolean }): Promise<RolloutConfig>;
  /** The store, connected on first use, which prints `PASS db connect`. */
  store(): Promise<RolloutStore>;
}

export function createGateContext(deps: RolloutDeps, lines: Lines): GateContext {
  let config: RolloutConfig | undefined;
  let store: RolloutStore | undefined;
  return {
    now: deps.now,
    hostname: deps.hostname,
    fetch: deps.fetch,
    systemdVerify: deps.systemdVerify,
    readFile: deps.readFile,
    listDir: deps.listDir,
    readStdin: deps.readStdin,
    ...(deps.configPath !== undefined ? { configPath: deps.configPath } : {}),
    lines,
    async config(opts = {}) {
      if (!config) {
        try {
          config = await deps.loadConfig();
        } catch (err) {
          throw new GateError(`config parse: ${errorText(err)}`);
        }
        if (!opts.quiet) lines.pass("config parse");
      }
      return config;
    },
    async store() {
      if (!store) {
        try {
          store = await deps.openStore();
        } catch (err) {
          throw new GateError(`db connect: ${errorText(err)}`);
        }
        lines.pass("db connect");
      }
      return store;
    },
  };
}

/** Runs a query, prefixing its error as the reference words query failures. */
export async function query<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof GateError) throw err;
    throw new GateError(`${what}: ${errorText(err)}`);
  }
}

/** `--host` trimmed, else the OS hostname trimmed; empty is an error. */
export function resolveHost(ctx: GateContext, override: string): string {
  const host = override.trim() || ctx.hostname().trim();
  if (host === "") throw new GateError("host id is empty");
  return host;
}

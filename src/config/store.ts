import { log as defaultLogger, type Logger } from "../log.ts";
import { type Env, type LoadedConfig, loadConfig } from "./load.ts";
import { CONFIG_KEYS, type Config, type ConfigKey, reloadPolicy } from "./schema.ts";

/** What a successful reload changed. */
export interface ConfigChange {
  /** Keys whose value differs, in schema order. */
  changed: ConfigKey[];
  /** The subset the running process does not apply: a restart is needed for them. */
  restartRequired: ConfigKey[];
}

export type ReloadResult = ({ ok: true; warnings: string[] } & ConfigChange) | { ok: false; error: Error };

export type ConfigListener = (next: Config, prev: Config, change: ConfigChange) => void;

/** The keys whose values differ between two configs. */
export function changedKeys(prev: Config, next: Config): ConfigKey[] {
  return CONFIG_KEYS.filter((k) => JSON.stringify(prev[k]) !== JSON.stringify(next[k]));
}

/**
 * Holds the current config. Readers take `current` (a frozen snapshot) whenever they need
 * it; `reload()` re-reads the same file and swaps the snapshot in one assignment, or keeps
 * the old one if the new file is invalid.
 */
export class ConfigStore {
  readonly path: string;
  private snapshot: Config;
  private lastWarnings: string[];
  private readonly env: Env;
  private readonly logger: Logger;
  private readonly load: (path: string, env: Env) => LoadedConfig;
  private readonly listeners = new Set<ConfigListener>();

  /** Loads `path` now; throws ConfigError if it is not usable. */
  constructor(
    path: string,
    env: Env,
    opts: { logger?: Logger; load?: (path: string, env: Env) => LoadedConfig } = {},
  ) {
    this.path = path;
    this.env = env;
    this.logger = opts.logger ?? defaultLogger;
    this.load = opts.load ?? loadConfig;
    const first = this.load(path, env);
    this.snapshot = first.config;
    this.lastWarnings = first.warnings;
  }

  get current(): Config {
    return this.snapshot;
  }

  /** Warnings of the load that produced `current`. */
  get warnings(): string[] {
    return [...this.lastWarnings];
  }

  /** Calls `fn` after every successful reload (check `change.changed`). Returns an unsubscribe function. */
  onChange(fn: ConfigListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  reload(): ReloadResult {
    let loaded: LoadedConfig;
    try {
      loaded = this.load(this.path, this.env);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.logger.error({ path: this.path, err: error }, "config reload failed");
      return { ok: false, error };
    }
    const prev = this.snapshot;
    const changed = changedKeys(prev, loaded.config);
    const restartRequired = changed.filter((k) => reloadPolicy(k) === "restart");
    this.snapshot = loaded.config;
    this.lastWarnings = loaded.warnings;
    for (const warning of loaded.warnings) this.logger.warn({ path: this.path, warning }, "config warning");
    this.logger.info({ path: this.path, changed, restart_required: restartRequired }, "config reloaded");
    if (restartRequired.length > 0) {
      this.logger.warn({ keys: restartRequired }, "config change needs a restart");
    }
    const change = { changed, restartRequired };
    this.notify(loaded.config, prev, change);
    return { ok: true, warnings: loaded.warnings, ...change };
  }

  private notify(next: Config, prev: Config, change: ConfigChange): void {
    for (const fn of this.listeners) {
      try {
        fn(next, prev, change);
      } catch (err) {
        // One broken subscriber must not stop the others from seeing the new config.
        this.logger.error({ err }, "config listener failed");
      }
    }
  }
}

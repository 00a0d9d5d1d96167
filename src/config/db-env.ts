import type { DbSettings } from "../db/pool.ts";

/** docs/reference/monitor-core.md §8.3 defaults. */
export const DB_ENV_DEFAULTS: Readonly<DbSettings> = {
  host: "localhost",
  port: 3306,
  user: "root",
  password: "",
  database: "jetmon_db",
};

/**
 * Database settings from DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME. An empty value counts
 * as unset (so `DB_PASSWORD=` keeps the default empty password and `DB_HOST=` keeps localhost).
 * Throws on a DB_PORT that is not an integer 1-65535, naming the variable and the value.
 */
export function dbSettingsFromEnv(env: Record<string, string | undefined>): DbSettings {
  const get = (k: string) => (env[k] === undefined || env[k] === "" ? undefined : env[k]);
  const rawPort = get("DB_PORT");
  return {
    host: get("DB_HOST") ?? DB_ENV_DEFAULTS.host,
    port: rawPort === undefined ? DB_ENV_DEFAULTS.port : parsePort(rawPort),
    user: get("DB_USER") ?? DB_ENV_DEFAULTS.user,
    password: get("DB_PASSWORD") ?? DB_ENV_DEFAULTS.password,
    database: get("DB_NAME") ?? DB_ENV_DEFAULTS.database,
  };
}

function parsePort(raw: string): number {
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new Error(`DB_PORT: expected a port number 1-65535, got ${JSON.stringify(raw)}`);
  }
  return n;
}

import { readFileSync } from "node:fs";
import { Kind, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { DbSettings } from "../db/pool.ts";
import { errorText, osErrorText } from "../error-text.ts";
import { dbSettingsFromEnv } from "./db-env.ts";
import { locateJsonError } from "./json-error.ts";
import {
  CONFIG_KEYS,
  type Config,
  type ConfigKey,
  defaultConfig,
  keySchema,
  VERIFIER_KEYS,
  type Verifier,
} from "./schema.ts";
import { firstRuleViolation, verifierDisplayName } from "./validate.ts";

export { dashboardBindWarning } from "./bind-addr.ts";
export { pinnedBucketRange } from "./validate.ts";

export type Env = Record<string, string | undefined>;

/** A config that cannot be used. The message starts with `open config:`, `parse config:` or `invalid config:`. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface LoadedConfig {
  /** Frozen: share it freely, nobody can change it under you. */
  config: Config;
  /** Things an operator should fix that do not stop the process (unknown keys, deprecated keys, ...). */
  warnings: string[];
}

/** The DB_* settings the environment overrides, in the order of docs/reference/monitor-core.md §8.3. */
export const DB_ENV_KEYS = ["DB_HOST", "DB_PORT", "DB_USER", "DB_PASSWORD", "DB_NAME"] as const;

/**
 * Reads, decodes, normalises and validates the JSON config at `path`. Non-empty DB_* variables
 * in `env` override the file. Throws ConfigError; never returns a half-valid config.
 */
export function loadConfig(path: string, env: Env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`open config: ${path}: ${osErrorText(err)}`);
  }
  return parseConfig(text, env, path);
}

/** loadConfig for text already in hand; `source` names it in error messages. */
export function parseConfig(text: string, env: Env = {}, source = "config"): LoadedConfig {
  const raw = decodeJson(text, source);
  const warnings: string[] = [];
  const given = canonicalKeys(raw, warnings);
  overrideFromEnv(given, env);

  const config = defaultConfig() as Record<string, unknown>;
  for (const [key, value] of given) config[key] = value;
  if (given.has("VERIFIERS")) config.VERIFIERS = normaliseVerifiers(given.get("VERIFIERS"), warnings);
  checkKinds(config);
  const c = config as Config;

  // Deprecated alias (docs/reference/monitor-core.md §8.1): the old key counts only when the new one is absent.
  if (!given.has("LEGACY_STATUS_PROJECTION_ENABLE") && given.has("DB_UPDATES_ENABLE")) {
    c.LEGACY_STATUS_PROJECTION_ENABLE = c.DB_UPDATES_ENABLE;
  }
  if (c.DASHBOARD_BIND_ADDR.trim() === "") c.DASHBOARD_BIND_ADDR = "127.0.0.1";

  const violation = firstRuleViolation(c);
  if (violation) throw new ConfigError(`invalid config: ${violation}`);
  checkRanges(c);

  warnings.push(...advisories(c, given));
  return { config: deepFreeze(c), warnings };
}

/** The MySQL settings of a loaded config (the environment has already been applied). */
export function dbSettingsFromConfig(c: Config): DbSettings {
  return { host: c.DB_HOST, port: c.DB_PORT, user: c.DB_USER, password: c.DB_PASSWORD, database: c.DB_NAME };
}

// --- decoding ------------------------------------------------------------------------------

function decodeJson(text: string, source: string): Record<string, unknown> {
  const body = text.replace(/^\uFEFF/, "");
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    const at = locateJsonError(body);
    const detail = at ? `line ${at.line}, column ${at.column}: ${at.message}` : errorText(err);
    throw new ConfigError(`parse config: ${source}: ${detail}`);
  }
  if (!isPlainObject(raw)) {
    throw new ConfigError(`parse config: ${source}: top level must be a JSON object, got ${jsonType(raw)}`);
  }
  return raw;
}

/**
 * Maps file keys onto schema keys case-insensitively (as Go does). Two spellings of one key
 * (`num_workers` and `NUM_WORKERS`) are an error: Go silently lets the later one win.
 */
function canonicalKeys(raw: Record<string, unknown>, warnings: string[]): Map<ConfigKey, unknown> {
  const byLower = new Map(CONFIG_KEYS.map((k) => [k.toLowerCase(), k]));
  const given = new Map<ConfigKey, unknown>();
  const spelled = new Map<ConfigKey, string>();
  for (const [key, value] of Object.entries(raw)) {
    const canonical = byLower.get(key.toLowerCase());
    if (!canonical) {
      warnings.push(unknownKeyWarning(key, CONFIG_KEYS));
      continue;
    }
    const earlier = spelled.get(canonical);
    if (earlier !== undefined) {
      throw new ConfigError(
        `invalid config: ${canonical} is given twice, as "${earlier}" and "${key}"; keep one (spelled ${canonical})`,
      );
    }
    spelled.set(canonical, key);
    if (canonical !== key) warnings.push(caseWarning(key, canonical));
    given.set(canonical, value);
  }
  return given;
}

/** Non-empty DB_* variables replace the file's values; db-env parses them, as commands without a config do. */
function overrideFromEnv(given: Map<ConfigKey, unknown>, env: Env): void {
  let fromEnv: DbSettings;
  try {
    fromEnv = dbSettingsFromEnv(env);
  } catch (err) {
    throw new ConfigError(`invalid config: environment ${errorText(err)}`);
  }
  const field = {
    DB_HOST: "host",
    DB_PORT: "port",
    DB_USER: "user",
    DB_PASSWORD: "password",
    DB_NAME: "database",
  };
  for (const key of DB_ENV_KEYS) {
    if (env[key] !== undefined && env[key] !== "") given.set(key, fromEnv[field[key] as keyof DbSettings]);
  }
}

function normaliseVerifiers(value: unknown, warnings: string[]): Verifier[] {
  if (!Array.isArray(value)) throw invalid("VERIFIERS", value, expectation(keySchema("VERIFIERS")));
  return value.map((entry, i) => {
    const path = `VERIFIERS[${i}]`;
    if (!isPlainObject(entry)) throw invalid(path, entry, "an object {name, host, port, auth_token}");
    const fields: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(entry)) {
      const canonical = VERIFIER_KEYS.find((k) => k === key.toLowerCase());
      if (!canonical) {
        warnings.push(unknownKeyWarning(`${path}.${key}`, VERIFIER_KEYS, path + "."));
        continue;
      }
      if (canonical !== key) warnings.push(caseWarning(`${path}.${key}`, `${path}.${canonical}`));
      fields[canonical] = v;
    }
    for (const key of ["name", "host", "auth_token"] as const) {
      if (fields[key] !== undefined && typeof fields[key] !== "string") {
        throw invalid(`${path}.${key}`, fields[key], "a string");
      }
    }
    if (fields.grpc_port !== undefined) warnings.push(`${path}.grpc_port is deprecated: use port`);
    const port = parsePort(fields.port, `${path}.port`) || parsePort(fields.grpc_port, `${path}.grpc_port`);
    return {
      name: (fields.name as string | undefined) ?? "",
      host: (fields.host as string | undefined) ?? "",
      port,
      auth_token: (fields.auth_token as string | undefined) ?? "",
    };
  });
}

/** A verifier port as a number; 0 when missing or blank (validation then says "port is required"). */
function parsePort(value: unknown, path: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string") {
    const text = value.trim();
    if (text === "") return 0;
    if (/^\d+$/.test(text)) return Number(text);
    if (/^<.*>$/.test(text)) {
      throw invalid(path, value, "a port number 1-65535 (replace the sample config's placeholder)");
    }
  }
  throw invalid(path, value, "a port number 1-65535, as a number or a numeric string");
}

// --- checking ------------------------------------------------------------------------------

/** Wrong JSON types (a string where a number goes, a float for an integer, ...). */
function checkKinds(config: Record<string, unknown>): void {
  for (const key of CONFIG_KEYS) {
    const schema = keySchema(key);
    if (!kindMatches(schema, config[key])) throw invalid(key, config[key], expectation(schema));
  }
}

function kindMatches(schema: TSchema, value: unknown): boolean {
  switch (schema[Kind]) {
    case "Integer":
      return Number.isInteger(value);
    case "Number":
      return typeof value === "number" && Number.isFinite(value);
    case "Boolean":
      return typeof value === "boolean";
    case "String":
      return typeof value === "string";
    case "Null":
      return value === null;
    case "Array":
      return Array.isArray(value);
    case "Object":
      return isPlainObject(value);
    case "Union":
      return (schema.anyOf as TSchema[]).some((s) => kindMatches(s, value));
    default:
      return Value.Check(schema, value);
  }
}

/** Ranges and patterns, after Jetmon 2's own rules had their say (so their messages win). */
function checkRanges(c: Config): void {
  for (const key of CONFIG_KEYS) {
    const schema = keySchema(key);
    const first = Value.Errors(schema, c[key]).First();
    if (!first) continue;
    const path = key + first.path.replace(/\/(\d+)/g, "[$1]").replace(/\/([^/]+)/g, ".$1");
    throw invalid(path, first.value, expectation(first.schema));
  }
}

/** How an error message describes a valid value for `schema`. */
function expectation(schema: TSchema): string {
  if (typeof schema.expect === "string") return schema.expect;
  switch (schema[Kind]) {
    case "Integer":
    case "Number": {
      const noun = schema[Kind] === "Integer" ? "an integer" : "a number";
      const { minimum: lo, maximum: hi } = schema as { minimum?: number; maximum?: number };
      if (lo !== undefined && hi !== undefined) return `${noun} between ${lo} and ${hi}`;
      if (lo !== undefined) return `${noun} >= ${lo}`;
      if (hi !== undefined) return `${noun} <= ${hi}`;
      return noun;
    }
    case "Boolean":
      return "true or false";
    case "String":
      return Array.isArray(schema.allowed)
        ? `one of ${(schema.allowed as string[]).map((v) => JSON.stringify(v)).join(", ")}`
        : "a string";
    case "Array":
      return "a list";
    case "Object":
      return "an object";
    case "Union":
      return (schema.anyOf as TSchema[]).map(expectation).join(" or ");
    default:
      return "a valid value";
  }
}

function invalid(path: string, value: unknown, expected: string): ConfigError {
  return new ConfigError(`invalid config: ${path}: got ${showValue(path, value)}, expected ${expected}`);
}

/** The offending value for an error message; secrets show only their type. */
function showValue(path: string, value: unknown): string {
  if (/PASSWORD|TOKEN/i.test(path)) return `${jsonType(value)} (value hidden)`;
  const text = value === undefined ? "nothing" : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

// --- warnings ------------------------------------------------------------------------------

function advisories(c: Config, given: Map<ConfigKey, unknown>): string[] {
  const out: string[] = [];
  for (const key of CONFIG_KEYS) {
    const deprecated = keySchema(key).deprecated;
    if (deprecated && given.has(key)) out.push(`config key "${key}" is deprecated: ${deprecated}`);
    const value = c[key];
    if (typeof value === "string" && isPlaceholder(value)) out.push(placeholderWarning(key, value));
  }
  if (c.LOG_FORMAT === "text") out.push('LOG_FORMAT "text" is accepted, but logs are always JSON lines');
  for (const [i, v] of c.VERIFIERS.entries()) {
    const who = `VERIFIERS[${i}] (${verifierDisplayName(v, i)})`;
    if (v.auth_token === "")
      out.push(`${who}: auth_token is empty; the veriflier refuses requests without one`);
    for (const key of ["name", "host", "auth_token"] as const) {
      if (isPlaceholder(v[key])) out.push(placeholderWarning(`VERIFIERS[${i}].${key}`, v[key]));
    }
  }
  return out;
}

const isPlaceholder = (value: string) => /^<[A-Za-z0-9_]+>$/.test(value.trim());
const placeholderWarning = (path: string, value: string) =>
  `${path} looks like an unreplaced placeholder ${JSON.stringify(value)}`;

function caseWarning(written: string, canonical: string): string {
  return `config key "${written}" matched "${canonical}" case-insensitively; write it as "${canonical}"`;
}

/** `unknown config key "NUM_WORKER" (did you mean "NUM_WORKERS"?)` */
export function unknownKeyWarning(key: string, known: readonly string[], prefix = ""): string {
  const bare = prefix && key.startsWith(prefix) ? key.slice(prefix.length) : key;
  const near = nearest(bare, known);
  const hint = near ? ` (did you mean "${prefix}${near}"?)` : "";
  return `unknown config key "${key}"${hint}`;
}

/** The known name closest to `word` by edit distance, if it is close enough to be a typo. */
function nearest(word: string, known: readonly string[]): string | undefined {
  const w = word.toUpperCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = editDistance(w, candidate.toUpperCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(w.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      // A cell outside the table is infinitely far: it never wins the minimum.
      const above = prev[j] ?? Number.POSITIVE_INFINITY;
      const left = row[j - 1] ?? Number.POSITIVE_INFINITY;
      const diagonal = prev[j - 1] ?? Number.POSITIVE_INFINITY;
      row[j] = Math.min(above + 1, left + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] ?? Number.POSITIVE_INFINITY;
}

// --- small helpers -------------------------------------------------------------------------

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  if (typeof v === "number") return Number.isInteger(v) ? "an integer" : "a number";
  return `a ${typeof v}`;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

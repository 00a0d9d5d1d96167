/**
 * Verifier configuration (docs/reference/monitor-core.md §5.3): a JSON file named by `--config`, else
 * VERIFLIER_CONFIG (default config/veriflier.json) with `auth_token`, `port` and the deprecated `grpc_port`;
 * without the file, the environment. Environment values override the file.
 */
import { readFileSync } from "node:fs";
import { type Static, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { errorText } from "../error-text.ts";

export const DEFAULT_CONFIG_PATH = "config/veriflier.json";
export const DEFAULT_PORT = "7803";
export const DEFAULT_CHECK_CONCURRENCY = 100;

const FileSchema = Type.Object({
  auth_token: Type.Optional(Type.String()),
  port: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
  grpc_port: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
  check_concurrency: Type.Optional(Type.Integer({ minimum: 1 })),
  bind_addr: Type.Optional(Type.String()),
});
type FileConfig = Static<typeof FileSchema>;

export interface VeriflierConfig {
  authToken: string;
  port: number;
  /** VERIFLIER_BIND_ADDR / bind_addr; "" listens on every interface (Go's only choice). */
  bindAddr: string;
  /** Sites checked at once (VERIFLIER_CHECK_CONCURRENCY / check_concurrency; default 100). */
  checkConcurrency: number;
  /** The file used, or null when the config came from the environment alone. */
  source: string | null;
}

export class VeriflierConfigError extends Error {}

/** Reads a file, or returns null when it does not exist. */
export type ReadFile = (path: string) => string | null;

const readIfExists: ReadFile = (path) => {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return null;
    throw err;
  }
};

/**
 * `explicitPath` is the `--config` file: it must exist. Without it, VERIFLIER_CONFIG or
 * config/veriflier.json is read when present.
 */
export function loadVeriflierConfig(
  env: Record<string, string | undefined>,
  readFile: ReadFile = readIfExists,
  explicitPath?: string,
): VeriflierConfig {
  const path = explicitPath || env.VERIFLIER_CONFIG || DEFAULT_CONFIG_PATH;
  let text: string | null;
  try {
    text = readFile(path);
  } catch (err) {
    throw new VeriflierConfigError(`cannot read ${path}: ${(err as { code?: string }).code ?? String(err)}`);
  }
  if (text === null && explicitPath)
    throw new VeriflierConfigError(`cannot read ${path}: ENOENT (given by --config)`);
  let bindAddr = "";
  let token = "";
  let port = "";
  let concurrency: number | undefined;
  if (text !== null) {
    const file = parseFile(path, text);
    token = file.auth_token ?? "";
    port = portText(file.port) || portText(file.grpc_port);
    concurrency = file.check_concurrency;
    bindAddr = file.bind_addr ?? "";
  } else {
    port = DEFAULT_PORT;
  }
  if (env.VERIFLIER_AUTH_TOKEN) token = env.VERIFLIER_AUTH_TOKEN;
  if (env.VERIFLIER_PORT) port = env.VERIFLIER_PORT;
  else if (env.VERIFLIER_GRPC_PORT) port = env.VERIFLIER_GRPC_PORT;
  if (env.VERIFLIER_BIND_ADDR !== undefined && env.VERIFLIER_BIND_ADDR.trim() !== "") {
    bindAddr = env.VERIFLIER_BIND_ADDR;
  }
  if (env.VERIFLIER_CHECK_CONCURRENCY) {
    concurrency = positiveInt("VERIFLIER_CHECK_CONCURRENCY", env.VERIFLIER_CHECK_CONCURRENCY);
  }

  if (!port.trim()) throw new VeriflierConfigError("VERIFLIER_PORT is not set");
  if (!token) {
    throw new VeriflierConfigError("VERIFLIER_AUTH_TOKEN is not set: refusing to start with an empty token");
  }
  const portNumber = Number(port.trim());
  // 0 asks the OS for a free port (tests).
  if (!/^\d+$/.test(port.trim()) || portNumber > 65535) {
    throw new VeriflierConfigError(`port: expected a number from 1 to 65535, got ${JSON.stringify(port)}`);
  }
  return {
    authToken: token,
    port: portNumber,
    bindAddr: bindAddr.trim(),
    checkConcurrency: concurrency ?? DEFAULT_CHECK_CONCURRENCY,
    source: text !== null ? path : null,
  };
}

function parseFile(path: string, text: string): FileConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new VeriflierConfigError(`${path}: invalid JSON: ${errorText(err)}`);
  }
  if (!Value.Check(FileSchema, raw)) {
    const first = Value.Errors(FileSchema, raw).First();
    const field = first?.path.replace(/^\//, "") || "(root)";
    throw new VeriflierConfigError(
      `${path}: ${field}: ${first?.message ?? "invalid"}, got ${JSON.stringify(first?.value)}`,
    );
  }
  return raw;
}

function portText(v: string | number | undefined): string {
  return v === undefined ? "" : String(v);
}

function positiveInt(name: string, raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < 1) {
    throw new VeriflierConfigError(`${name}: expected a positive integer, got ${JSON.stringify(raw)}`);
  }
  return n;
}

import { UsageError } from "../usage-error.ts";

type Env = Record<string, string | undefined>;

export const DEFAULT_CONFIG_PATH = "config/config.json";

/**
 * Where the config file is: `--config PATH` or `--config=PATH` (one or two dashes, anywhere
 * before a `--`; the last one wins), else JETMON_CONFIG, else config/config.json. Empty env
 * values count as unset. Returns argv without the flag.
 */
export function resolveConfigPath(
  argv: readonly string[],
  env: Env,
): { path: string; argv: string[]; fromFlag: boolean } {
  const rest: string[] = [];
  let path: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === undefined) continue;
    if (arg === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    const m = arg.match(/^--?config(=(.*))?$/);
    if (!m) {
      rest.push(arg);
      continue;
    }
    const value = m[1] !== undefined ? m[2] : argv[++i];
    if (value === undefined || value === "") throw new UsageError("flag needs an argument: --config");
    path = value;
  }
  return {
    path: path ?? (env.JETMON_CONFIG || DEFAULT_CONFIG_PATH),
    argv: rest,
    fromFlag: path !== undefined,
  };
}

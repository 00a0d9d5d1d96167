/**
 * A flag parser with Go `flag` package semantics (docs/reference/cli-rollout-api.md §0.1), so scripts
 * written for the Go jetmon2 keep working: `-x` and `--x` are the same flag, values come as
 * `--x=v` or `--x v`, booleans only as `--x` or `--x=true|false`, parsing stops at the first
 * positional argument or after `--`.
 */
import { goQuote } from "../go-format.ts";

export type FlagKind = "string" | "int" | "bool";
export type FlagValue = string | number | boolean;

export interface FlagDef {
  name: string;
  kind: FlagKind;
  default: FlagValue;
  help: string;
}

/** A parse error, worded as Go's flag package words it. */
export class FlagError extends Error {}

/** Thrown for `-h`, `-help`, `--help` when the flag set does not define them itself. */
export class HelpRequested extends Error {}

export interface ParsedFlags {
  /** Every defined flag: the parsed value, else its default. */
  values: Map<string, FlagValue>;
  /** Flags that appeared on the command line. */
  given: Set<string>;
  positionals: string[];
}

export function parseFlags(defs: readonly FlagDef[], args: readonly string[]): ParsedFlags {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const values = new Map<string, FlagValue>(defs.map((d) => [d.name, d.default]));
  const given = new Set<string>();
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i];
    if (arg === undefined || arg.length < 2 || arg[0] !== "-") break;
    let body = arg.slice(1);
    if (body[0] === "-") {
      body = body.slice(1);
      if (body.length === 0) {
        i++; // "--" ends the flags and is consumed
        break;
      }
    }
    if (body.length === 0 || body[0] === "-" || body[0] === "=")
      throw new FlagError(`bad flag syntax: ${arg}`);
    const eq = body.indexOf("=");
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const def = byName.get(name);
    if (!def) {
      if (name === "h" || name === "help") throw new HelpRequested();
      throw new FlagError(`flag provided but not defined: -${name}`);
    }
    let raw: string;
    if (eq >= 0) {
      raw = body.slice(eq + 1);
    } else if (def.kind === "bool") {
      raw = "true";
    } else {
      const next = args[i + 1];
      if (next === undefined) throw new FlagError(`flag needs an argument: -${name}`);
      raw = next;
      i++;
    }
    values.set(name, convert(def, raw));
    given.add(name);
  }
  return { values, given, positionals: args.slice(i) };
}

function convert(def: FlagDef, raw: string): FlagValue {
  if (def.kind === "string") return raw;
  if (def.kind === "bool") {
    const b = parseGoBool(raw);
    if (b === undefined)
      throw new FlagError(`invalid boolean value ${goQuote(raw)} for -${def.name}: parse error`);
    return b;
  }
  const n = parseGoInt(raw);
  if (typeof n === "string") throw new FlagError(`invalid value ${goQuote(raw)} for flag -${def.name}: ${n}`);
  return n;
}

/** strconv.ParseBool. */
export function parseGoBool(s: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return undefined;
}

/**
 * strconv.ParseInt(s, 0, 64) as the flag package calls it: optional sign, base prefixes
 * 0x/0o/0b, a bare leading 0 for octal, underscores between digits. Returns the number or
 * the error phrase ("parse error" / "value out of range").
 */
export function parseGoInt(s: string): number | string {
  const [, sign = "", body = ""] = /^([+-]?)(.*)$/.exec(s) ?? [];
  const forms: [RegExp, string][] = [
    [/^0[xX](_?[0-9a-fA-F])+$/, "0x"],
    [/^0[oO](_?[0-7])+$/, "0o"],
    [/^0[bB](_?[01])+$/, "0b"],
    [/^0(_?[0-7])+$/, "0o"],
    [/^([1-9](_?[0-9])*|0)$/, ""],
  ];
  const form = forms.find(([re]) => re.test(body));
  if (!form) return "parse error";
  const digits = body.replaceAll("_", "").replace(/^0[xXoObB]?(?=.)/, form[1] === "" ? "0" : "");
  let value = BigInt(`${form[1]}${digits}`);
  if (sign === "-") value = -value;
  if (value > 9223372036854775807n || value < -9223372036854775808n) return "value out of range";
  // Beyond 2^53 a JS number would silently round; no bucket, port or limit gets near it.
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
    return "value out of range";
  return Number(value);
}

/** The defaults listing Go prints after "Usage of <name>:". */
export function flagDefaults(defs: readonly FlagDef[]): string[] {
  const lines: string[] = [];
  for (const d of [...defs].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const type = d.kind === "bool" ? "" : d.kind === "int" ? " int" : " string";
    lines.push(`  -${d.name}${type}`);
    const zero = d.kind === "bool" ? false : d.kind === "int" ? 0 : "";
    const dflt =
      d.default === zero
        ? ""
        : d.kind === "string"
          ? ` (default ${goQuote(String(d.default))})`
          : ` (default ${d.default})`;
    lines.push(`    \t${d.help}${dflt}`);
  }
  return lines;
}

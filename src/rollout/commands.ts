/**
 * Every `jetmon2 rollout <gate>`: its name, flags and usage line. The dashboard's Operator
 * Commands and docs/rollout.md print commands that must parse against this list (a test
 * proves it), so this is the one place a gate's flags are declared.
 */
import { UsageError } from "../usage-error.ts";
import {
  type FlagDef,
  FlagError,
  flagDefaults,
  HelpRequested,
  type ParsedFlags,
  parseFlags,
} from "./flags.ts";

export const GATE_NAMES = [
  "state-report",
  "host-preflight",
  "static-plan-check",
  "pinned-check",
  "cutover-check",
  "activity-check",
  "rollback-check",
  "dynamic-check",
  "projection-drift",
] as const;
export type GateName = (typeof GATE_NAMES)[number];

export interface GateSpec {
  name: GateName;
  usage: string;
  flags: readonly FlagDef[];
}

const str = (name: string, dflt: string, help: string): FlagDef => ({
  name,
  kind: "string",
  default: dflt,
  help,
});
const int = (name: string, dflt: number, help: string): FlagDef => ({
  name,
  kind: "int",
  default: dflt,
  help,
});
const bool = (name: string, help: string): FlagDef => ({ name, kind: "bool", default: false, help });

const output = str("output", "text", "output format: text or json");
const since = str("since", "15m", "activity cutoff as a duration like 15m or an RFC3339 timestamp");
const bucketMin = int("bucket-min", -1, "inclusive bucket minimum; -1 means the pinned range, else 0");
const bucketMax = int(
  "bucket-max",
  -1,
  "inclusive bucket maximum; -1 means the pinned range, else BUCKET_TOTAL-1",
);
const requireAll = bool("require-all", "fail unless every active site in range was checked since the cutoff");
const host = (help: string) => str("host", "", help);

export const GATES: readonly GateSpec[] = [
  {
    name: "state-report",
    usage: "usage: jetmon2 rollout state-report [--since=15m] [--output=text|json]",
    flags: [since, output],
  },
  {
    name: "host-preflight",
    usage:
      "usage: jetmon2 rollout host-preflight --file=<ranges.csv> --host=<host> --bucket-min=N --bucket-max=N [--runtime-host=<v2-host>] [--bucket-total=N] [--service=jetmon2] [--systemd-unit=<path>] [--skip-systemd] [--output=text|json]",
    flags: [
      str("file", "", "static bucket plan CSV (host,bucket_min,bucket_max); not stdin"),
      host("v1 host id as named in the static plan"),
      str("runtime-host", "", "v2 host id that will run jetmon2 (default --host)"),
      int("bucket-min", -1, "bucket minimum this host owns in the plan"),
      int("bucket-max", -1, "bucket maximum this host owns in the plan"),
      int("bucket-total", 0, "total bucket count (default BUCKET_TOTAL from config)"),
      str("service", "jetmon2", "systemd service name"),
      str("systemd-unit", "", "systemd unit path to verify (default /etc/systemd/system/<service>.service)"),
      bool("skip-systemd", "skip systemd-analyze verify"),
      output,
    ],
  },
  {
    name: "static-plan-check",
    usage:
      "usage: jetmon2 rollout static-plan-check --file=<ranges.csv> [--bucket-total=N] [--host=<host> --bucket-min=N --bucket-max=N] [--output=text|json]",
    flags: [
      str("file", "", "CSV file with host,bucket_min,bucket_max rows (use - for stdin)"),
      int("bucket-total", 0, "total bucket count (default BUCKET_TOTAL from config)"),
      host("optional host id that must appear in the plan"),
      int("bucket-min", -1, "expected bucket minimum for --host"),
      int("bucket-max", -1, "expected bucket maximum for --host"),
      output,
    ],
  },
  {
    name: "pinned-check",
    usage: "usage: jetmon2 rollout pinned-check [--host=<host_id>] [--output=text|json]",
    flags: [host("host id to check (default current hostname)"), output],
  },
  {
    name: "cutover-check",
    usage:
      "usage: jetmon2 rollout cutover-check [--host=<host_id>] [--bucket-min=N --bucket-max=N] [--since=15m] [--require-all] [--limit=N] [--status-port=N] [--skip-status] [--output=text|json]",
    flags: [
      host("host id that must not own dynamic buckets (default current hostname)"),
      bucketMin,
      bucketMax,
      since,
      requireAll,
      int("limit", 100, "maximum drift rows to print"),
      int("status-port", -1, "dashboard port to probe (default DASHBOARD_PORT from config; 0 skips)"),
      bool("skip-status", "skip the dashboard /api/state probe"),
      output,
    ],
  },
  {
    name: "activity-check",
    usage:
      "usage: jetmon2 rollout activity-check [--bucket-min=N --bucket-max=N] [--since=15m] [--require-all] [--output=text|json]",
    flags: [bucketMin, bucketMax, since, requireAll, output],
  },
  {
    name: "rollback-check",
    usage:
      "usage: jetmon2 rollout rollback-check [--host=<host_id>] [--bucket-min=N --bucket-max=N] [--output=text|json]",
    flags: [
      host("v2 host id that must not own dynamic buckets (default current hostname)"),
      int("bucket-min", -1, "inclusive bucket minimum; -1 means the pinned range"),
      int("bucket-max", -1, "inclusive bucket maximum; -1 means the pinned range"),
      output,
    ],
  },
  {
    name: "dynamic-check",
    usage: "usage: jetmon2 rollout dynamic-check [--output=text|json]",
    flags: [output],
  },
  {
    name: "projection-drift",
    usage:
      "usage: jetmon2 rollout projection-drift [--bucket-min=N --bucket-max=N] [--limit=N] [--repair --yes] [--output=text|json]",
    flags: [
      bucketMin,
      bucketMax,
      int("limit", 50, "maximum drift rows to print"),
      bool("repair", "rewrite site_status of drifted sites from their open events (needs --yes)"),
      bool("yes", "confirm --repair; without it nothing is written"),
      output,
    ],
  },
];

export const ROLLOUT_USAGE = `usage: jetmon2 rollout <${GATE_NAMES.join("|")}> [args]`;

export function gateSpec(name: string): GateSpec | undefined {
  return GATES.find((g) => g.name === name);
}

/** What `-h` prints: the usage line, then Go's flag defaults listing. */
export function gateHelp(spec: GateSpec): string {
  return [spec.usage, "", `Usage of rollout ${spec.name}:`, ...flagDefaults(spec.flags)].join("\n");
}

/** Typed access to a gate's parsed flags. */
export class GateFlags {
  constructor(private readonly parsed: ParsedFlags) {}
  str(name: string): string {
    return this.value(name) as string;
  }
  int(name: string): number {
    return this.value(name) as number;
  }
  bool(name: string): boolean {
    return this.value(name) as boolean;
  }
  given(name: string): boolean {
    return this.parsed.given.has(name);
  }
  get positionals(): string[] {
    return this.parsed.positionals;
  }
  private value(name: string) {
    const value = this.parsed.values.get(name);
    if (value === undefined) throw new Error(`flag ${name} is not defined for this gate`);
    return value;
  }
}

/**
 * Parses a gate's arguments. A parse error is a UsageError carrying the error and the
 * gate's usage (exit 2). `-h` returns "help".
 */
export function parseGateArgs(spec: GateSpec, args: readonly string[]): GateFlags | "help" {
  try {
    return new GateFlags(parseFlags(spec.flags, args));
  } catch (err) {
    if (err instanceof HelpRequested) return "help";
    if (err instanceof FlagError) throw new UsageError(`${err.message}\n${gateHelp(spec)}`);
    throw err;
  }
}

/** Splits a command line as a POSIX shell would for the commands we print (quotes, no expansion). */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in ${line}`);
      cur += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === "\\" && j + 1 < line.length) j++;
        cur += line[j];
      }
      if (j >= line.length) throw new Error(`unterminated " in ${line}`);
      i = j;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/**
 * Parses a printed command such as `./jetmon2 rollout cutover-check --since=15m`: the
 * executable (any path ending in jetmon2), optional `--config PATH`, `rollout`, a known gate,
 * flags the gate defines, no positionals. Throws an Error that says what does not parse.
 */
export function parseRolloutCommandLine(line: string): { gate: GateName; flags: GateFlags } {
  const words = splitCommandLine(line.trim());
  const exe = words.shift();
  if (!exe || !/(^|\/)jetmon2$/.test(exe)) throw new Error(`not a jetmon2 command: ${line}`);
  while (words[0] === "--config" || words[0] === "-config" || /^--?config=/.test(words[0] ?? "")) {
    words.splice(0, words[0]?.includes("=") ? 1 : 2);
  }
  if (words.shift() !== "rollout") throw new Error(`not a rollout command: ${line}`);
  const name = words.shift() ?? "";
  const spec = gateSpec(name);
  if (!spec) throw new Error(`unknown rollout gate ${JSON.stringify(name)} in: ${line}`);
  const flags = parseGateArgs(spec, words);
  if (flags === "help") throw new Error(`help flag in: ${line}`);
  if (flags.positionals.length > 0)
    throw new Error(`positional arguments ${flags.positionals.join(" ")} in: ${line}`);
  return { gate: spec.name, flags };
}

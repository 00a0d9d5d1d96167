/**
 * What `host-preflight` expects of an installed jetmon2 unit: what the units in deploy/systemd/
 * rely on for a clean drain, a truthful reload and the logs/stats folders. Pure: the gate reads
 * the files (the unit, then its drop-ins in name order) and passes their text in.
 */
import { isAbsolute, resolve } from "node:path";
import { resolveConfigPath } from "../cli/config-path.ts";
import { UsageError } from "../usage-error.ts";

/** The monitor's drain gives up after 30 s; systemd must wait longer before SIGKILL. */
const DRAIN_SEC = 30;
/** Signals the modes drain on (src/cli/process.ts). */
const DRAIN_SIGNALS = new Set(["SIGTERM", "SIGINT", "TERM", "INT"]);

/** The `[Service]` keys, last assignment wins; an empty assignment resets (as systemd). */
export function serviceKeys(texts: readonly string[]): Map<string, string> {
  const keys = new Map<string, string>();
  for (const text of texts) {
    let section = "";
    for (const raw of text.replace(/\\\r?\n/g, " ").split(/\r?\n/)) {
      const line = raw.trim();
      if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
      const header = /^\[(.+)\]$/.exec(line);
      if (header) {
        section = header[1] ?? "";
        continue;
      }
      if (section !== "Service") continue;
      const eq = line.indexOf("=");
      if (eq < 0) continue;
      const key = line.slice(0, eq).trim();
      const value = line.slice(eq + 1).trim();
      if (value === "") keys.delete(key);
      else keys.set(key, value);
    }
  }
  return keys;
}

/** systemd time spans as units use them: `35s`, `1min 30s`, `90`, `infinity`. Seconds, or NaN. */
export function timeSpanSec(text: string): number {
  if (text === "infinity") return Number.POSITIVE_INFINITY;
  const units: Record<string, number> = {
    "": 1,
    ms: 0.001,
    s: 1,
    sec: 1,
    second: 1,
    seconds: 1,
    m: 60,
    min: 60,
    minute: 60,
    minutes: 60,
    h: 3600,
    hr: 3600,
    hour: 3600,
    hours: 3600,
  };
  let total = 0;
  const parts = text.trim().split(/\s+/);
  for (const part of parts) {
    const m = /^(\d+(?:\.\d+)?)([a-z]*)$/.exec(part);
    const factor = m ? units[m[2] ?? ""] : undefined;
    if (!m || factor === undefined) return Number.NaN;
    total += Number(m[1]) * factor;
  }
  return total;
}

/** Splits an Exec line on whitespace, dropping systemd's `-@:+!` prefixes and simple quotes. */
function execArgv(line: string): string[] {
  const argv = (line.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((a) => a.replace(/^(["'])(.*)\1$/, "$2"));
  if (argv[0] !== undefined) argv[0] = argv[0].replace(/^[-@:+!]+/, "");
  return argv;
}

const isJetmon2 = (exe: string | undefined) =>
  exe?.slice(exe.lastIndexOf("/") + 1).startsWith("jetmon2") === true;

export interface UnitFacts {
  mode: string;
  config: string;
  workingDirectory: string;
  killSignal: string;
  timeoutStopSec: string;
  execReload: string;
}

/**
 * The unit's facts, or the first expectation it misses (the text an operator reads). A unit
 * whose ExecStart is not a jetmon2 is reported as such. `gateConfig`, when given, is the config
 * file this gate read: a monitor unit must start with the same one.
 */
export function checkUnit(
  unit: string,
  texts: readonly string[],
  gateConfig?: string,
): { facts: UnitFacts } | { problem: string } {
  const keys = serviceKeys(texts);
  const exec = execArgv(keys.get("ExecStart") ?? "");
  if (!isJetmon2(exec[0])) {
    return {
      problem: `${unit}: ExecStart does not run jetmon2 (${keys.get("ExecStart") ?? "no ExecStart"})`,
    };
  }
  let resolved: ReturnType<typeof resolveConfigPath>;
  try {
    resolved = resolveConfigPath(exec.slice(1), {});
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return { problem: `${unit}: ExecStart: ${err.message}` };
  }
  const [first, second] = resolved.argv;
  const mode = first?.startsWith("--mode=")
    ? first.slice("--mode=".length)
    : first === "--mode"
      ? (second ?? "")
      : "monitor";
  if (!resolved.fromFlag) {
    return {
      problem: `${unit}: ExecStart has no --config; jetmon2 would read ${resolved.path} relative to WorkingDirectory (the shipped unit passes --config /etc/jetmon2/config.json)`,
    };
  }
  const cwd = keys.get("WorkingDirectory")?.replace(/^-/, "") ?? "";
  if (cwd === "" || (!isAbsolute(cwd) && cwd !== "~")) {
    return {
      problem: `${unit}: WorkingDirectory is not set to an absolute path; LOG_DIR and STATS_DIR resolve under it (the shipped unit uses /var/lib/jetmon2)`,
    };
  }
  if (mode === "monitor" && gateConfig !== undefined) {
    const base = isAbsolute(resolved.path) ? resolved.path : resolve(cwd, resolved.path);
    if (resolve(base) !== resolve(gateConfig)) {
      return {
        problem: `${unit}: the monitor starts with --config ${resolved.path}, but this gate read ${gateConfig}; run it with --config ${resolved.path}`,
      };
    }
  }
  const killSignal = keys.get("KillSignal") ?? "SIGTERM";
  if (!DRAIN_SIGNALS.has(killSignal.toUpperCase())) {
    return {
      problem: `${unit}: KillSignal=${killSignal} does not drain; use SIGTERM (jetmon2 drains on SIGTERM and SIGINT)`,
    };
  }
  const timeout = keys.get("TimeoutStopSec") ?? keys.get("TimeoutSec");
  const timeoutSec = timeout === undefined ? 90 : timeSpanSec(timeout);
  if (!(timeoutSec > DRAIN_SEC)) {
    return {
      problem: `${unit}: TimeoutStopSec=${timeout} is not longer than the ${DRAIN_SEC} s drain; systemd would kill jetmon2 before it writes stopped (the shipped unit uses 35s)`,
    };
  }
  const reload = keys.get("ExecReload") ?? "";
  const reloadArgv = execArgv(reload);
  const viaJetmon2 = isJetmon2(reloadArgv[0]) && reloadArgv.includes("reload");
  if (mode === "monitor" && !viaJetmon2) {
    return {
      problem: `${unit}: ExecReload=${reload || "(none)"}; a monitor reloads through \`jetmon2 reload\`, which fails the reload when the new config is rejected (the shipped unit: ExecReload=/opt/jetmon2/jetmon2 reload --wait=10s)`,
    };
  }
  if (mode === "deliverer" && !viaJetmon2 && !/\bkill\b.*-(HUP|SIGHUP|s HUP)\b/.test(reload)) {
    return {
      problem: `${unit}: ExecReload=${reload || "(none)"}; the deliverer reloads on SIGHUP (the shipped unit: ExecReload=/bin/kill -HUP $MAINPID)`,
    };
  }
  return {
    facts: {
      mode,
      config: resolved.path,
      workingDirectory: cwd,
      killSignal,
      timeoutStopSec: timeout ?? "default",
      execReload: viaJetmon2 ? "jetmon2-reload" : reload ? "kill-HUP" : "none",
    },
  };
}

/** The one-line PASS text for a unit that meets every expectation. */
export function unitFactsLine(unit: string, f: UnitFacts): string {
  return `systemd_unit_expectations=${unit} mode=${f.mode} config=${f.config} working_directory=${f.workingDirectory} kill_signal=${f.killSignal} timeout_stop_sec=${f.timeoutStopSec.replace(/\s+/g, "")} exec_reload=${f.execReload}`;
}

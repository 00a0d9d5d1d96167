import { loadConfig } from "../config/load.ts";
import {
  inspectPidFile,
  isJetmon2CommandLine,
  type PidFileStatus,
  pidFilePath,
  processAlive,
  processCommandLine,
} from "../monitor/pidfile.ts";
import { readReloadOutcome, reloadOutcomePath } from "../monitor/reload-outcome.ts";
import { UsageError } from "../usage-error.ts";
import type { CliContext, Command } from "./context.ts";

/**
 * `status`, `drain` and `reload`: talk to the running monitor through its pid file and
 * dashboard. Unlike Go jetmon2 they check the pid file names a live process before
 * signalling, and report a process that did not react.
 */

export interface ControlDeps {
  alive?: (pid: number) => boolean;
  kill?: (pid: number, signal: NodeJS.Signals) => void;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
  /** The command line of a pid (processCommandLine); tests stand in for /proc. */
  commandLine?: (pid: number) => string[] | null;
}

function parseFlags(
  ctx: CliContext,
  known: Record<string, "bool" | "value">,
): Record<string, string | boolean> {
  const flags: Record<string, string | boolean> = {};
  const args = [...ctx.args];
  while (args.length > 0) {
    const a = args.shift();
    if (a === undefined) break;
    const m = /^--?([a-z-]+)(?:=(.*))?$/.exec(a);
    const [, name = "", inline] = m ?? [];
    if (!m || !(name in known)) throw new UsageError(`unknown argument "${a}"`);
    if (known[name] === "bool") flags[name] = inline === undefined ? true : inline === "true";
    else {
      const v = inline ?? args.shift();
      if (v === undefined) throw new UsageError(`flag needs an argument: --${name}`);
      flags[name] = v;
    }
  }
  return flags;
}

/** Go-style durations limited to what an operator types here: 500ms, 10s, 2m. */
function parseWait(text: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(text);
  if (!m) throw new UsageError(`invalid value "${text}" for flag --wait: want a duration like 35s`);
  return Number(m[1]) * (m[2] === "ms" ? 1 : m[2] === "s" ? 1000 : 60_000);
}

/** Null when the live pid is a jetmon2, else what it is instead (for the operator's line). */
function notJetmon2(pid: number, deps: ControlDeps): string | null {
  // A recycled pid may now be anything (a `sleep`, a shell): never signal what is not a jetmon2.
  const argv = (deps.commandLine ?? processCommandLine)(pid);
  if (isJetmon2CommandLine(argv)) return null;
  return argv?.length ? `"${argv.join(" ").slice(0, 80)}"` : "a process whose command line cannot be read";
}

function liveTarget(ctx: CliContext, cmd: string, deps: ControlDeps): { pid: number } | { code: number } {
  const status: PidFileStatus = inspectPidFile(pidFilePath(ctx.env), deps.alive ?? processAlive);
  if (status.state !== "running") {
    ctx.err(`${cmd}: ${status.message}`);
    return { code: 1 };
  }
  const what = notJetmon2(status.pid, deps);
  if (what !== null) {
    ctx.err(
      `${cmd}: pid ${status.pid} in ${status.path} is ${what}, not jetmon2; refusing to signal it (remove the stale pid file)`,
    );
    return { code: 1 };
  }
  return { pid: status.pid };
}

/** The pid file as `status` reports it: a live pid that is not a jetmon2 is said to be so. */
function pidReport(ctx: CliContext, deps: ControlDeps): { running: boolean; message: string } {
  const pid = inspectPidFile(pidFilePath(ctx.env), deps.alive ?? processAlive);
  if (pid.state !== "running") return { running: false, message: pid.message };
  const what = notJetmon2(pid.pid, deps);
  if (what === null) return { running: true, message: pid.message };
  return {
    running: false,
    message: `pid ${pid.pid} in ${pid.path} is ${what}, not jetmon2 (remove the stale pid file)`,
  };
}

function sendSignal(
  ctx: CliContext,
  cmd: string,
  pid: number,
  signal: NodeJS.Signals,
  deps: ControlDeps,
): boolean {
  try {
    (deps.kill ?? ((p, s) => process.kill(p, s)))(pid, signal);
    return true;
  } catch (err) {
    ctx.err(`${cmd}: signal: ${(err as Error).message}`);
    return false;
  }
}

export function makeDrainCommand(deps: ControlDeps = {}): Command {
  return async (ctx) => {
    const flags = parseFlags(ctx, { wait: "value", "no-wait": "bool" });
    const waitMs = parseWait((flags.wait as string | undefined) ?? "35s");
    const target = liveTarget(ctx, "drain", deps);
    if ("code" in target) return target.code;
    if (!sendSignal(ctx, "drain", target.pid, "SIGINT", deps)) return 1;
    ctx.out(`SIGINT sent to pid ${target.pid} — jetmon2 will drain and exit`);
    if (flags["no-wait"] === true) return 0;
    const alive = deps.alive ?? processAlive;
    const sleep = deps.sleep ?? ((ms: number) => Bun.sleep(ms));
    for (let waited = 0; waited < waitMs; waited += 100) {
      if (!alive(target.pid)) {
        ctx.out(`pid ${target.pid} exited`);
        return 0;
      }
      await sleep(100);
    }
    if (!alive(target.pid)) {
      ctx.out(`pid ${target.pid} exited`);
      return 0;
    }
    ctx.err(`drain: pid ${target.pid} still running after ${waitMs / 1000}s; check its log for "drain"`);
    return 1;
  };
}

/**
 * `reload [--wait=10s]`: SIGHUP, then wait for the process's own account of the reload
 * (src/monitor/reload-outcome.ts). Exit 0 when accepted, 1 when rejected, when the process
 * died of the signal, or when it gave no answer in time.
 */
export function makeReloadCommand(deps: ControlDeps = {}): Command {
  return async (ctx) => {
    const flags = parseFlags(ctx, { wait: "value" });
    const waitMs = parseWait((flags.wait as string | undefined) ?? "10s");
    const target = liveTarget(ctx, "reload", deps);
    if ("code" in target) return target.code;
    const outcomePath = reloadOutcomePath(pidFilePath(ctx.env));
    const before = readReloadOutcome(outcomePath);
    const seenSeq = before?.pid === target.pid ? before.seq : 0;
    if (!sendSignal(ctx, "reload", target.pid, "SIGHUP", deps)) return 1;
    ctx.out(`SIGHUP sent to pid ${target.pid}`);
    const alive = deps.alive ?? processAlive;
    const sleep = deps.sleep ?? ((ms: number) => Bun.sleep(ms));
    for (let waited = 0; ; waited += 100) {
      const o = readReloadOutcome(outcomePath);
      if (o && o.pid === target.pid && o.seq > seenSeq) {
        if (o.outcome === "rejected") {
          ctx.err(
            `reload: rejected by pid ${target.pid}: ${o.reason ?? "no reason given"}; the old config stays`,
          );
          return 1;
        }
        const changed = o.changed?.length ? o.changed.join(",") : "nothing";
        ctx.out(`reload: accepted by pid ${target.pid}; changed: ${changed}`);
        if (o.restart_required?.length) {
          ctx.out(`reload: restart needed to apply: ${o.restart_required.join(",")}`);
        }
        return 0;
      }
      // A process that does not handle SIGHUP dies of it: that is not a reload.
      if (!alive(target.pid)) {
        ctx.err(`reload: pid ${target.pid} exited after SIGHUP; it was not a running jetmon2 monitor`);
        return 1;
      }
      if (waited >= waitMs) break;
      await sleep(100);
    }
    ctx.err(
      `reload: pid ${target.pid} gave no reload outcome within ${waitMs / 1000}s (${outcomePath}); check its log for "config reload"`,
    );
    return 1;
  };
}

/** Where `status` finds the dashboard: DASHBOARD_HOST/DASHBOARD_BIND_ADDR/DASHBOARD_PORT env, else the config file. */
export function dashboardTarget(ctx: CliContext): { host: string; port: number } {
  let host = ctx.env.DASHBOARD_HOST || ctx.env.DASHBOARD_BIND_ADDR || "";
  let port = ctx.env.DASHBOARD_PORT ? Number(ctx.env.DASHBOARD_PORT) : Number.NaN;
  if (!host || Number.isNaN(port)) {
    try {
      const { config } = loadConfig(ctx.configPath, ctx.env);
      host ||= config.DASHBOARD_BIND_ADDR;
      if (Number.isNaN(port)) port = config.DASHBOARD_PORT;
    } catch {
      // No readable config: fall back to the defaults below.
    }
  }
  if (!host || host === "0.0.0.0" || host === "::" || host === "[::]") host = "localhost";
  if (Number.isNaN(port)) port = 8080;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new UsageError(`DASHBOARD_PORT: expected a port number 1-65535, got "${ctx.env.DASHBOARD_PORT}"`);
  }
  return { host: host.includes(":") && !host.startsWith("[") ? `[${host}]` : host, port };
}

/** `status` exit codes: scripts and load balancers read the verdict from them. */
export const STATUS_EXIT = { green: 0, amber: 1, red: 2, unreachable: 3 } as const;

async function getJson(doFetch: typeof fetch, url: string): Promise<{ text: string; body: unknown }> {
  const res = await doFetch(url, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`http ${res.status}: ${text.trim()}`);
  return { text, body: JSON.parse(text) };
}

/**
 * `status [--output=text|json]`: prints the running monitor's /api/state (text, as Go) or its
 * /api/host document (json), and exits 0 green, 1 amber, 2 red, 3 not running or unreachable.
 * In text mode the verdict and its issues follow on stderr, so stdout stays one JSON body.
 */
export function makeStatusCommand(deps: ControlDeps = {}): Command {
  return async (ctx) => {
    const flags = parseFlags(ctx, { output: "value" });
    const output = (flags.output as string | undefined) ?? "text";
    if (output !== "text" && output !== "json") {
      throw new UsageError(`invalid value "${output}" for flag --output: want text or json`);
    }
    const { host, port } = dashboardTarget(ctx);
    const base = `http://${host}:${port}`;
    const pid = pidReport(ctx, deps);
    const doFetch = deps.fetch ?? fetch;
    let hostDoc: { text: string; body: unknown };
    let stateText = "";
    try {
      hostDoc = await getJson(doFetch, `${base}/api/host`);
      if (output === "text") stateText = (await getJson(doFetch, `${base}/api/state`)).text;
    } catch (err) {
      ctx.err(`status: ${base}: ${(err as Error).message}`);
      ctx.err(`status: ${pid.message}`);
      return STATUS_EXIT.unreachable;
    }
    const summary = (hostDoc.body as { summary?: { status?: unknown; message?: unknown; issues?: unknown } })
      ?.summary;
    const verdict = summary?.status;
    if (verdict !== "green" && verdict !== "amber" && verdict !== "red") {
      ctx.err(`status: ${base}/api/host: no summary status in the answer (is this a jetmon2 dashboard?)`);
      return STATUS_EXIT.unreachable;
    }
    ctx.out(output === "json" ? hostDoc.text : stateText);
    if (output === "text") {
      ctx.err(`status: ${verdict}: ${String(summary?.message ?? "")}`);
      for (const issue of Array.isArray(summary?.issues) ? summary.issues : []) ctx.err(`status:   ${issue}`);
    }
    if (!pid.running) ctx.err(`status: warning: ${pid.message}`);
    return STATUS_EXIT[verdict];
  };
}

export const drainCommand = makeDrainCommand();
export const reloadCommand = makeReloadCommand();
export const statusCommand = makeStatusCommand();

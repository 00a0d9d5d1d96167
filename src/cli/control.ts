import { loadConfig } from "../config/load.ts";
import { inspectPidFile, type PidFileStatus, pidFilePath, processAlive } from "../monitor/pidfile.ts";
import { type CliContext, type Command, UsageError } from "./context.ts";

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
}

function parseFlags(
  ctx: CliContext,
  known: Record<string, "bool" | "duration">,
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

function liveTarget(ctx: CliContext, cmd: string, deps: ControlDeps): { pid: number } | { code: number } {
  const status: PidFileStatus = inspectPidFile(pidFilePath(ctx.env), deps.alive ?? processAlive);
  if (status.state !== "running") {
    ctx.err(`${cmd}: ${status.message}`);
    return { code: 1 };
  }
  return { pid: status.pid };
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
    const flags = parseFlags(ctx, { wait: "duration", "no-wait": "bool" });
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

export function makeReloadCommand(deps: ControlDeps = {}): Command {
  return async (ctx) => {
    parseFlags(ctx, {});
    const target = liveTarget(ctx, "reload", deps);
    if ("code" in target) return target.code;
    if (!sendSignal(ctx, "reload", target.pid, "SIGHUP", deps)) return 1;
    ctx.out(`SIGHUP sent to pid ${target.pid}`);
    // A process that does not handle SIGHUP dies of it: that is not a reload.
    await (deps.sleep ?? ((ms: number) => Bun.sleep(ms)))(500);
    if (!(deps.alive ?? processAlive)(target.pid)) {
      ctx.err(`reload: pid ${target.pid} exited after SIGHUP; it was not a running jetmon2 monitor`);
      return 1;
    }
    return 0;
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

export function makeStatusCommand(deps: ControlDeps = {}): Command {
  return async (ctx) => {
    parseFlags(ctx, {});
    const { host, port } = dashboardTarget(ctx);
    const url = `http://${host}:${port}/api/state`;
    const pid = inspectPidFile(pidFilePath(ctx.env), deps.alive ?? processAlive);
    try {
      const res = await (deps.fetch ?? fetch)(url, { signal: AbortSignal.timeout(5000) });
      const body = await res.text();
      if (res.status >= 400) throw new Error(`http ${res.status}: ${body}`);
      ctx.out(body);
      if (pid.state !== "running") ctx.err(`status: warning: ${pid.message}`);
      return 0;
    } catch (err) {
      ctx.err(`status: ${url}: ${(err as Error).message}`);
      ctx.err(`status: ${pid.message}`);
      return 1;
    }
  };
}

export const drainCommand = makeDrainCommand();
export const reloadCommand = makeReloadCommand();
export const statusCommand = makeStatusCommand();

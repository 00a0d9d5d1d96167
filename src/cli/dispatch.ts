import { resolveConfigPath } from "../config/config-path.ts";
import { UsageError } from "../usage-error.ts";
import { type CommandEntry, MODES, SUBCOMMANDS, usage } from "./commands.ts";
import type { CliContext, Command } from "./context.ts";

/** Maps argv (without the executable) to one command. Throws UsageError on anything unknown. */
export async function resolveCommand(
  argv: string[],
  io: { env: Record<string, string | undefined>; out: (l: string) => void; err: (l: string) => void },
): Promise<{ command: Command; ctx: CliContext; name: string; entry: CommandEntry } | { help: true }> {
  const { path, argv: rest, fromFlag } = resolveConfigPath(argv, io.env);
  const ctx = (args: string[]): CliContext => ({
    args,
    configPath: path,
    configFromFlag: fromFlag,
    env: io.env,
    out: io.out,
    err: io.err,
  });
  const first = rest[0];
  if (first === "--help" || first === "-h" || first === "help") return { help: true };
  if (first === undefined) {
    const m = known(MODES, "monitor");
    return { command: await m.load(), ctx: ctx([]), name: "monitor", entry: m };
  }
  if (first === "--version" || first === "-version") {
    const v = known(SUBCOMMANDS, "version");
    return { command: await v.load(), ctx: ctx(rest.slice(1)), name: "version", entry: v };
  }
  if (first === "--mode" || first.startsWith("--mode=") || first === "-mode" || first.startsWith("-mode=")) {
    const eq = first.indexOf("=");
    const mode = eq >= 0 ? first.slice(eq + 1) : rest[1];
    const args = rest.slice(eq >= 0 ? 1 : 2);
    if (mode === undefined || mode === "") throw new UsageError("flag needs an argument: --mode");
    const m = MODES[mode];
    if (!m) throw new UsageError(`unknown mode "${mode}" (want: ${Object.keys(MODES).join(", ")})`);
    return { command: await m.load(), ctx: ctx(args), name: mode, entry: m };
  }
  const sub = SUBCOMMANDS[first];
  if (!sub) {
    if (first.startsWith("-")) throw new UsageError(`unknown flag "${first}"`);
    throw new UsageError(`unknown subcommand "${first}"`);
  }
  return { command: await sub.load(), ctx: ctx(rest.slice(1)), name: first, entry: sub };
}

/** An entry the command tables must hold; a build without it is a bug, reported as one. */
function known<T>(table: Record<string, T>, name: string): T {
  const entry = table[name];
  if (entry === undefined) throw new Error(`jetmon2 has no "${name}" command`);
  return entry;
}

/** Runs argv to completion and returns the exit code; never exits the process itself. */
export async function run(
  argv: string[],
  io: { env: Record<string, string | undefined>; out: (l: string) => void; err: (l: string) => void },
): Promise<number> {
  let resolved: Awaited<ReturnType<typeof resolveCommand>>;
  try {
    resolved = await resolveCommand(argv, io);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`jetmon2: ${err.message}`);
    io.err(usage());
    return 2;
  }
  if ("help" in resolved) {
    io.out(usage());
    return 0;
  }
  // Every mode and subcommand answers --help/-h with its usage (exit 0) and does nothing else.
  const help = resolved.entry.help;
  if (help && wantsHelp(resolved.ctx.args)) {
    io.out(await help());
    return 0;
  }
  try {
    return await resolved.command(resolved.ctx);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    // The command's own message carries its usage when it has one; the global usage would bury it.
    io.err(`jetmon2 ${resolved.name}: ${err.message}`);
    if (!err.message.includes("\n")) io.err("Run 'jetmon2 --help' for usage.");
    return 2;
  }
}

/** `--help`, `-h` or `-help` anywhere before a `--`. */
function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === "--") return false;
    if (a === "--help" || a === "-h" || a === "-help") return true;
  }
  return false;
}

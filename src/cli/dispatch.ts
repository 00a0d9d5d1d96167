import { resolveConfigPath } from "../config/resolve.ts";
import { MODES, SUBCOMMANDS, usage } from "./commands.ts";
import { type CliContext, type Command, UsageError } from "./context.ts";

/** Maps argv (without the executable) to one command. Throws UsageError on anything unknown. */
export async function resolveCommand(
  argv: string[],
  io: { env: Record<string, string | undefined>; out: (l: string) => void; err: (l: string) => void },
): Promise<{ command: Command; ctx: CliContext; name: string } | { help: true }> {
  const { path, argv: rest } = resolveConfigPath(argv, io.env);
  const ctx = (args: string[]): CliContext => ({
    args,
    configPath: path,
    env: io.env,
    out: io.out,
    err: io.err,
  });
  const first = rest[0];
  if (first === "--help" || first === "-h" || first === "help") return { help: true };
  if (first === undefined) return { command: await loadMode("monitor"), ctx: ctx([]), name: "monitor" };
  if (first === "--mode" || first.startsWith("--mode=") || first === "-mode" || first.startsWith("-mode=")) {
    const eq = first.indexOf("=");
    const mode = eq >= 0 ? first.slice(eq + 1) : rest[1];
    const args = rest.slice(eq >= 0 ? 1 : 2);
    if (mode === undefined || mode === "") throw new UsageError("flag needs an argument: --mode");
    return { command: await loadMode(mode), ctx: ctx(args), name: mode };
  }
  const sub = SUBCOMMANDS[first];
  if (!sub) {
    if (first.startsWith("-")) throw new UsageError(`unknown flag "${first}"`);
    throw new UsageError(`unknown subcommand "${first}"`);
  }
  return { command: await sub.load(), ctx: ctx(rest.slice(1)), name: first };
}

/** A mode's command, loaded on demand; an unknown mode is a UsageError naming the known ones. */
async function loadMode(mode: string) {
  const m = MODES[mode];
  if (!m) throw new UsageError(`unknown mode "${mode}" (want: ${Object.keys(MODES).join(", ")})`);
  return m.load();
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

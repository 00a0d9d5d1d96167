/**
 * What every command receives. Commands never touch process.argv, process.env or
 * process.exit directly, so tests can run them in-process and read what they print.
 */
export interface CliContext {
  /** Arguments after the subcommand name (global flags such as --config already removed). */
  args: string[];
  /** Config file path resolved from --config, JETMON_CONFIG, else config/config.json. */
  configPath: string;
  /** True when configPath came from --config (the veriflier then reads that file). */
  configFromFlag?: boolean;
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** A command returns its exit code. */
export type Command = (ctx: CliContext) => Promise<number>;

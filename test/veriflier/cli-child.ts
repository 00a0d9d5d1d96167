/** Run by cli.test.ts: the real veriflier command with the process's env and signals. */
import { veriflierCommand } from "../../src/cli/veriflier.ts";

const code = await veriflierCommand({
  args: [],
  configPath: "",
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`exit ${code}\n`);
process.exit(code);

import { run } from "./cli/dispatch.ts";

const code = await run(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(line + "\n"),
  err: (line) => process.stderr.write(line + "\n"),
}).catch((err: unknown) => {
  process.stderr.write(`jetmon2: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
});
// mysql2 pools and timers can keep Bun alive after a command finishes (oven-sh/bun#11414).
process.exit(code);

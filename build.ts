/**
 * Compiles src/main.ts into one executable per platform:
 *   dist/jetmon2                  this machine
 *   dist/jetmon2-<os>-<arch>      linux-x64, linux-arm64, darwin-x64, darwin-arm64
 * Version, git commit and build date are baked in with --define.
 * `bun run build.ts --host-only` builds only dist/jetmon2 (what the tests use).
 */
import { $ } from "bun";
import pkg from "./package.json" with { type: "json" };

const TARGETS = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64"] as const;

async function gitCommit(): Promise<string> {
  const r = await $`git rev-parse --short=12 HEAD`.quiet().nothrow();
  return r.exitCode === 0 ? r.stdout.toString().trim() : "unknown";
}

export async function build(opts: { hostOnly?: boolean; outdir?: string } = {}): Promise<string[]> {
  const outdir = opts.outdir ?? "dist";
  const define = {
    JETMON_BUILD_VERSION: JSON.stringify(pkg.version),
    JETMON_BUILD_COMMIT: JSON.stringify(await gitCommit()),
    JETMON_BUILD_DATE: JSON.stringify(new Date().toISOString().replace(/\.\d+Z$/, "Z")),
  };
  const jobs: { outfile: string; target?: string }[] = [{ outfile: `${outdir}/jetmon2` }];
  if (!opts.hostOnly)
    for (const t of TARGETS) jobs.push({ outfile: `${outdir}/jetmon2-${t}`, target: `bun-${t}` });
  const built: string[] = [];
  for (const job of jobs) {
    const result = await Bun.build({
      entrypoints: ["src/main.ts"],
      compile: {
        ...(job.target ? { target: job.target as Bun.Build.CompileTarget } : {}),
        outfile: job.outfile,
        // An operator's binary must not change behaviour because of a stray .env or bunfig in its cwd.
        autoloadDotenv: false,
        autoloadBunfig: false,
      },
      minify: { whitespace: true, syntax: true, identifiers: false },
      sourcemap: "linked",
      define,
    });
    if (!result.success) {
      for (const log of result.logs) console.error(log);
      throw new Error(`build failed for ${job.outfile}`);
    }
    built.push(job.outfile);
    console.log(`built ${job.outfile}`);
  }
  return built;
}

if (import.meta.main) {
  await build({ hostOnly: process.argv.includes("--host-only") });
}

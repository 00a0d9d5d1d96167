/**
 * Compiles src/main.ts into one executable per platform:
 *   dist/jetmon2                  this machine
 *   dist/jetmon2-<os>-<arch>      linux-x64, linux-arm64, darwin-x64, darwin-arm64
 * Version, git commit and build date are baked in with --define.
 * and, per platform, a release archive dist/jetmon2-<version>-<os>-<arch>.tar.gz (binary,
 * systemd units, sample config, README, LICENSE when present) listed in dist/SHA256SUMS.
 * `bun run build.ts --host-only` builds only dist/jetmon2 (what the tests use), no archives.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { $ } from "bun";
import pkg from "./package.json" with { type: "json" };

const TARGETS = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64"] as const;

async function gitCommit(): Promise<string> {
  const r = await $`git rev-parse --short=12 HEAD`.quiet().nothrow();
  return r.exitCode === 0 ? r.stdout.toString().trim() : "unknown";
}

export async function build(
  opts: {
    hostOnly?: boolean;
    outdir?: string /** Progress lines; default console.log. */;
    log?: (line: string) => void;
  } = {},
): Promise<string[]> {
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
    (opts.log ?? console.log)(`built ${job.outfile}`);
  }
  if (!opts.hostOnly) {
    const binaries = Object.fromEntries(TARGETS.map((t) => [t, `${outdir}/jetmon2-${t}`]));
    await packageRelease({ outdir, version: pkg.version, binaries, ...(opts.log ? { log: opts.log } : {}) });
  }
  return built;
}

/** Files every archive carries beside the binary, relative to the repository root. */
function releaseExtras(root: string): string[] {
  const units = readdirSync(join(root, "deploy/systemd"))
    .filter((f) => f.endsWith(".service"))
    .map((f) => `deploy/systemd/${f}`);
  return [...units, "config/config-sample.json", "README.md", "LICENSE"].filter((f) =>
    existsSync(join(root, f)),
  );
}

/**
 * Writes dist/jetmon2-<version>-<platform>.tar.gz for each binary (top folder of the same name,
 * the binary as `jetmon2`) and dist/SHA256SUMS in `sha256sum -c` format. Returns the archives.
 */
export async function packageRelease(opts: {
  outdir: string;
  version: string;
  binaries: Record<string, string>;
  root?: string;
  /** Progress lines; default console.log. */
  log?: (line: string) => void;
}): Promise<string[]> {
  const root = opts.root ?? import.meta.dir;
  const archives: string[] = [];
  const sums: string[] = [];
  for (const [platform, binary] of Object.entries(opts.binaries)) {
    const name = `jetmon2-${opts.version}-${platform}`;
    const stage = join(opts.outdir, ".stage", name);
    rmSync(stage, { recursive: true, force: true });
    mkdirSync(stage, { recursive: true });
    copyFileSync(binary, join(stage, "jetmon2"));
    for (const f of releaseExtras(root)) {
      mkdirSync(join(stage, f, ".."), { recursive: true });
      copyFileSync(join(root, f), join(stage, f));
    }
    const archive = join(opts.outdir, `${name}.tar.gz`);
    await $`tar -czf ${archive} -C ${join(opts.outdir, ".stage")} ${name}`.quiet();
    const hash = new Bun.CryptoHasher("sha256").update(await Bun.file(archive).arrayBuffer()).digest("hex");
    sums.push(`${hash}  ${basename(archive)}`);
    archives.push(archive);
    (opts.log ?? console.log)(`packed ${archive}`);
  }
  rmSync(join(opts.outdir, ".stage"), { recursive: true, force: true });
  await Bun.write(join(opts.outdir, "SHA256SUMS"), `${sums.join("\n")}\n`);
  return archives;
}

if (import.meta.main) {
  await build({ hostOnly: process.argv.includes("--host-only") });
}

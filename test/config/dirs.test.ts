import { afterAll, describe, expect, it } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configuredDirs, ensureDir, prepareDirs, resolveDir } from "../../src/config/dirs.ts";

const dir = mkdtempSync(join(tmpdir(), "jetmon-dirs-"));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("resolveDir", () => {
  it.each([
    ["logs", "/srv/jetmon2", "/srv/jetmon2/logs"],
    ["  ./stats ", "/srv/jetmon2", "/srv/jetmon2/stats"],
    ["/var/log/jetmon2", "/srv/jetmon2", "/var/log/jetmon2"],
    ["", "/srv/jetmon2", ""],
    ["   ", "/srv/jetmon2", ""],
  ])("%p in %p -> %p", (value, cwd, want) => expect(resolveDir(value, cwd)).toBe(want));

  it("configuredDirs resolves both keys against the working directory", () => {
    expect(configuredDirs({ LOG_DIR: "logs", STATS_DIR: "" }, "/w")).toEqual({ logs: "/w/logs", stats: "" });
  });
});

describe("ensureDir", () => {
  it("creates a missing folder and its parents; create:false only checks", () => {
    const checkOnly = join(dir, "a", "b");
    expect(ensureDir(checkOnly, "LOG_DIR", { create: false })).toBeNull();
    expect(() => statSync(checkOnly)).toThrow();
    expect(ensureDir(checkOnly, "LOG_DIR")).toBeNull();
    expect(statSync(checkOnly).isDirectory()).toBe(true);
  });

  it("a file in the way: not a directory, or cannot create below it", () => {
    const file = join(dir, "file");
    writeFileSync(file, "x");
    expect(ensureDir(file, "STATS_DIR")).toBe(
      `${file} is not a directory: remove the file or set STATS_DIR to a directory`,
    );
    expect(ensureDir(join(file, "x"), "STATS_DIR", { create: false })).toBe(
      `cannot create ${join(file, "x")}: ${file} is not a directory: create it writable for the jetmon2 user or set STATS_DIR`,
    );
  });

  it("prepareDirs skips folders that are off and reports the others", () => {
    const file = join(dir, "file2");
    writeFileSync(file, "x");
    expect(prepareDirs({ logs: "", stats: join(dir, "ok") })).toEqual([]);
    expect(prepareDirs({ logs: file, stats: "" })).toEqual([
      `${file} is not a directory: remove the file or set LOG_DIR to a directory`,
    ]);
  });

  it("an existing folder the user cannot write, and a folder it cannot make, name path and fix", () => {
    const ro = join(dir, "ro");
    mkdirSync(ro, { mode: 0o555 });
    chmodSync(ro, 0o555);
    const script = `import { ensureDir } from ${JSON.stringify(join(import.meta.dir, "../../src/config/dirs.ts"))};
console.log(JSON.stringify([ensureDir(${JSON.stringify(ro)}, "LOG_DIR"), ensureDir(${JSON.stringify(join(ro, "x"))}, "LOG_DIR")]));`;
    // Root may write anywhere, so run the check as nobody.
    const asNobody =
      process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
    const p = Bun.spawnSync([...asNobody, process.execPath, "-e", script]);
    expect(p.stderr.toString()).toBe("");
    expect(JSON.parse(p.stdout.toString())).toEqual([
      `${ro} is not writable: permission denied: chown it to the jetmon2 user or set LOG_DIR`,
      `cannot create ${join(ro, "x")}: permission denied: create it writable for the jetmon2 user or set LOG_DIR`,
    ]);
  });
});

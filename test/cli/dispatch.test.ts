import { describe, expect, it } from "bun:test";
import { run } from "../../src/cli/dispatch.ts";

async function invoke(argv: string[], env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { env, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("dispatch", () => {
  it.each([
    [["serve"], 'unknown subcommand "serve"'],
    [["migrat"], 'unknown subcommand "migrat"'],
    [["--mode=monitr"], 'unknown mode "monitr"'],
    [["--mode", "verifier"], 'unknown mode "verifier"'],
    [["--mode="], "flag needs an argument: --mode"],
    [["--frobnicate"], 'unknown flag "--frobnicate"'],
    [["--config"], "flag needs an argument: --config"],
  ])("%p is a usage error (exit 2), never a monitor", async (argv, message) => {
    const r = await invoke(argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`jetmon2: ${message}`);
    expect(r.err).toContain("Usage: jetmon2");
    expect(r.out).toBe("");
  });

  it.each([["--help"], ["-h"], ["help"]])("%s prints usage to stdout and exits 0", async (flag) => {
    const r = await invoke([flag]);
    expect(r.code).toBe(0);
    for (const word of [
      "--mode=monitor",
      "--mode=deliverer",
      "--mode=veriflier",
      "migrate",
      "validate-config",
      "rollout",
    ]) {
      expect(r.out).toContain(word);
    }
  });

  it("version prints the stable version line", async () => {
    const r = await invoke(["version"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^jetmon2 \d+\.\d+\.\d+\S* \(commit \S+, built \S+, bun \d+\.\d+\.\d+\)$/);
  });
});

import { describe, expect, it } from "bun:test";
import { MODES, SUBCOMMANDS } from "../../src/cli/commands.ts";
import { run } from "../../src/cli/dispatch.ts";
import { GATES } from "../../src/rollout/commands.ts";

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

describe("--help everywhere", () => {
  const cases: [string[], string][] = [
    [["--mode=monitor", "--help"], "usage: jetmon2 [--config PATH] [--mode=monitor]"],
    [["--mode", "deliverer", "-h"], "usage: jetmon2 [--config PATH] --mode=deliverer"],
    [["--mode=veriflier", "--help"], "usage: jetmon2 [--config PATH] --mode=veriflier"],
    [["migrate", "--help"], "usage: jetmon2 [--config PATH] migrate"],
    [["validate-config", "-h"], "usage: jetmon2 validate-config"],
    [["status", "--help"], "usage: jetmon2 [--config PATH] status [--output=text|json]"],
    [["drain", "-h"], "usage: jetmon2 drain [--wait=35s] [--no-wait]"],
    [["reload", "--help"], "usage: jetmon2 reload [--wait=10s]"],
    [["version", "--help"], "usage: jetmon2 version"],
    [["delivery-check", "--help"], "usage: jetmon2 delivery-check [--host=<host>]"],
    [
      ["--config", "/nonexistent.json", "--mode=monitor", "--host=x", "-h"],
      "usage: jetmon2 [--config PATH] [--mode=monitor]",
    ],
  ];
  it.each(cases)("%p prints its usage on stdout, exits 0, runs nothing", async (argv, first) => {
    const r = await invoke(argv, { JETMON_PID_FILE: "/nonexistent/pid", DB_PORT: "1" });
    expect(r.code).toBe(0);
    expect(r.out.split("\n")[0]).toStartWith(first);
    expect(r.err).toBe("");
  });

  // From the command tables, so a mode, subcommand or gate added later is covered too.
  const everything: string[][] = [
    ...Object.keys(MODES).map((m) => [`--mode=${m}`]),
    ...Object.keys(SUBCOMMANDS).map((c) => [c]),
    ...GATES.map((g) => ["rollout", g.name]),
  ];
  it.each(
    everything.flatMap((argv) => [
      [...argv, "--help"],
      [...argv, "-h"],
    ]),
  )("%p: usage naming the command, exit 0", async (...argv) => {
    const r = await invoke(argv, { JETMON_PID_FILE: "/nonexistent/pid", DB_PORT: "1" });
    // A gate's help goes to stderr as Go's flag package prints it (test/rollout/cli.test.ts).
    const gate = argv[0] === "rollout" && argv.length > 2;
    expect({ code: r.code, other: gate ? r.out : r.err }).toEqual({ code: 0, other: "" });
    const text = gate ? r.err : r.out;
    expect(text.toLowerCase()).toContain("usage");
    const name = argv[0]?.startsWith("--mode=") ? argv[0].slice(7) : argv.slice(0, -1).join(" ");
    if (name !== "monitor") expect(text).toContain(name);
  });

  it("the top-level help names every mode, subcommand and gate in the tables", async () => {
    const r = await invoke(["--help"]);
    for (const argv of everything) {
      const name = argv[0]?.startsWith("--mode=") ? argv[0].slice(7) : argv.join(" ");
      expect(r.out).toContain(name);
    }
  });

  it("delivery-check --help lists its flags under jetmon2, not Go's binary name", async () => {
    const r = await invoke(["delivery-check", "--help"]);
    expect(r.out).toContain("-max-pending int");
    expect(r.out).not.toContain("jetmon-deliverer");
  });

  it("--version prints the version line", async () => {
    const r = await invoke(["--version"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^jetmon2 \d+\.\d+\.\d+ \(commit /);
  });

  it("the top-level help lists every mode, subcommand and rollout gate", async () => {
    const r = await invoke(["--help"]);
    for (const name of [
      "monitor",
      "deliverer",
      "veriflier",
      "migrate",
      "validate-config",
      "status",
      "drain",
    ]) {
      expect(r.out).toContain(name);
    }
    for (const name of [
      "reload",
      "version",
      "delivery-check",
      "rollout dynamic-check",
      "rollout pinned-check",
    ]) {
      expect(r.out).toContain(name);
    }
  });

  it("a --help after -- is an argument, not a help request", async () => {
    const r = await invoke(["migrate", "--", "--help"], { DB_PORT: "1" });
    expect(r.code).toBe(2);
    expect(r.err).toContain("migrate takes no arguments");
  });
});

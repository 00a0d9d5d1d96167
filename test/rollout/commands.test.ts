/**
 * The commands operators copy must run: every `jetmon2 rollout ...` printed by the dashboard's
 * Operator Commands (and validate-config's advice lines) and every one in docs/rollout.md
 * parses with this CLI's gates and flags.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { rolloutAdviceLines, rolloutCommands } from "../../src/dashboard/commands.ts";
import {
  GATE_NAMES,
  GATES,
  gateSpec,
  parseRolloutCommandLine,
  splitCommandLine,
} from "../../src/rollout/commands.ts";

const DOC = join(import.meta.dir, "../../docs/rollout.md");

/** Every `jetmon2 rollout ...` command in a markdown file: code-block lines and inline code. */
function rolloutCommandsIn(markdown: string): string[] {
  const found: string[] = [];
  const take = (text: string) => {
    for (const part of text.split(/\s(?:&&|\|\||\||;)\s/)) {
      const cmd = part.replace(/\s#.*$/, "").trim();
      if (/(^|\/)jetmon2 rollout /.test(cmd)) found.push(cmd.slice(cmd.search(/\S*jetmon2 rollout /)));
    }
  };
  let inCode = false;
  for (const line of markdown.split("\n")) {
    if (line.trim().startsWith("```")) {
      inCode = !inCode;
      continue;
    }
    if (inCode) take(line.replace(/^\s*\$\s*/, ""));
    else for (const m of line.matchAll(/`([^`]*jetmon2 rollout [^`]*)`/g)) take(m[1]!);
  }
  return found;
}

describe("the gate table", () => {
  test("names are unique and every gate has --output and a usage line naming it", () => {
    expect(new Set(GATE_NAMES).size).toBe(GATE_NAMES.length);
    for (const g of GATES) {
      expect(g.usage).toStartWith(`usage: jetmon2 rollout ${g.name}`);
      expect(g.flags.map((f) => f.name)).toContain("output");
      expect(new Set(g.flags.map((f) => f.name)).size).toBe(g.flags.length);
    }
  });

  test("every flag in a usage line is defined for that gate", () => {
    for (const g of GATES) {
      for (const m of g.usage.matchAll(/--([a-z-]+)/g)) {
        expect(g.flags.map((f) => f.name)).toContain(m[1]!);
      }
    }
  });

  test("the gates of the issue all exist", () => {
    for (const name of [
      "state-report",
      "host-preflight",
      "cutover-check",
      "activity-check",
      "rollback-check",
      "projection-drift",
      "static-plan-check",
      "pinned-check",
      "dynamic-check",
    ]) {
      expect(gateSpec(name)).toBeDefined();
    }
  });
});

describe("parseRolloutCommandLine", () => {
  test("parses flags with values and booleans", () => {
    const p = parseRolloutCommandLine("./jetmon2 rollout cutover-check --since 1h --require-all --limit=5");
    expect(p.gate).toBe("cutover-check");
    expect(p.flags.str("since")).toBe("1h");
    expect(p.flags.bool("require-all")).toBe(true);
    expect(p.flags.int("limit")).toBe(5);
    expect(
      parseRolloutCommandLine("/usr/local/bin/jetmon2 --config /etc/jetmon2.json rollout dynamic-check").gate,
    ).toBe("dynamic-check");
  });

  test.each([
    ["./jetmon2 rollout cutover-check --sinc=15m", "flag provided but not defined: -sinc"],
    ["./jetmon2 rollout cutover-check --limit=ten", 'invalid value "ten" for flag -limit'],
    ["./jetmon2 rollout preflight", 'unknown rollout gate "preflight"'],
    ["./jetmon2 rollout state-report extra", "positional arguments extra"],
    ["./jetmon2 status", "not a rollout command"],
    ["./jetmon rollout state-report", "not a jetmon2 command"],
  ])("%p does not parse", (line, message) => {
    expect(() => parseRolloutCommandLine(line)).toThrow(message);
  });

  test("splitCommandLine honours quotes", () => {
    expect(splitCommandLine(`./jetmon2 rollout x --file='my plan.csv' --host="a b" c\\ d`)).toEqual([
      "./jetmon2",
      "rollout",
      "x",
      "--file=my plan.csv",
      "--host=a b",
      "c d",
    ]);
  });
});

describe("dashboard Operator Commands parse", () => {
  const configs = [
    { pinned: null, bucketTotal: 1000 },
    { pinned: { min: 0, max: 99 }, bucketTotal: 1000 },
    { pinned: { min: 12, max: 34 }, bucketTotal: 0 },
    { pinned: { min: 0, max: 99 }, bucketTotal: 1000, binary: "/opt/jetmon2/bin/jetmon2" },
  ];
  test.each(configs)("rolloutCommands(%j)", (c) => {
    const cmds = Object.values(rolloutCommands(c)).filter((s) => s !== "");
    expect(cmds.length).toBeGreaterThanOrEqual(4);
    for (const cmd of cmds) expect(() => parseRolloutCommandLine(cmd)).not.toThrow();
  });

  test.each(configs)("validate-config advice lines (%j)", (c) => {
    for (const line of rolloutAdviceLines(c)) {
      const cmd = line.slice(line.indexOf("=") + 1);
      expect(() => parseRolloutCommandLine(cmd)).not.toThrow();
    }
  });

  test("the pinned preflight carries the pinned range into the gate's flags", () => {
    const p = parseRolloutCommandLine(
      rolloutCommands({ pinned: { min: 12, max: 34 }, bucketTotal: 100 }).preflight,
    );
    expect(p.gate).toBe("host-preflight");
    expect([p.flags.int("bucket-min"), p.flags.int("bucket-max"), p.flags.int("bucket-total")]).toEqual([
      12, 34, 100,
    ]);
  });
});

describe("docs/rollout.md commands parse", () => {
  const commands = rolloutCommandsIn(readFileSync(DOC, "utf8"));

  test("the runbook has the commands of a full cutover and rollback", () => {
    const gates = new Set<string>(commands.map((c) => parseRolloutCommandLine(c).gate));
    for (const g of [
      "static-plan-check",
      "host-preflight",
      "cutover-check",
      "activity-check",
      "rollback-check",
      "projection-drift",
      "state-report",
      "dynamic-check",
    ]) {
      expect(gates).toContain(g);
    }
  });

  test.each(commands.map((c) => [c]))("%s", (cmd) => {
    expect(() => parseRolloutCommandLine(cmd)).not.toThrow();
  });

  test("the extractor finds code-block and inline commands, and would catch a bad flag", () => {
    const md =
      "run `./jetmon2 rollout state-report --since=15m` first\n```sh\n$ ./jetmon2 rollout dynamic-check --frob\n```\n";
    const found = rolloutCommandsIn(md);
    expect(found).toEqual([
      "./jetmon2 rollout state-report --since=15m",
      "./jetmon2 rollout dynamic-check --frob",
    ]);
    expect(() => parseRolloutCommandLine(found[1]!)).toThrow("flag provided but not defined: -frob");
  });
});

import { describe, expect, test } from "bun:test";
import { resolveConfigPath } from "../../src/config/config-path.ts";
import { UsageError } from "../../src/usage-error.ts";

describe("resolveConfigPath", () => {
  const cases: Array<[string, string[], Record<string, string>, string, string[]]> = [
    ["default", ["migrate"], {}, "config/config.json", ["migrate"]],
    ["JETMON_CONFIG", ["migrate"], { JETMON_CONFIG: "/etc/j.json" }, "/etc/j.json", ["migrate"]],
    ["empty JETMON_CONFIG counts as unset", [], { JETMON_CONFIG: "" }, "config/config.json", []],
    [
      "--config PATH beats env",
      ["--config", "a.json", "migrate"],
      { JETMON_CONFIG: "/e.json" },
      "a.json",
      ["migrate"],
    ],
    ["--config=PATH", ["migrate", "--config=b.json"], {}, "b.json", ["migrate"]],
    ["-config PATH", ["-config", "c.json"], {}, "c.json", []],
    ["-config=PATH", ["-config=d.json", "status"], {}, "d.json", ["status"]],
    ["last flag wins", ["--config=a.json", "--config", "b.json"], {}, "b.json", []],
    [
      "after -- nothing is a flag",
      ["x", "--", "--config=a.json"],
      {},
      "config/config.json",
      ["x", "--", "--config=a.json"],
    ],
    [
      "other flags stay",
      ["--mode=monitor", "--configx=1"],
      {},
      "config/config.json",
      ["--mode=monitor", "--configx=1"],
    ],
  ];
  for (const [name, argv, env, path, rest] of cases) {
    test(name, () => {
      const flagged = argv
        .slice(0, argv.indexOf("--") >= 0 ? argv.indexOf("--") : argv.length)
        .some((a) => /^--?config(=|$)/.test(a));
      expect(resolveConfigPath(argv, env)).toEqual({ path, argv: rest, fromFlag: flagged });
    });
  }

  for (const argv of [["--config"], ["--config="], ["migrate", "-config"], ["--config", ""]]) {
    test(`${JSON.stringify(argv)} is a usage error`, () => {
      expect(() => resolveConfigPath(argv, {})).toThrow(UsageError);
      expect(() => resolveConfigPath(argv, {})).toThrow("flag needs an argument: --config");
    });
  }
});

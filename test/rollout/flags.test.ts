import { describe, expect, test } from "bun:test";
import { collapseWhitespace, goQuote } from "../../src/go-format.ts";
import {
  type FlagDef,
  FlagError,
  flagDefaults,
  HelpRequested,
  parseFlags,
  parseGoBool,
  parseGoInt,
} from "../../src/rollout/flags.ts";

const DEFS: FlagDef[] = [
  { name: "since", kind: "string", default: "15m", help: "cutoff" },
  { name: "bucket-min", kind: "int", default: -1, help: "min" },
  { name: "require-all", kind: "bool", default: false, help: "all" },
];

const parse = (...args: string[]) => parseFlags(DEFS, args);

describe("parseFlags: Go flag semantics (§0.1)", () => {
  test.each([
    [["--since=1h"], "1h"],
    [["-since=1h"], "1h"],
    [["--since", "1h"], "1h"],
    [["-since", "1h"], "1h"],
    [["--since", "-5m"], "-5m"], // a separate value is taken even if it looks like a flag
    [["--since="], ""],
    [[], "15m"],
    [["--since=a", "--since=b"], "b"],
  ])("%p → since %p", (args, want) => {
    expect(parse(...args).values.get("since")).toBe(want);
  });

  test.each([
    [["--require-all"], true],
    [["-require-all=false"], false],
    [["--require-all=true"], true],
    [["--require-all=1"], true],
    [["--require-all=F"], false],
    [[], false],
  ])("bool %p → %p", (args, want) => {
    expect(parse(...args).values.get("require-all")).toBe(want);
  });

  test("a bool does not consume the next argument", () => {
    const p = parse("--require-all", "false");
    expect(p.values.get("require-all")).toBe(true);
    expect(p.positionals).toEqual(["false"]);
  });

  test.each([
    [["--bucket-min=12"], 12],
    [["--bucket-min", "-2"], -2],
    [["--bucket-min=0x10"], 16],
    [["--bucket-min=010"], 8],
    [["--bucket-min=+3"], 3],
  ])("int %p → %p", (args, want) => {
    expect(parse(...args).values.get("bucket-min")).toBe(want);
  });

  test("parsing stops at the first positional; `--` is consumed", () => {
    expect(parse("--since=1h", "extra", "--bucket-min=3").positionals).toEqual(["extra", "--bucket-min=3"]);
    expect(parse("--", "--since=1h").positionals).toEqual(["--since=1h"]);
    expect(parse("-", "x").positionals).toEqual(["-", "x"]);
  });

  test("records which flags were given", () => {
    expect([...parse("--since=1h").given]).toEqual(["since"]);
  });

  test.each([
    [["--nope"], "flag provided but not defined: -nope"],
    [["-nope=1"], "flag provided but not defined: -nope"],
    [["---since=1h"], "bad flag syntax: ---since=1h"],
    [["-=x"], "bad flag syntax: -=x"],
    [["--since"], "flag needs an argument: -since"],
    [["--bucket-min=abc"], 'invalid value "abc" for flag -bucket-min: parse error'],
    [["--bucket-min=1.5"], 'invalid value "1.5" for flag -bucket-min: parse error'],
    [
      ["--bucket-min=99999999999999999999"],
      'invalid value "99999999999999999999" for flag -bucket-min: value out of range',
    ],
    [["--require-all=yes"], 'invalid boolean value "yes" for -require-all: parse error'],
  ])("%p is a parse error: %s", (args, message) => {
    expect(() => parse(...args)).toThrow(new FlagError(message));
  });

  test.each([["-h"], ["--help"], ["-help"]])("%s asks for help", (flag) => {
    expect(() => parse(flag)).toThrow(HelpRequested);
  });
});

describe("scalars", () => {
  test.each([
    ["1", true],
    ["TRUE", true],
    ["True", true],
    ["t", true],
    ["0", false],
    ["False", false],
    ["yes", undefined],
    ["", undefined],
  ])("parseGoBool(%p) = %p", (s, want) => {
    expect(parseGoBool(s)).toBe(want as boolean | undefined);
  });

  test.each([
    ["0", 0],
    ["-1", -1],
    ["0b101", 5],
    ["0o17", 15],
    ["0x_ff", 255],
    ["1_000", 1000],
    ["1__0", "parse error"],
    ["_1", "parse error"],
    ["0_7", 7],
    ["08", "parse error"],
    ["", "parse error"],
    [" 1", "parse error"],
  ])("parseGoInt(%p) = %p", (s, want) => {
    expect(parseGoInt(s)).toBe(want);
  });

  test.each([
    ["host-a", '"host-a"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["a\\b", '"a\\\\b"'],
    ["tab\there\n", '"tab\\there\\n"'],
    ["\x01", '"\\x01"'],
    ["café", '"café"'],
  ])("goQuote(%p) = %s", (s, want) => {
    expect(goQuote(s)).toBe(want);
  });

  test("collapseWhitespace joins fields with single spaces", () => {
    expect(collapseWhitespace('{\n  "state": "ok"\n}\n')).toBe('{ "state": "ok" }');
    expect(collapseWhitespace(" \n\t ")).toBe("");
  });

  test("flagDefaults lists flags sorted, with type and non-zero default", () => {
    expect(flagDefaults(DEFS)).toEqual([
      "  -bucket-min int",
      "    \tmin (default -1)",
      "  -require-all",
      "    \tall",
      "  -since string",
      '    \tcutoff (default "15m")',
    ]);
  });
});

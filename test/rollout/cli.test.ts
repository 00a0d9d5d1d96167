/**
 * `jetmon2 rollout ...` as the operator types it: dispatch, usage and exit codes, help,
 * --output, static-plan-check (no database), and the real config/DB wiring.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run as dispatch } from "../../src/cli/dispatch.ts";
import { UsageError } from "../../src/usage-error.ts";
import { useTestDatabase } from "../support/db.ts";
import { rolloutConfig, runner, seedHost } from "./harness.ts";

const t = useTestDatabase();
const run = runner(() => t.db);

async function jetmon2(argv: string[], env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await dispatch(argv, { env, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err, stderr: err.join("\n") };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rollout-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("dispatch and usage", () => {
  test("no gate: a usage error, exit 2", async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([
      "rollout: missing gate name",
      "usage: jetmon2 rollout <state-report|host-preflight|static-plan-check|pinned-check|cutover-check|activity-check|rollback-check|dynamic-check|projection-drift> [args]",
    ]);
  });

  test.each([["-h"], ["--help"], ["help"]])("rollout %s lists the gates on stdout, exit 0", async (flag) => {
    const r = await run([flag]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toStartWith("usage: jetmon2 rollout <state-report|");
  });

  test("unknown gate: exit 2, names the choices", async () => {
    const r = await run(["cutover"]);
    expect(r.code).toBe(2);
    expect(r.err[0]).toStartWith('unknown rollout subcommand "cutover" (want: state-report, host-preflight,');
  });

  test.each([
    [["activity-check", "--nope"], "flag provided but not defined: -nope"],
    [["activity-check", "--bucket-min=abc"], 'invalid value "abc" for flag -bucket-min: parse error'],
    [["cutover-check", "--require-all=maybe"], 'invalid boolean value "maybe" for -require-all: parse error'],
    [["projection-drift", "--limit"], "flag needs an argument: -limit"],
    [["state-report", "--bucket-min=1"], "flag provided but not defined: -bucket-min"],
  ])("bad flag %p is a UsageError with the gate's usage", async (args, message) => {
    const err = await run(args).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toStartWith(`${message}\nusage: jetmon2 rollout ${args[0]}`);
  });

  test("through jetmon2: a bad flag exits 2 with the gate usage on stderr", async () => {
    const r = await jetmon2(["rollout", "activity-check", "--since", "15m", "--bogus"]);
    expect(r.code).toBe(2);
    expect(r.out).toEqual([]);
    expect(r.stderr).toContain("flag provided but not defined: -bogus");
    expect(r.stderr).toContain(
      "usage: jetmon2 rollout activity-check [--bucket-min=N --bucket-max=N] [--since=15m] [--require-all] [--output=text|json]",
    );
  });

  test.each([["-h"], ["--help"], ["-help"]])(
    "%s prints the gate usage and flag defaults, exit 0",
    async (flag) => {
      const r = await run(["cutover-check", flag]);
      expect(r.code).toBe(0);
      const help = r.err.join("\n");
      expect(help).toStartWith("usage: jetmon2 rollout cutover-check");
      expect(help).toContain("Usage of rollout cutover-check:");
      expect(help).toContain("  -status-port int");
      expect(help).toContain("(default -1)");
    },
  );

  test.each([["yaml"], ["xml"]])("--output=%s: FAIL on stderr, exit 2", async (fmt) => {
    const r = await run(["dynamic-check", `--output=${fmt}`], { configError: "not reached" });
    expect(r).toMatchObject({ code: 2, out: [], err: ["FAIL --output must be text or json"] });
  });

  test("--output accepts TEXT and ' json '", async () => {
    expect((await run(["dynamic-check", "--output=TEXT"], { configError: "x" })).err).toEqual([
      "FAIL config parse: x",
    ]);
    const j = await run(["dynamic-check", "--output", " json "], { configError: "x" });
    expect(j.code).toBe(1);
    expect(j.json()).toMatchObject({
      ok: false,
      command: "rollout dynamic-check",
      failures: ["config parse: x"],
    });
  });

  test("a positional argument prints the usage line, exit 1", async () => {
    const r = await run(["rollback-check", "12-34"]);
    expect(r).toMatchObject({
      code: 1,
      err: [
        "usage: jetmon2 rollout rollback-check [--host=<host_id>] [--bucket-min=N --bucket-max=N] [--output=text|json]",
      ],
    });
  });
});

describe("rollout static-plan-check", () => {
  const PLAN = "# v1 hosts\nhost,bucket_min,bucket_max\njetmon-v1-b,5,9\njetmon-v1-a,0,4\n";

  test("reads a file, no DB, no config when --bucket-total is given", async () => {
    const r = await run(
      [
        "static-plan-check",
        "--file=ranges.csv",
        "--bucket-total=10",
        "--host=jetmon-v1-b",
        "--bucket-min=5",
        "--bucket-max=9",
      ],
      {
        files: { "ranges.csv": PLAN },
        configError: "config must not be read",
        dbError: "db must not be opened",
      },
    );
    expect(r.err).toEqual([]);
    expect(r.out).toEqual([
      "PASS static_plan_file=ranges.csv ranges=2",
      "PASS static_bucket_coverage=0-9 hosts=2",
      'PASS static_plan_host="jetmon-v1-b" range=5-9',
      "static rollout plan check passed",
    ]);
  });

  test("reads stdin for --file=-; BUCKET_TOTAL from config without a PASS config parse line", async () => {
    const r = await run(["static-plan-check", "--file=-"], {
      stdin: PLAN,
      cfg: rolloutConfig({ BUCKET_TOTAL: 10 }),
    });
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe("PASS static_plan_file=- ranges=2");
    const wrong = await run(["static-plan-check", "--file=-"], {
      stdin: PLAN,
      cfg: rolloutConfig({ BUCKET_TOTAL: 12 }),
    });
    expect(wrong.err).toEqual(["FAIL static bucket plan has trailing gap 10-11"]);
  });

  test("assertion flag errors go to stderr even with --output=json", async () => {
    const r = await run([
      "static-plan-check",
      "--file=x.csv",
      "--bucket-min=0",
      "--bucket-max=4",
      "--output=json",
    ]);
    expect(r).toMatchObject({
      code: 1,
      out: [],
      err: ["FAIL --host is required when --bucket-min or --bucket-max is set"],
    });
  });

  test("plan failures in JSON", async () => {
    const r = await run(["static-plan-check", "--file=p.csv", "--bucket-total=10", "--output=json"], {
      files: { "p.csv": "a,0,5\nb,5,9\n" },
    });
    expect(r.code).toBe(1);
    expect(r.json()).toEqual({
      ok: false,
      command: "rollout static-plan-check",
      generated_at: "2026-04-28T12:00:00Z",
      failures: ['static bucket plan overlaps before host "b" at bucket 5'],
    });
  });

  test("missing --file, negative total, unreadable file, config failure", async () => {
    const missing = await run(["static-plan-check"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toEqual([
      "rollout static-plan-check: missing required flag --file",
      "usage: jetmon2 rollout static-plan-check --file=<ranges.csv> [--bucket-total=N] [--host=<host> --bucket-min=N --bucket-max=N] [--output=text|json]",
    ]);
    expect((await run(["static-plan-check", "--file=a", "--bucket-total=-1"])).err).toEqual([
      "FAIL bucket-total must be > 0",
    ]);
    expect((await run(["static-plan-check", "--file=a", "--bucket-total=10"])).err).toEqual([
      "FAIL open static bucket plan: open a: no such file or directory",
    ]);
    expect(
      (
        await run(["static-plan-check", "--file=a"], {
          configError: "invalid config: AUTH_TOKEN is required",
        })
      ).err,
    ).toEqual(["FAIL config parse: invalid config: AUTH_TOKEN is required"]);
  });
});

describe("real config file and database", () => {
  function writeConfig(over: Record<string, unknown>) {
    const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
    const s = t.settings;
    writeFileSync(
      path,
      JSON.stringify({
        AUTH_TOKEN: "test",
        BUCKET_TOTAL: 10,
        BUCKET_TARGET: 10,
        BUCKET_HEARTBEAT_GRACE_SEC: 600,
        DB_HOST: s.host,
        DB_PORT: s.port,
        DB_USER: s.user,
        DB_PASSWORD: s.password,
        DB_NAME: s.database,
        ...over,
      }),
    );
    return path;
  }

  test("dynamic-check runs end to end through jetmon2 --config", async () => {
    await seedHost(t.db, "host-a", 0, 9, { heartbeatAt: new Date() });
    const r = await jetmon2(["--config", writeConfig({}), "rollout", "dynamic-check"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("PASS dynamic_bucket_coverage=0-9 hosts=1");
  });

  test("the file's pinned range and the static plan file on disk are used", async () => {
    const plan = join(dir, "ranges.csv");
    writeFileSync(plan, "a,0,4\nb,5,9\n");
    const r = await jetmon2([
      "--config",
      writeConfig({ PINNED_BUCKET_MIN: 5, PINNED_BUCKET_MAX: 9 }),
      "rollout",
      "static-plan-check",
      `--file=${plan}`,
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("PASS static_bucket_coverage=0-9 hosts=2");
    const st = await jetmon2([
      "--config",
      writeConfig({ PINNED_BUCKET_MIN: 5, PINNED_BUCKET_MAX: 9 }),
      "rollout",
      "state-report",
    ]);
    expect(st.code).toBe(0);
    expect(st.out).toContain("INFO ownership_mode=pinned bucket_range=5-9");
  });

  test("a missing config file fails with config parse", async () => {
    const r = await jetmon2(["--config", join(dir, "absent.json"), "rollout", "pinned-check"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toStartWith(`FAIL config parse: open config: ${join(dir, "absent.json")}:`);
  });

  test("an unreachable database retries 3 times, then fails with db connect", async () => {
    const r = await jetmon2([
      "--config",
      writeConfig({ DB_HOST: "127.0.0.1", DB_PORT: 1 }),
      "rollout",
      "activity-check",
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toEqual(["PASS config parse"]);
    expect(r.err[0]).toStartWith("db connect attempt 1 failed: ");
    expect(r.err[0]).toEndWith(", retrying in 1s");
    expect(r.err[1]).toEndWith(", retrying in 2s");
    expect(r.err[2]).toStartWith("FAIL db connect: db connect failed after 3 attempts: ");
  });
});

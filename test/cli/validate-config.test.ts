import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliContext } from "../../src/cli/context.ts";
import { type Check, makeValidateConfigCommand } from "../../src/cli/validate-config.ts";
import { migrate } from "../../src/db/migrate.ts";
import { createPool, type DbSettings } from "../../src/db/pool.ts";
import { embeddedOwnerStatus } from "../../src/delivery/ownership.ts";
import { UsageError } from "../../src/usage-error.ts";
import { createDatabase, dropDatabase, useTestDatabase } from "../support/db.ts";

const t = useTestDatabase();
const dir = mkdtempSync(join(tmpdir(), "jetmon-validate-"));
let verifier: ReturnType<typeof Bun.serve>;
let smtp: { port: number; stop(force?: boolean): void };
const closedPort = async () => {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = s.port!;
  await s.stop(true);
  return port;
};
let deadPort = 0;

beforeAll(async () => {
  verifier = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) =>
      new URL(req.url).pathname === "/status"
        ? Response.json({ status: "OK", version: "v-test" })
        : new Response("not found", { status: 404 }),
  });
  smtp = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  deadPort = await closedPort();
});
afterAll(async () => {
  await verifier?.stop(true);
  smtp?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function configFile(o: Record<string, unknown> | string): string {
  const path = join(dir, `c${n++}.json`);
  writeFileSync(path, typeof o === "string" ? o : JSON.stringify({ AUTH_TOKEN: "tok", ...o }));
  return path;
}

const dbEnv = (s: DbSettings) => ({
  DB_HOST: s.host,
  DB_PORT: String(s.port),
  DB_USER: s.user,
  DB_PASSWORD: s.password,
  DB_NAME: s.database,
});

async function run(
  configPath: string,
  opts: { args?: string[]; env?: Record<string, string>; checks?: Check[]; hostname?: string } = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    args: opts.args ?? [],
    configPath,
    env: opts.env ?? dbEnv(t.settings),
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  };
  const sleeps: number[] = [];
  const command = makeValidateConfigCommand({
    checks: opts.checks,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    hostname: () => opts.hostname ?? "host-a",
    probeTimeoutMs: 1000,
  });
  const code = await command(ctx);
  return { code, out, err, sleeps };
}

const verifierEntry = () => ({
  name: "local",
  host: "127.0.0.1",
  port: String(verifier.port),
  auth_token: "t",
});

describe("validate-config against the real database", () => {
  test("a good config: PASS lines, a summary, exit 0", async () => {
    const r = await run(configFile({ VERIFIERS: [verifierEntry()] }));
    expect(r.code).toBe(0);
    const s = t.settings;
    expect(r.out).toEqual([
      "PASS config parse",
      "INFO legacy_status_projection=enabled",
      "INFO bucket_ownership=dynamic jetmon_hosts",
      "INFO rollout_preflight=./jetmon2 rollout dynamic-check",
      "INFO rollout_activity_check=./jetmon2 rollout activity-check --since=15m",
      "INFO rollout_state_report=./jetmon2 rollout state-report --since=15m",
      "INFO rollout_drift_report=./jetmon2 rollout projection-drift",
      `PASS LOG_DIR ${join(process.cwd(), "logs")}`,
      `PASS STATS_DIR ${join(process.cwd(), "stats")}`,
      `PASS db connect (${s.user}@${s.host}:${s.port}/${s.database})`,
      "PASS migrations current",
      "INFO email_transport=stub",
      "WARN email_transport=stub — alert-contact emails will be logged but not delivered",
      "INFO delivery_workers=disabled api_port=disabled",
      `PASS veriflier "local" at 127.0.0.1:${verifier.port} reachable (v-test)`,
      "validate-config: 6 pass, 1 warn, 0 fail",
    ]);
  });

  test("warnings, a public bind address and an unreachable verifier are WARN and keep exit 0", async () => {
    const r = await run(
      configFile({
        NUM_WORKER: 3,
        DASHBOARD_BIND_ADDR: "0.0.0.0",
        PINNED_BUCKET_MIN: 0,
        PINNED_BUCKET_MAX: 9,
        LEGACY_STATUS_PROJECTION_ENABLE: false,
        VERIFIERS: [{ name: "gone", host: "127.0.0.1", port: deadPort, auth_token: "t" }],
      }),
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('WARN unknown config key "NUM_WORKER" (did you mean "NUM_WORKERS"?)');
    // Pinned mode: the seven gate commands for this host's range.
    expect(r.out.filter((l) => l.startsWith("INFO rollout_"))).toEqual([
      "INFO rollout_static_plan=./jetmon2 rollout static-plan-check --file=<ranges.csv>",
      "INFO rollout_preflight=./jetmon2 rollout host-preflight --file=<ranges.csv> --host=<v1-hostname> --runtime-host=<v2-hostname> --bucket-min=0 --bucket-max=9 --bucket-total=1000",
      "INFO rollout_activity_check=./jetmon2 rollout activity-check --since=15m",
      "INFO rollout_cutover_check=./jetmon2 rollout cutover-check --since=15m",
      "INFO rollout_rollback_check=./jetmon2 rollout rollback-check",
      "INFO rollout_state_report=./jetmon2 rollout state-report --since=15m",
      "INFO rollout_drift_report=./jetmon2 rollout projection-drift",
    ]);
    expect(r.out).toContain(
      'WARN DASHBOARD_BIND_ADDR="0.0.0.0" exposes the unauthenticated host dashboard; restrict access to trusted operator networks',
    );
    expect(r.out).toContain("INFO legacy_status_projection=disabled");
    expect(r.out).toContain("INFO bucket_ownership=pinned range=0-9");
    const line = r.out.find((l) => l.includes('veriflier "gone"'));
    expect(line?.startsWith(`WARN veriflier "gone" at 127.0.0.1:${deadPort} unreachable: `)).toBe(true);
    expect(r.out.at(-1)).toBe("validate-config: 5 pass, 4 warn, 0 fail");
  });

  test('LOG_DIR that cannot be made is a FAIL naming path and fix; STATS_DIR "" is off; nothing is created', async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    const missing = join(dir, "new-stats", "deeper");
    const r = await run(configFile({ LOG_DIR: join(file, "logs"), STATS_DIR: missing }));
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `FAIL LOG_DIR: cannot create ${join(file, "logs")}: ${file} is not a directory: create it writable for the jetmon2 user or set LOG_DIR`,
    );
    expect(r.out).toContain(`PASS STATS_DIR ${missing}`);
    expect(existsSync(missing)).toBe(false);
    const off = await run(configFile({ STATS_DIR: "" }));
    expect(off.out).toContain('INFO STATS_DIR is "" (disk:stats disabled)');
  });

  test("no verifiers is a WARN", async () => {
    const r = await run(configFile({}));
    expect(r.out).toContain(
      "WARN no verifiers configured; a failing site is confirmed down without a second opinion",
    );
    expect(r.code).toBe(0);
  });

  test("a verifier answering non-200 is a WARN", async () => {
    const bad = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => new Response("x", { status: 503 }),
    });
    try {
      const r = await run(
        configFile({ VERIFIERS: [{ host: "127.0.0.1", port: bad.port, auth_token: "t" }] }),
      );
      expect(r.out).toContain(
        `WARN veriflier "verifier #0" at 127.0.0.1:${bad.port} unreachable: status returned 503`,
      );
    } finally {
      await bad.stop(true);
    }
  });

  test("smtp transport: reachable server is PASS, unreachable is WARN", async () => {
    const ok = await run(
      configFile({ EMAIL_TRANSPORT: "smtp", SMTP_HOST: "127.0.0.1", SMTP_PORT: smtp.port }),
    );
    expect(ok.out).toContain("INFO email_transport=smtp");
    expect(ok.out).toContain(`PASS smtp server 127.0.0.1:${smtp.port} reachable`);
    const bad = await run(
      configFile({ EMAIL_TRANSPORT: "smtp", SMTP_HOST: "127.0.0.1", SMTP_PORT: deadPort }),
    );
    expect(bad.out.some((l) => l.startsWith(`WARN smtp server 127.0.0.1:${deadPort} unreachable: `))).toBe(
      true,
    );
    expect(bad.code).toBe(0);
  });

  test("pending migrations are a WARN listing the ids", async () => {
    const settings = await createDatabase();
    const pool = createPool(settings);
    try {
      await migrate(pool, { print: () => {} });
      await pool.query("DELETE FROM jetmon_schema_migrations WHERE id IN (27, 28)");
      const r = await run(configFile({}), { env: dbEnv(settings) });
      expect(r.out).toContain("WARN 2 pending migrations: 27, 28; run jetmon2 migrate");
      expect(r.code).toBe(0);
    } finally {
      await pool.end();
      await dropDatabase(settings.database);
    }
  });

  test("a database migrated by a newer binary is a FAIL", async () => {
    const settings = await createDatabase();
    const pool = createPool(settings);
    try {
      await migrate(pool, { print: () => {} });
      await pool.query("INSERT INTO jetmon_schema_migrations (id) VALUES (999)");
      const r = await run(configFile({}), { env: dbEnv(settings) });
      expect(r.out).toContain(
        "FAIL database records migrations this binary does not know: 999; upgrade jetmon2",
      );
      expect(r.code).toBe(1);
    } finally {
      await pool.end();
      await dropDatabase(settings.database);
    }
  });
});

describe("failures", () => {
  test("an unreachable database: FAIL after 3 attempts, exit 1, no migration line", async () => {
    const r = await run(configFile({}), {
      env: { DB_HOST: "127.0.0.1", DB_PORT: "1", DB_USER: "root", DB_NAME: "x" },
    });
    expect(r.code).toBe(1);
    const line = r.out.find((l) => l.startsWith("FAIL db connect: "));
    expect(line).toStartWith("FAIL db connect: db connect failed after 3 attempts: ");
    expect(line).toContain("ECONNREFUSED");
    expect(line).toEndWith("(root@127.0.0.1:1/x)");
    expect(r.out.some((l) => l.includes("migration"))).toBe(false);
    expect(r.sleeps).toEqual([1000, 2000]);
    expect(r.err.length).toBe(2);
    expect(r.err[0]).toStartWith("db connect attempt 1 failed: ");
    expect(r.out.at(-1)).toMatch(/^validate-config: \d+ pass, \d+ warn, 1 fail$/);
  });

  test("a config that does not load: FAIL config parse and exit 1, nothing else probed", async () => {
    const r = await run(configFile('{"AUTH_TOKEN": "x",}'));
    expect(r.code).toBe(1);
    expect(r.out).toEqual([
      expect.stringMatching(/^FAIL config parse: parse config: .*: line 1, column 20: unexpected "}"/),
      "validate-config: 0 pass, 0 warn, 1 fail",
    ]);
  });

  test("a missing config file", async () => {
    const path = join(dir, "absent.json");
    const r = await run(path);
    expect(r.code).toBe(1);
    expect(r.out[0]).toBe(`FAIL config parse: open config: ${path}: no such file or directory`);
  });

  test("a check that throws is one FAIL line naming it", async () => {
    const boom: Check = async function exploding() {
      throw new Error("kaput");
    };
    const r = await run(configFile({}), { checks: [boom] });
    expect(r.out).toEqual(["FAIL exploding: kaput", "validate-config: 0 pass, 0 warn, 1 fail"]);
    expect(r.code).toBe(1);
  });
});

describe("flags", () => {
  test("unknown flags and positionals are usage errors", async () => {
    const path = configFile({});
    await expect(run(path, { args: ["--nope"] })).rejects.toBeInstanceOf(UsageError);
    await expect(run(path, { args: ["extra"] })).rejects.toThrow('unexpected argument "extra"');
    await expect(run(path, { args: ["--require-owner-match=maybe"] })).rejects.toBeInstanceOf(UsageError);
    await expect(run(path, { args: ["--host"] })).rejects.toThrow("flag needs an argument");
  });

  test("--help prints usage and exits 0", async () => {
    const r = await run(configFile({}), { args: ["-h"] });
    expect(r.code).toBe(0);
    expect(r.out[0]).toStartWith("usage: jetmon2 validate-config");
  });

  test("all requirements met: PASS lines", async () => {
    const path = configFile({
      DELIVERY_OWNER_HOST: "deliverer-1",
      EMAIL_TRANSPORT: "smtp",
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: smtp.port,
    });
    const r = await run(path, {
      args: [
        "--host=deliverer-1",
        "--require-owner-match",
        "--require-email-delivery",
        "-require-api-disabled",
      ],
    });
    expect(r.code).toBe(0);
    expect(r.out).toContain('PASS delivery owner matches host "deliverer-1"');
    expect(r.out).toContain('PASS EMAIL_TRANSPORT="smtp" delivers email');
    expect(r.out).toContain("PASS api_port=disabled");
  });

  const requirementCases: Array<[string, Record<string, unknown>, string[], string]> = [
    [
      "owner unset",
      {},
      ["--host", "deliverer-1", "--require-owner-match"],
      'FAIL DELIVERY_OWNER_HOST must be set to "deliverer-1" for single-owner deliverer rollout',
    ],
    [
      "owner mismatch",
      { DELIVERY_OWNER_HOST: "deliverer-2" },
      ["--host=deliverer-1", "--require-owner-match"],
      'FAIL DELIVERY_OWNER_HOST="deliverer-2" does not match deliverer host "deliverer-1"',
    ],
    [
      "blank host",
      { DELIVERY_OWNER_HOST: "x" },
      ["--host= ", "--require-owner-match"],
      "FAIL validated host id is empty",
    ],
    [
      "stub email",
      {},
      ["--require-email-delivery"],
      'FAIL EMAIL_TRANSPORT="stub" does not deliver email; set smtp or wpcom',
    ],
    [
      "api on",
      { API_PORT: 8090 },
      ["--require-api-disabled"],
      "FAIL API_PORT=8090 must be 0 for standalone deliverer config",
    ],
  ];
  for (const [name, cfg, args, line] of requirementCases) {
    test(`requirement: ${name}`, async () => {
      const r = await run(configFile(cfg), { args });
      expect(r.out).toContain(line);
      expect(r.code).toBe(1);
    });
  }

  test("--require-owner-match=false turns the requirement off", async () => {
    const r = await run(configFile({}), { args: ["--require-owner-match=false"] });
    expect(r.code).toBe(0);
  });
});

describe("deliveryOwnerStatus (deliverer reference §2, host-a)", () => {
  const cases: Array<[string, Record<string, unknown>, string, "INFO" | "WARN", string]> = [
    ["{}", {}, "host-a", "INFO", "delivery_workers=disabled api_port=disabled"],
    [
      "api only",
      { API_PORT: 8090 },
      "host-a",
      "WARN",
      'delivery_owner_host is unset; host "host-a" will run delivery workers because API_PORT is enabled',
    ],
    [
      "match",
      { API_PORT: 8090, DELIVERY_OWNER_HOST: " host-a " },
      "host-a",
      "INFO",
      'delivery_owner_host="host-a" matched; delivery workers enabled on this host',
    ],
    [
      "other host",
      { API_PORT: 8090, DELIVERY_OWNER_HOST: "host-a" },
      "host-b",
      "INFO",
      'delivery_owner_host="host-a"; delivery workers disabled on host "host-b"',
    ],
    [
      "owner without api",
      { DELIVERY_OWNER_HOST: "host-a" },
      "host-a",
      "INFO",
      'delivery_owner_host="host-a" ignored because API_PORT is disabled',
    ],
  ];
  for (const [name, cfg, host, level, text] of cases) {
    test(name, () => {
      const c = { API_PORT: 0, DELIVERY_OWNER_HOST: "", ...cfg } as {
        API_PORT: number;
        DELIVERY_OWNER_HOST: string;
      };
      expect(embeddedOwnerStatus(c.API_PORT, c.DELIVERY_OWNER_HOST, host)).toMatchObject({
        level,
        message: text,
      });
    });
  }

  test("the owner line appears in the command output", async () => {
    const r = await run(configFile({ API_PORT: 8090 }), { hostname: "host-z" });
    expect(r.out).toContain(
      'WARN delivery_owner_host is unset; host "host-z" will run delivery workers because API_PORT is enabled',
    );
  });
});

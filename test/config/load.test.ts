import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dbSettingsFromEnv } from "../../src/config/db-env.ts";
import { ConfigError, dbSettingsFromConfig, loadConfig, parseConfig } from "../../src/config/load.ts";
import { CONFIG_KEYS, defaultConfig, keySchema } from "../../src/config/schema.ts";

const dir = mkdtempSync(join(tmpdir(), "jetmon-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const json = (o: Record<string, unknown>) => JSON.stringify({ AUTH_TOKEN: "tok", ...o });
const errorOf = (text: string, env: Record<string, string | undefined> = {}) => {
  try {
    parseConfig(text, env, "cfg.json");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected parseConfig to throw");
};
const warningsOf = (text: string) => parseConfig(text, {}, "cfg.json").warnings;

describe("files", () => {
  test("reads a file; the token, workers, log format and delivery owner are read; projection defaults on", () => {
    const path = join(dir, "ok.json");
    writeFileSync(path, json({ NUM_WORKERS: 7, LOG_FORMAT: "json", DELIVERY_OWNER_HOST: "host-a" }));
    const { config, warnings } = loadConfig(path, {});
    expect(config.AUTH_TOKEN).toBe("tok");
    expect(config.NUM_WORKERS).toBe(7);
    expect(config.LOG_FORMAT).toBe("json");
    expect(config.DELIVERY_OWNER_HOST).toBe("host-a");
    expect(config.LEGACY_STATUS_PROJECTION_ENABLE).toBe(true);
    expect(warnings).toEqual([]);
  });

  test("a missing file: open config: <path>: no such file or directory", () => {
    const path = join(dir, "missing.json");
    expect(() => loadConfig(path, {})).toThrow(`open config: ${path}: no such file or directory`);
  });

  test("a directory: open config: <path>: ...", () => {
    const path = join(dir, "a-dir");
    mkdirSync(path);
    expect(() => loadConfig(path, {})).toThrow(`open config: ${path}: `);
  });

  test("an unreadable file: open config: <path>: permission denied", () => {
    if (process.getuid?.() === 0) return; // root reads anything
    const path = join(dir, "secret.json");
    writeFileSync(path, json({}));
    chmodSync(path, 0o000);
    expect(() => loadConfig(path, {})).toThrow(`open config: ${path}: permission denied`);
  });

  test("the sample config loads cleanly with the stub email transport and a numeric-string verifier port", () => {
    const { config, warnings } = loadConfig(join(import.meta.dir, "../../config/config-sample.json"), {});
    expect(warnings).toEqual([]);
    expect(config.EMAIL_TRANSPORT).toBe("stub");
    expect(config.AUTH_TOKEN).toBe("change-me");
    expect(config.VERIFIERS).toEqual([
      { name: "Veriflier 1", host: "veriflier", port: 7803, auth_token: "change-me-too" },
    ]);
  });

  test("the sample config lists every key that is not deprecated, in schema order", async () => {
    const sample = await Bun.file(join(import.meta.dir, "../../config/config-sample.json")).json();
    expect(Object.keys(sample)).toEqual(CONFIG_KEYS.filter((k) => !keySchema(k).deprecated));
  });

  test("the loaded config is frozen", () => {
    const { config } = parseConfig(json({ VERIFIERS: [{ host: "h", port: 1 }] }));
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.VERIFIERS[0])).toBe(true);
  });

  test("a UTF-8 byte order mark is ignored", () => {
    expect(parseConfig(`\uFEFF${json({ NUM_WORKERS: 5 })}`).config.NUM_WORKERS).toBe(5);
  });

  test("an empty object gets every default except the required token", () => {
    expect(errorOf("{}")).toBe("invalid config: AUTH_TOKEN is required");
    const { config } = parseConfig(json({}));
    expect({ ...config, AUTH_TOKEN: "" }).toEqual(defaultConfig());
  });
});

describe("malformed JSON names the line and column", () => {
  const cases: Array<[string, string]> = [
    ['{\n  "AUTH_TOKEN": "t",\n  "NUM_WORKERS": \n}', 'line 4, column 1: unexpected "}", expected a value'],
    ['{"AUTH_TOKEN": "t",}', 'line 1, column 20: unexpected "}", expected another key (no trailing comma)'],
    ['{"A": 1\n "B": 2}', 'line 2, column 2: unexpected "\\"", expected "," or "}"'],
    ["", "line 1, column 1: unexpected end of file, expected a value"],
    ['{"A": tru}', 'line 1, column 10: unexpected "}", expected "true"'],
    [
      '{\n  // comment\n  "A": 1}',
      'line 2, column 3: unexpected "/", expected a quoted key (JSON has no comments)',
    ],
    ['{"A": [1, 2,]}', 'line 1, column 13: unexpected "]", expected another value (no trailing comma)'],
    ['{"A": "unterminated', 'line 1, column 20: unexpected end of file, expected a closing "'],
    ['{"A": 1} x', 'line 1, column 10: unexpected "x", expected the end of the file'],
    ['{"A": 01}', 'line 1, column 8: unexpected "1", expected "," or "}"'],
    ["{'A': 1}", 'line 1, column 2: unexpected "\'", expected a quoted key'],
  ];
  for (const [text, detail] of cases) {
    test(JSON.stringify(text), () => {
      expect(errorOf(text)).toBe(`parse config: cfg.json: ${detail}`);
    });
  }

  test("the top level must be an object", () => {
    expect(errorOf("[1]")).toBe("parse config: cfg.json: top level must be a JSON object, got an array");
    expect(errorOf("null")).toBe("parse config: cfg.json: top level must be a JSON object, got null");
    expect(errorOf('"x"')).toBe("parse config: cfg.json: top level must be a JSON object, got a string");
  });
});

describe("wrong types and out-of-range values name the key, the value and the expectation", () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ NUM_WORKERS: "60" }, 'NUM_WORKERS: got "60", expected an integer between 1 and 10000'],
    [{ NUM_WORKERS: 7.5 }, "NUM_WORKERS: got 7.5, expected an integer between 1 and 10000"],
    [{ NUM_WORKERS: null }, "NUM_WORKERS: got null, expected an integer between 1 and 10000"],
    [{ NUM_WORKERS: 10001 }, "NUM_WORKERS: got 10001, expected an integer between 1 and 10000"],
    [{ DEBUG: "yes" }, 'DEBUG: got "yes", expected true or false'],
    [
      { LEGACY_STATUS_PROJECTION_ENABLE: 1 },
      "LEGACY_STATUS_PROJECTION_ENABLE: got 1, expected true or false",
    ],
    [{ LOG_FORMAT: 1 }, 'LOG_FORMAT: got 1, expected one of "json", "text"'],
    [{ DASHBOARD_PORT: 70000 }, "DASHBOARD_PORT: got 70000, expected an integer between 0 and 65535"],
    [{ DASHBOARD_PORT: -1 }, "DASHBOARD_PORT: got -1, expected an integer between 0 and 65535"],
    [{ PINNED_BUCKET_MIN: "3" }, 'PINNED_BUCKET_MIN: got "3", expected an integer or null'],
    [{ STATSD_ADDR: "statsd" }, 'STATSD_ADDR: got "statsd", expected host:port, or "" to disable'],
    [
      { WPCOM_STATUS_ENDPOINT: "ftp://x" },
      'WPCOM_STATUS_ENDPOINT: got "ftp://x", expected an http:// or https:// URL',
    ],
    [{ DELIVERY_REPLAY_FROM: -2 }, "DELIVERY_REPLAY_FROM: got -2, expected -1, 0 or a transition id"],
    [
      { STATS_UPDATE_INTERVAL_MS: 0 },
      "STATS_UPDATE_INTERVAL_MS: got 0, expected an integer between 100 and 3600000",
    ],
    [
      { CHECK_HISTORY_RETENTION_HOURS: -1 },
      "CHECK_HISTORY_RETENTION_HOURS: got -1, expected an integer between 0 and 87600",
    ],
    [{ VERIFIERS: {} }, "VERIFIERS: got {}, expected a list of {name, host, port, auth_token}"],
    [{ VERIFIERS: ["v1"] }, 'VERIFIERS[0]: got "v1", expected an object {name, host, port, auth_token}'],
    [{ VERIFIERS: [{ host: 5, port: 1 }] }, "VERIFIERS[0].host: got 5, expected a string"],
    [{ AUTH_TOKEN: 12345 }, "AUTH_TOKEN: got an integer (value hidden), expected a string"],
    [{ SMTP_PASSWORD: ["hunter2"] }, "SMTP_PASSWORD: got an array (value hidden), expected a string"],
    [{ NUM_TO_PROCESS: "x" }, 'NUM_TO_PROCESS: got "x", expected an integer'],
    [{ num_workers: "x" }, 'NUM_WORKERS: got "x", expected an integer between 1 and 10000'],
  ];
  for (const [over, detail] of cases) {
    test(JSON.stringify(over), () => {
      expect(errorOf(json(over))).toBe(`invalid config: ${detail}`);
    });
  }

  test("type errors come before Jetmon 2's rules, range errors after them", () => {
    expect(errorOf(JSON.stringify({ AUTH_TOKEN: "", DEBUG: "x" }))).toBe(
      'invalid config: DEBUG: got "x", expected true or false',
    );
    expect(errorOf(JSON.stringify({ AUTH_TOKEN: "", DASHBOARD_PORT: 70000 }))).toBe(
      "invalid config: AUTH_TOKEN is required",
    );
  });

  test("a long value is shortened", () => {
    const msg = errorOf(json({ NUM_WORKERS: "x".repeat(200) }));
    expect(msg.length).toBeLessThan(200);
    expect(msg).toContain("..., expected an integer");
  });
});

describe("keys", () => {
  test("unknown key: a warning with the nearest key", () => {
    expect(warningsOf(json({ NUM_WORKER: 5 }))).toEqual([
      'unknown config key "NUM_WORKER" (did you mean "NUM_WORKERS"?)',
    ]);
    expect(warningsOf(json({ DASHBORD_PORT: 1 }))).toEqual([
      'unknown config key "DASHBORD_PORT" (did you mean "DASHBOARD_PORT"?)',
    ]);
  });

  test("unknown key with nothing close: a warning without a suggestion", () => {
    expect(warningsOf(json({ SOMETHING_ELSE_ENTIRELY: 1 }))).toEqual([
      'unknown config key "SOMETHING_ELSE_ENTIRELY"',
    ]);
  });

  test("an unknown key's value is not applied", () => {
    expect(parseConfig(json({ NUM_WORKER: 5 })).config.NUM_WORKERS).toBe(60);
  });

  test("keys match case-insensitively, with a warning", () => {
    const { config, warnings } = parseConfig(json({ num_workers: 7, Dashboard_Port: 0 }));
    expect(config.NUM_WORKERS).toBe(7);
    expect(config.DASHBOARD_PORT).toBe(0);
    expect(warnings).toEqual([
      'config key "num_workers" matched "NUM_WORKERS" case-insensitively; write it as "NUM_WORKERS"',
      'config key "Dashboard_Port" matched "DASHBOARD_PORT" case-insensitively; write it as "DASHBOARD_PORT"',
    ]);
  });

  test.each([
    ['{"AUTH_TOKEN":"t","NUM_WORKERS":5,"num_workers":9}', '"NUM_WORKERS" and "num_workers"'],
    ['{"AUTH_TOKEN":"t","num_workers":9,"NUM_WORKERS":5}', '"num_workers" and "NUM_WORKERS"'],
    ['{"AUTH_TOKEN":"t","Stats_Dir":"a","stats_dir":"b"}', '"Stats_Dir" and "stats_dir"'],
  ])("two spellings of one key are an error (Go lets the later win silently): %s", (text, spellings) => {
    expect(() => parseConfig(text)).toThrow(ConfigError);
    expect(() => parseConfig(text)).toThrow(`is given twice, as ${spellings}; keep one (spelled `);
  });

  test("deprecated keys are accepted with a warning each", () => {
    const { warnings } = parseConfig(
      json({
        NUM_TO_PROCESS: 40,
        BATCH_SIZE: 32,
        VERIFLIER_BATCH_SIZE: 200,
        SQL_UPDATE_BATCH: 1,
        DB_CONFIG_UPDATES_MIN: 10,
        TIME_BETWEEN_NOTICES_MIN: 59,
        DEBUG_PORT: 6060,
      }),
    );
    expect(warnings).toEqual([
      'config key "NUM_TO_PROCESS" is deprecated: it is ignored (Jetmon 2 never read it)',
      'config key "BATCH_SIZE" is deprecated: it is ignored (Jetmon 2\'s monitor never read it)',
      'config key "VERIFLIER_BATCH_SIZE" is deprecated: it is ignored (a verifier is asked about one site at a time)',
      'config key "SQL_UPDATE_BATCH" is deprecated: it is ignored (results are always written in batches)',
      'config key "DB_CONFIG_UPDATES_MIN" is deprecated: it is ignored (Jetmon 2 never read it)',
      'config key "TIME_BETWEEN_NOTICES_MIN" is deprecated: it is ignored (ALERT_COOLDOWN_MINUTES limits repeat notifications)',
      'config key "DEBUG_PORT" is deprecated: it is ignored (there is no pprof endpoint in the Bun build)',
    ]);
  });

  test("legacy bucket keys work and warn", () => {
    const { config, warnings } = parseConfig(json({ BUCKET_NO_MIN: 1, BUCKET_NO_MAX: 2 }));
    expect([config.BUCKET_NO_MIN, config.BUCKET_NO_MAX]).toEqual([1, 2]);
    expect(warnings).toEqual([
      'config key "BUCKET_NO_MIN" is deprecated: use PINNED_BUCKET_MIN',
      'config key "BUCKET_NO_MAX" is deprecated: use PINNED_BUCKET_MAX',
    ]);
  });

  test("placeholders left from a template are a warning", () => {
    expect(warningsOf(JSON.stringify({ AUTH_TOKEN: "<AUTH_TOKEN>" }))).toEqual([
      'AUTH_TOKEN looks like an unreplaced placeholder "<AUTH_TOKEN>"',
    ]);
  });

  test('LOG_FORMAT "text" is accepted with a warning', () => {
    const { config, warnings } = parseConfig(json({ LOG_FORMAT: "text" }));
    expect(config.LOG_FORMAT).toBe("text");
    expect(warnings).toEqual(['LOG_FORMAT "text" is accepted, but logs are always JSON lines']);
  });
});

describe("DB_UPDATES_ENABLE alias (reference §8.1)", () => {
  const cases: Array<[Record<string, unknown>, boolean]> = [
    [{}, true],
    [{ LEGACY_STATUS_PROJECTION_ENABLE: false }, false],
    [{ DB_UPDATES_ENABLE: false }, false],
    [{ DB_UPDATES_ENABLE: true }, true],
    [{ DB_UPDATES_ENABLE: false, LEGACY_STATUS_PROJECTION_ENABLE: true }, true],
    [{ DB_UPDATES_ENABLE: true, LEGACY_STATUS_PROJECTION_ENABLE: false }, false],
    // The new key in another case still counts as present (Go's exact-case check did not).
    [{ DB_UPDATES_ENABLE: false, legacy_status_projection_enable: true }, true],
  ];
  for (const [over, want] of cases) {
    test(`${JSON.stringify(over)} -> ${want}`, () => {
      expect(parseConfig(json(over)).config.LEGACY_STATUS_PROJECTION_ENABLE).toBe(want);
    });
  }
  test("the alias warns", () => {
    expect(warningsOf(json({ DB_UPDATES_ENABLE: false }))).toEqual([
      'config key "DB_UPDATES_ENABLE" is deprecated: use LEGACY_STATUS_PROJECTION_ENABLE',
    ]);
  });
});

describe("DB_* environment overrides", () => {
  const file = json({
    DB_HOST: "file-host",
    DB_PORT: 3307,
    DB_USER: "file-user",
    DB_PASSWORD: "pw",
    DB_NAME: "file_db",
  });

  test("without env the file's values are used", () => {
    expect(dbSettingsFromConfig(parseConfig(file).config)).toEqual({
      host: "file-host",
      port: 3307,
      user: "file-user",
      password: "pw",
      database: "file_db",
    });
  });

  test("non-empty env values win over the file; empty ones count as unset", () => {
    const env = {
      DB_HOST: "env-host",
      DB_PORT: "3310",
      DB_USER: "",
      DB_PASSWORD: "secret",
      DB_NAME: undefined,
    };
    expect(dbSettingsFromConfig(parseConfig(file, env).config)).toEqual({
      host: "env-host",
      port: 3310,
      user: "file-user",
      password: "secret",
      database: "file_db",
    });
  });

  test("with no DB keys in the file, the settings equal db-env's for any env", () => {
    const envs = [
      {},
      { DB_HOST: "h", DB_PORT: "1234", DB_USER: "u", DB_PASSWORD: "p", DB_NAME: "n" },
      { DB_HOST: "", DB_PORT: "" },
    ];
    for (const env of envs) {
      expect(dbSettingsFromConfig(parseConfig(json({}), env).config)).toEqual(dbSettingsFromEnv(env));
    }
  });

  test("a bad DB_PORT in the environment is an invalid config naming it", () => {
    expect(errorOf(json({}), { DB_PORT: "abc" })).toBe(
      'invalid config: environment DB_PORT: expected a port number 1-65535, got "abc"',
    );
  });
});

describe("verifier ports", () => {
  const verifiersOf = (v: unknown[]) => parseConfig(json({ VERIFIERS: v })).config.VERIFIERS;

  test("a number, a numeric string and a padded string all become numbers", () => {
    expect(
      verifiersOf([
        { name: "a", host: "h", port: 7803, auth_token: "t" },
        { name: "b", host: "h", port: "7804", auth_token: "t" },
        { name: "c", host: "h", port: " 7805 ", auth_token: "t" },
      ]).map((v) => v.port),
    ).toEqual([7803, 7804, 7805]);
  });

  test("grpc_port is the deprecated alias; port wins", () => {
    const { config, warnings } = parseConfig(
      json({
        VERIFIERS: [
          { name: "a", host: "h", grpc_port: "9000", auth_token: "t" },
          { name: "b", host: "h", port: 7803, grpc_port: 9000, auth_token: "t" },
        ],
      }),
    );
    expect(config.VERIFIERS.map((v) => v.port)).toEqual([9000, 7803]);
    expect(warnings).toEqual([
      "VERIFIERS[0].grpc_port is deprecated: use port",
      "VERIFIERS[1].grpc_port is deprecated: use port",
    ]);
  });

  test("the sample's placeholder is a clear error", () => {
    expect(
      errorOf(json({ VERIFIERS: [{ name: "Veriflier 1", host: "veriflier", port: "<VERIFLIER_PORT>" }] })),
    ).toBe(
      'invalid config: VERIFIERS[0].port: got "<VERIFLIER_PORT>", expected a port number 1-65535 ' +
        "(replace the sample config's placeholder)",
    );
  });

  const bad: Array<[unknown, string]> = [
    ["abc", 'got "abc", expected a port number 1-65535, as a number or a numeric string'],
    [78.5, "got 78.5, expected a port number 1-65535, as a number or a numeric string"],
    [true, "got true, expected a port number 1-65535, as a number or a numeric string"],
    [70000, "got 70000, expected a port number 1-65535"],
    ["70000", "got 70000, expected a port number 1-65535"],
  ];
  for (const [port, detail] of bad) {
    test(`port ${JSON.stringify(port)}`, () => {
      expect(errorOf(json({ VERIFIERS: [{ host: "h", port }] }))).toBe(
        `invalid config: VERIFIERS[0].port: ${detail}`,
      );
    });
  }

  for (const port of [undefined, "", "0", 0, null]) {
    test(`port ${JSON.stringify(port)} -> port is required`, () => {
      expect(errorOf(json({ VERIFIERS: [{ name: "us-west", host: "h", port }] }))).toBe(
        "invalid config: VERIFIERS[0] (us-west): port is required",
      );
    });
  }

  test("verifier fields match case-insensitively and unknown fields warn", () => {
    const { config, warnings } = parseConfig(
      json({ VERIFIERS: [{ Name: "a", HOST: "h", port: 1, auth_token: "t", hots: "x" }] }),
    );
    expect(config.VERIFIERS).toEqual([{ name: "a", host: "h", port: 1, auth_token: "t" }]);
    expect(warnings).toEqual([
      'config key "VERIFIERS[0].Name" matched "VERIFIERS[0].name" case-insensitively; write it as "VERIFIERS[0].name"',
      'config key "VERIFIERS[0].HOST" matched "VERIFIERS[0].host" case-insensitively; write it as "VERIFIERS[0].host"',
      'unknown config key "VERIFIERS[0].hots" (did you mean "VERIFIERS[0].host"?)',
    ]);
  });

  test("an empty or placeholder auth_token is a warning", () => {
    expect(
      warningsOf(
        json({
          VERIFIERS: [
            { name: "a", host: "h", port: 1 },
            { host: "h", port: 2, auth_token: "<VERIFLIER_AUTH_TOKEN>" },
          ],
        }),
      ),
    ).toEqual([
      "VERIFIERS[0] (a): auth_token is empty; the veriflier refuses requests without one",
      'VERIFIERS[1].auth_token looks like an unreplaced placeholder "<VERIFLIER_AUTH_TOKEN>"',
    ]);
  });
});

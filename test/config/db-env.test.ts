import { describe, expect, test } from "bun:test";
import { dbSettingsFromEnv } from "../../src/config/db-env.ts";

const defaults = { host: "localhost", port: 3306, user: "root", password: "", database: "jetmon_db" };

describe("dbSettingsFromEnv", () => {
  test.each([
    ["nothing set gives the reference defaults", {}, defaults],
    [
      "empty values count as unset",
      { DB_HOST: "", DB_PORT: "", DB_USER: "", DB_PASSWORD: "", DB_NAME: "" },
      defaults,
    ],
    [
      "every variable overrides",
      { DB_HOST: "db.internal", DB_PORT: "3307", DB_USER: "jetmon", DB_PASSWORD: "s3cret", DB_NAME: "jm" },
      { host: "db.internal", port: 3307, user: "jetmon", password: "s3cret", database: "jm" },
    ],
    ["a port with surrounding spaces", { DB_PORT: " 3310 " }, { ...defaults, port: 3310 }],
    ["port bounds: 1", { DB_PORT: "1" }, { ...defaults, port: 1 }],
    ["port bounds: 65535", { DB_PORT: "65535" }, { ...defaults, port: 65535 }],
  ] as Array<[string, Record<string, string>, unknown]>)("%s", (_name, env, want) => {
    expect(dbSettingsFromEnv(env)).toEqual(want as never);
  });

  test.each(["abc", "33o6", "3306.5", "-1", "0", "65536", "1e3", "0x10"])(
    "DB_PORT=%p is an error naming it",
    (v) => {
      expect(() => dbSettingsFromEnv({ DB_PORT: v })).toThrow(
        `DB_PORT: expected a port number 1-65535, got ${JSON.stringify(v)}`,
      );
    },
  );
});

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { loadVeriflierConfig, VeriflierConfigError } from "../../src/veriflier/config.ts";

const files = (map: Record<string, string>) => (path: string) => map[path] ?? null;

describe("loadVeriflierConfig", () => {
  test("file with auth_token and port", () => {
    const c = loadVeriflierConfig({}, files({ "config/veriflier.json": '{"auth_token":"t","port":"7900"}' }));
    expect(c).toEqual({
      authToken: "t",
      port: 7900,
      bindAddr: "",
      checkConcurrency: 100,
      source: "config/veriflier.json",
    });
  });

  test("VERIFLIER_CONFIG names the file; numeric port and check_concurrency accepted", () => {
    const c = loadVeriflierConfig(
      { VERIFLIER_CONFIG: "/etc/v.json" },
      files({ "/etc/v.json": '{"auth_token":"t","port":7901,"check_concurrency":20}' }),
    );
    expect(c).toMatchObject({ port: 7901, checkConcurrency: 20, source: "/etc/v.json" });
  });

  test("legacy grpc_port is used when port is absent; port wins when both", () => {
    expect(
      loadVeriflierConfig({}, files({ "config/veriflier.json": '{"auth_token":"t","grpc_port":"7902"}' }))
        .port,
    ).toBe(7902);
    expect(
      loadVeriflierConfig(
        {},
        files({ "config/veriflier.json": '{"auth_token":"t","port":"1","grpc_port":"2"}' }),
      ).port,
    ).toBe(1);
  });

  test("no file: env, with VERIFLIER_GRPC_PORT and then 7803 as fallbacks", () => {
    expect(loadVeriflierConfig({ VERIFLIER_AUTH_TOKEN: "t" }, files({}))).toEqual({
      authToken: "t",
      port: 7803,
      bindAddr: "",
      checkConcurrency: 100,
      source: null,
    });
    expect(
      loadVeriflierConfig({ VERIFLIER_AUTH_TOKEN: "t", VERIFLIER_GRPC_PORT: "7000" }, files({})).port,
    ).toBe(7000);
    expect(
      loadVeriflierConfig(
        { VERIFLIER_AUTH_TOKEN: "t", VERIFLIER_PORT: "7001", VERIFLIER_GRPC_PORT: "7000" },
        files({}),
      ).port,
    ).toBe(7001);
  });

  test("env overrides the file", () => {
    const c = loadVeriflierConfig(
      { VERIFLIER_AUTH_TOKEN: "envtok", VERIFLIER_PORT: "8000", VERIFLIER_CHECK_CONCURRENCY: "7" },
      files({ "config/veriflier.json": '{"auth_token":"filetok","port":"7900"}' }),
    );
    expect(c).toMatchObject({ authToken: "envtok", port: 8000, checkConcurrency: 7 });
  });

  const refusals: Array<[string, Record<string, string>, Record<string, string>, string]> = [
    [
      "empty token (file)",
      {},
      { "config/veriflier.json": '{"port":"7900"}' },
      "VERIFLIER_AUTH_TOKEN is not set",
    ],
    ["empty token (env)", {}, {}, "VERIFLIER_AUTH_TOKEN is not set"],
    [
      "empty port in the file",
      { VERIFLIER_AUTH_TOKEN: "t" },
      { "config/veriflier.json": '{"port":""}' },
      "VERIFLIER_PORT is not set",
    ],
    [
      "no port in the file",
      {},
      { "config/veriflier.json": '{"auth_token":"t"}' },
      "VERIFLIER_PORT is not set",
    ],
    ["malformed JSON", {}, { "config/veriflier.json": "{nope" }, "config/veriflier.json: invalid JSON"],
    ["wrong type", {}, { "config/veriflier.json": '{"auth_token":5}' }, "config/veriflier.json: auth_token:"],
    [
      "bad port",
      { VERIFLIER_AUTH_TOKEN: "t", VERIFLIER_PORT: "http" },
      {},
      'port: expected a number from 1 to 65535, got "http"',
    ],
    ["port too big", { VERIFLIER_AUTH_TOKEN: "t", VERIFLIER_PORT: "70000" }, {}, 'got "70000"'],
    [
      "bad concurrency",
      { VERIFLIER_AUTH_TOKEN: "t", VERIFLIER_CHECK_CONCURRENCY: "0" },
      {},
      "VERIFLIER_CHECK_CONCURRENCY",
    ],
  ];
  for (const [label, env, fs, message] of refusals) {
    test(`refuses: ${label}`, () => {
      expect(() => loadVeriflierConfig(env, files(fs))).toThrow(VeriflierConfigError);
      expect(() => loadVeriflierConfig(env, files(fs))).toThrow(message);
    });
  }
});

describe("--config and VERIFLIER_BIND_ADDR", () => {
  test("--config names the file and beats VERIFLIER_CONFIG; bind_addr from the file, env overrides", () => {
    const read = files({
      "/etc/jetmon2/veriflier.json": '{"auth_token":"t","port":7901,"bind_addr":"10.0.0.5"}',
      "/etc/v.json": '{"auth_token":"other","port":1}',
    });
    const c = loadVeriflierConfig({ VERIFLIER_CONFIG: "/etc/v.json" }, read, "/etc/jetmon2/veriflier.json");
    expect(c).toMatchObject({
      authToken: "t",
      port: 7901,
      bindAddr: "10.0.0.5",
      source: "/etc/jetmon2/veriflier.json",
    });
    const env = loadVeriflierConfig(
      { VERIFLIER_BIND_ADDR: " 127.0.0.1 " },
      read,
      "/etc/jetmon2/veriflier.json",
    );
    expect(env.bindAddr).toBe("127.0.0.1");
  });
  test("a --config file that does not exist is an error, not a silent fall back to env", () => {
    expect(() => loadVeriflierConfig({ VERIFLIER_AUTH_TOKEN: "t" }, files({}), "/nope.json")).toThrow(
      "cannot read /nope.json: ENOENT (given by --config)",
    );
  });

  test("config/veriflier-sample.json loads, and pairs with the verifier in config/config-sample.json", async () => {
    const root = join(import.meta.dir, "../..");
    const path = join(root, "config/veriflier-sample.json");
    expect(loadVeriflierConfig({}, undefined, path)).toEqual({
      authToken: "change-me-too",
      port: 7803,
      bindAddr: "",
      checkConcurrency: 100,
      source: path,
    });
    const monitorSample = await Bun.file(join(root, "config/config-sample.json")).json();
    const sample = await Bun.file(path).json();
    expect(monitorSample.VERIFIERS[0]).toMatchObject({ port: sample.port, auth_token: sample.auth_token });
  });
});

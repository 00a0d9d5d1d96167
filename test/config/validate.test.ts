import { describe, expect, test } from "bun:test";
import { parseConfig } from "../../src/config/load.ts";
import { type Config, defaultConfig } from "../../src/config/schema.ts";
import {
  emailTransportLabel,
  firstRuleViolation,
  pinnedBucketRange,
  verifierDisplayName,
} from "../../src/config/validate.ts";

/** The base config of Go's TestValidate: valid as is. */
function base(over: Partial<Config> = {}): Config {
  return {
    ...defaultConfig(),
    AUTH_TOKEN: "tok",
    NUM_WORKERS: 10,
    BUCKET_TOTAL: 100,
    BUCKET_TARGET: 50,
    NET_COMMS_TIMEOUT: 10,
    LOG_FORMAT: "text",
    ...over,
  };
}

const verifier = (over: Partial<Config["VERIFIERS"][number]> = {}) => ({
  name: "us-west",
  host: "v1.example",
  port: 7803,
  auth_token: "t",
  ...over,
});

// [name, overrides, expected first violation or undefined]
const cases: Array<[string, Partial<Config>, string | undefined]> = [
  ["base config is valid", {}, undefined],
  ["empty token", { AUTH_TOKEN: "" }, "AUTH_TOKEN is required"],
  ["blank token", { AUTH_TOKEN: "  " }, "AUTH_TOKEN is required"],
  ["workers 0", { NUM_WORKERS: 0 }, "NUM_WORKERS must be > 0"],
  ["workers -1", { NUM_WORKERS: -1 }, "NUM_WORKERS must be > 0"],
  ["total 0", { BUCKET_TOTAL: 0 }, "BUCKET_TOTAL must be > 0"],
  ["target 0", { BUCKET_TARGET: 0 }, "BUCKET_TARGET must be between 1 and BUCKET_TOTAL"],
  ["target 101 > total 100", { BUCKET_TARGET: 101 }, "BUCKET_TARGET must be between 1 and BUCKET_TOTAL"],
  ["target = total", { BUCKET_TARGET: 100 }, undefined],
  ["pinned 10-19", { PINNED_BUCKET_MIN: 10, PINNED_BUCKET_MAX: 19 }, undefined],
  ["legacy 10-19", { BUCKET_NO_MIN: 10, BUCKET_NO_MAX: 19 }, undefined],
  [
    "pinned min without max",
    { PINNED_BUCKET_MIN: 10 },
    "PINNED_BUCKET_MIN and PINNED_BUCKET_MAX must be set together",
  ],
  [
    "pinned max without min",
    { PINNED_BUCKET_MAX: 19 },
    "PINNED_BUCKET_MIN and PINNED_BUCKET_MAX must be set together",
  ],
  ["legacy min without max", { BUCKET_NO_MIN: 10 }, "BUCKET_NO_MIN and BUCKET_NO_MAX must be set together"],
  ["legacy max without min", { BUCKET_NO_MAX: 10 }, "BUCKET_NO_MIN and BUCKET_NO_MAX must be set together"],
  ["pinned 20-19", { PINNED_BUCKET_MIN: 20, PINNED_BUCKET_MAX: 19 }, "pinned bucket max must be >= min"],
  ["pinned -1-5", { PINNED_BUCKET_MIN: -1, PINNED_BUCKET_MAX: 5 }, "pinned bucket min must be >= 0"],
  [
    "pinned 90-100 with total 100",
    { PINNED_BUCKET_MIN: 90, PINNED_BUCKET_MAX: 100 },
    "pinned bucket max must be < BUCKET_TOTAL",
  ],
  [
    "legacy 90-100 with total 100",
    { BUCKET_NO_MIN: 90, BUCKET_NO_MAX: 100 },
    "pinned bucket max must be < BUCKET_TOTAL",
  ],
  [
    "pinned and legacy disagree",
    { PINNED_BUCKET_MIN: 10, PINNED_BUCKET_MAX: 19, BUCKET_NO_MIN: 20, BUCKET_NO_MAX: 29 },
    "PINNED_BUCKET_* conflicts with legacy BUCKET_NO_* range",
  ],
  [
    "pinned and legacy agree",
    { PINNED_BUCKET_MIN: 10, PINNED_BUCKET_MAX: 19, BUCKET_NO_MIN: 10, BUCKET_NO_MAX: 19 },
    undefined,
  ],
  ["timeout 0", { NET_COMMS_TIMEOUT: 0 }, "NET_COMMS_TIMEOUT must be > 0"],
  ["timeout -1", { NET_COMMS_TIMEOUT: -1 }, "NET_COMMS_TIMEOUT must be > 0"],
  ["log format xml", { LOG_FORMAT: "xml" }, "LOG_FORMAT must be 'text' or 'json'"],
  ["log format json", { LOG_FORMAT: "json" }, undefined],
  ["bind 0.0.0.0", { DASHBOARD_BIND_ADDR: "0.0.0.0" }, undefined],
  ["email stub", { EMAIL_TRANSPORT: "stub" }, undefined],
  ['email ""', { EMAIL_TRANSPORT: "" }, undefined],
  ["email smtp", { EMAIL_TRANSPORT: "smtp", SMTP_HOST: "mail", SMTP_PORT: 25 }, undefined],
  ["email wpcom", { EMAIL_TRANSPORT: "wpcom", WPCOM_EMAIL_ENDPOINT: "https://x.test/mail" }, undefined],
  ["email sendmail", { EMAIL_TRANSPORT: "sendmail" }, "EMAIL_TRANSPORT must be one of: stub, smtp, wpcom"],
  ["history all", { CHECK_HISTORY_MODE: "all" }, undefined],
  ["history changes", { CHECK_HISTORY_MODE: "changes" }, undefined],
  ["history off", { CHECK_HISTORY_MODE: "off" }, undefined],
  [
    "history sometimes",
    { CHECK_HISTORY_MODE: "sometimes" },
    "CHECK_HISTORY_MODE must be one of: all, changes, off",
  ],
  [
    "smtp without host",
    { EMAIL_TRANSPORT: "smtp", SMTP_PORT: 25 },
    "SMTP_HOST is required when EMAIL_TRANSPORT is 'smtp'",
  ],
  [
    "smtp without port",
    { EMAIL_TRANSPORT: "smtp", SMTP_HOST: "mail" },
    "SMTP_PORT must be > 0 when EMAIL_TRANSPORT is 'smtp'",
  ],
  [
    "wpcom without endpoint",
    { EMAIL_TRANSPORT: "wpcom" },
    "WPCOM_EMAIL_ENDPOINT is required when EMAIL_TRANSPORT is 'wpcom'",
  ],
  ["verifier ok", { VERIFIERS: [verifier()] }, undefined],
  [
    "verifier without host",
    { VERIFIERS: [verifier({ host: "" })] },
    "VERIFIERS[0] (us-west): host is required",
  ],
  [
    "unnamed verifier without port",
    { VERIFIERS: [verifier(), verifier({ name: "", port: 0 })] },
    "VERIFIERS[1] (verifier #1): port is required",
  ],
  // Order: the first failing rule wins.
  ["token before workers", { AUTH_TOKEN: "", NUM_WORKERS: 0 }, "AUTH_TOKEN is required"],
  ["timeout before log format", { NET_COMMS_TIMEOUT: 0, LOG_FORMAT: "xml" }, "NET_COMMS_TIMEOUT must be > 0"],
  [
    "email before verifiers",
    { EMAIL_TRANSPORT: "x", VERIFIERS: [verifier({ host: "" })] },
    "EMAIL_TRANSPORT must be one of: stub, smtp, wpcom",
  ],
];

describe("firstRuleViolation (reference §8.4/§8.5)", () => {
  for (const [name, over, want] of cases) {
    test(name, () => {
      expect(firstRuleViolation(base(over))).toBe(want);
    });
  }
});

describe("the same rules through parseConfig", () => {
  test("a rule violation is `invalid config: <message>`", () => {
    expect(() => parseConfig(JSON.stringify({ AUTH_TOKEN: "" }))).toThrow(
      "invalid config: AUTH_TOKEN is required",
    );
    expect(() => parseConfig(JSON.stringify({ AUTH_TOKEN: "t", NUM_WORKERS: 0 }))).toThrow(
      "invalid config: NUM_WORKERS must be > 0",
    );
    expect(() => parseConfig(JSON.stringify({ AUTH_TOKEN: "t", LOG_FORMAT: "xml" }))).toThrow(
      "invalid config: LOG_FORMAT must be 'text' or 'json'",
    );
  });

  test("Go's minimal config is valid and its blank bind address becomes 127.0.0.1", () => {
    const { config } = parseConfig(
      JSON.stringify({
        AUTH_TOKEN: "t",
        NUM_WORKERS: 10,
        BUCKET_TOTAL: 100,
        BUCKET_TARGET: 50,
        NET_COMMS_TIMEOUT: 10,
        LOG_FORMAT: "text",
        DASHBOARD_BIND_ADDR: "  ",
      }),
    );
    expect(config.DASHBOARD_BIND_ADDR).toBe("127.0.0.1");
  });

  test("0.0.0.0 stays as written", () => {
    expect(
      parseConfig(JSON.stringify({ AUTH_TOKEN: "t", DASHBOARD_BIND_ADDR: "0.0.0.0" })).config
        .DASHBOARD_BIND_ADDR,
    ).toBe("0.0.0.0");
  });
});

describe("pinnedBucketRange", () => {
  test("both forms set: the PINNED pair", () => {
    expect(
      pinnedBucketRange(
        base({ PINNED_BUCKET_MIN: 10, PINNED_BUCKET_MAX: 19, BUCKET_NO_MIN: 10, BUCKET_NO_MAX: 19 }),
      ),
    ).toEqual({ min: 10, max: 19 });
  });
  test("only the legacy form: the BUCKET_NO pair", () => {
    expect(pinnedBucketRange(base({ BUCKET_NO_MIN: 20, BUCKET_NO_MAX: 29 }))).toEqual({ min: 20, max: 29 });
  });
  test("neither: null (dynamic)", () => {
    expect(pinnedBucketRange(base())).toBeNull();
  });
  test("half a pair: null", () => {
    expect(pinnedBucketRange(base({ PINNED_BUCKET_MIN: 3 }))).toBeNull();
  });
  test("bucket 0 counts as set", () => {
    expect(pinnedBucketRange(base({ PINNED_BUCKET_MIN: 0, PINNED_BUCKET_MAX: 0 }))).toEqual({
      min: 0,
      max: 0,
    });
  });
});

describe("helpers", () => {
  test("verifierDisplayName", () => {
    expect(verifierDisplayName({ name: "us-west" }, 0)).toBe("us-west");
    expect(verifierDisplayName({ name: "" }, 2)).toBe("verifier #2");
  });

  const labels: Array<[string, string, boolean]> = [
    ["", "stub", false],
    ["stub", "stub", false],
    ["smtp", "smtp", true],
    ["wpcom", "wpcom", true],
    ["sendmail", "sendmail", false],
  ];
  for (const [transport, label, delivers] of labels) {
    test(`email label ${JSON.stringify(transport)} -> ${label}/${delivers}`, () => {
      expect(emailTransportLabel({ EMAIL_TRANSPORT: transport })).toEqual({ label, delivers });
    });
  }
});

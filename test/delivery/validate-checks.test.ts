import { describe, expect, test } from "bun:test";
import { deliveryValidateChecks } from "../../src/delivery/validate-checks.ts";

const all = { requireOwnerMatch: true, requireEmailDelivery: true, requireApiDisabled: true };
const none = { requireOwnerMatch: false, requireEmailDelivery: false, requireApiDisabled: false };
const cfg = (
  o: Partial<{ DELIVERY_OWNER_HOST: string; EMAIL_TRANSPORT: string; API_PORT: number }> = {},
) => ({
  DELIVERY_OWNER_HOST: "deliverer-1",
  EMAIL_TRANSPORT: "smtp",
  API_PORT: 0,
  ...o,
});
const fails = (lines: { level: string; text: string }[]) =>
  lines.filter((l) => l.level === "FAIL").map((l) => l.text);

describe("deliverer validate-config lines", () => {
  test("owner deliverer-1, smtp, all requirements: no failures; lines in order", () => {
    expect(deliveryValidateChecks(cfg(), { host: "deliverer-1", ...all })).toEqual([
      { level: "INFO", text: 'deliverer_host="deliverer-1"' },
      { level: "INFO", text: "email_transport=smtp" },
      { level: "PASS", text: "api_port=disabled" },
      {
        level: "INFO",
        text: 'delivery_owner_host="deliverer-1" matched; delivery workers enabled on this host',
      },
    ]);
  });
  test("stub transport and an API port warn", () => {
    const lines = deliveryValidateChecks(cfg({ EMAIL_TRANSPORT: "", API_PORT: 8090 }), {
      host: "deliverer-1",
      ...none,
    });
    expect(lines).toContainEqual({
      level: "WARN",
      text: "email_transport=stub; alert-contact emails will be logged but not delivered",
    });
    expect(lines).toContainEqual({
      level: "WARN",
      text: "api_port=8090; standalone deliverer ignores API_PORT, confirm this is a process-specific config",
    });
    expect(fails(lines)).toEqual([]);
  });
  test.each([
    [
      { DELIVERY_OWNER_HOST: "" },
      "deliverer-1",
      'DELIVERY_OWNER_HOST must be set to "deliverer-1" for single-owner deliverer rollout',
    ],
    [
      { DELIVERY_OWNER_HOST: "deliverer-2" },
      "deliverer-1",
      'DELIVERY_OWNER_HOST="deliverer-2" does not match deliverer host "deliverer-1"',
    ],
    [
      { EMAIL_TRANSPORT: "stub" },
      "deliverer-1",
      'EMAIL_TRANSPORT="stub" does not deliver email; set smtp or wpcom',
    ],
    [{ API_PORT: 8090 }, "deliverer-1", "API_PORT=8090 must be 0 for standalone deliverer config"],
    [{}, " ", "validated host id is empty"],
  ])("%p on host %p fails: %p", (c, host, msg) => {
    expect(fails(deliveryValidateChecks(cfg(c), { host, ...all }))).toEqual([msg]);
  });
  test("requirements are only checked when asked", () => {
    expect(
      fails(
        deliveryValidateChecks(cfg({ DELIVERY_OWNER_HOST: "", EMAIL_TRANSPORT: "stub", API_PORT: 1 }), {
          host: "h",
          ...none,
        }),
      ),
    ).toEqual([]);
  });
});

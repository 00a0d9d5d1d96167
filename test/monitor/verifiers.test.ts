import { expect, test } from "bun:test";
import type { Verifier as VerifierConfig } from "../../src/config/schema.ts";
import { VerifierSet, verifierFromConfig } from "../../src/monitor/verifiers.ts";

const v = (o: Partial<VerifierConfig> = {}): VerifierConfig => ({
  name: "v1",
  host: "127.0.0.1",
  port: 7803,
  auth_token: "t",
  ...o,
});

test("clients are reused while the config is unchanged and rebuilt when a token changes", () => {
  let built = 0;
  const set = new VerifierSet((c) => {
    built++;
    return verifierFromConfig(c);
  });
  const a = set.current([v(), v({ name: "v2", port: 7804 })]);
  expect(built).toBe(2);
  expect(set.current([v(), v({ name: "v2", port: 7804 })])).toBe(a);
  expect(built).toBe(2);
  const b = set.current([v({ auth_token: "new" }), v({ name: "v2", port: 7804 })]);
  expect(b).not.toBe(a);
  expect(built).toBe(4);
  expect(set.current([])).toEqual([]);
});

test("address is host:port; an unnamed verifier is called by it", () => {
  expect(verifierFromConfig(v()).address).toBe("127.0.0.1:7803");
  expect(verifierFromConfig(v({ name: " " })).name).toBe("127.0.0.1:7803");
});

import { describe, expect, it } from "bun:test";
import { hostIdentity } from "../../src/host-identity.ts";

describe("hostIdentity", () => {
  const cases: [string, Record<string, string | undefined>, string, string][] = [
    ["JETMON_HOSTNAME wins", { JETMON_HOSTNAME: "mon-1" }, "os-host", "mon-1"],
    ["JETMON_HOSTNAME is trimmed", { JETMON_HOSTNAME: "  mon-1 \n" }, "os-host", "mon-1"],
    ["blank JETMON_HOSTNAME falls back to the OS", { JETMON_HOSTNAME: "  " }, "os-host", "os-host"],
    ["unset falls back to the OS", {}, "os-host", "os-host"],
    ["no OS name either", {}, " ", "unknown"],
  ];
  for (const [name, env, os, want] of cases) {
    it(name, () => expect(hostIdentity(env, () => os)).toBe(want));
  }
});

describe("log lines", () => {
  it("carry hostname (the host identity) and version", async () => {
    const { VERSION } = await import("../../src/version.ts");
    const script = `import { log } from ${JSON.stringify(`${import.meta.dir}/../../src/log.ts`)}; log.info("hello");`;
    const p = Bun.spawnSync([process.execPath, "-e", script], {
      env: { ...process.env, JETMON_HOSTNAME: "mon-7" },
    });
    const line = JSON.parse(p.stdout.toString().trim());
    expect(line).toMatchObject({ level: "info", msg: "hello", hostname: "mon-7", version: VERSION });
  });
});

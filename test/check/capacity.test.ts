import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
  BUN_DEFAULT_FETCH_CAP,
  DNS_TTL_ENV,
  ensureFetchCapacity,
  FETCH_CAP_ENV,
  parseCap,
  REEXEC_MARKER_ENV,
  reexecArgv,
} from "../../src/check/capacity.ts";
import { runToEnd } from "../support/spawn.ts";

describe("parseCap", () => {
  const cases: Array<[string | undefined, number]> = [
    [undefined, BUN_DEFAULT_FETCH_CAP],
    ["", BUN_DEFAULT_FETCH_CAP],
    ["1000", 1000],
    [" 512 ", 512],
    ["0", BUN_DEFAULT_FETCH_CAP],
    ["65535", 65535],
    ["70000", BUN_DEFAULT_FETCH_CAP],
    ["12abc", BUN_DEFAULT_FETCH_CAP],
    ["-5", BUN_DEFAULT_FETCH_CAP],
  ];
  for (const [raw, want] of cases) test(String(raw), () => expect(parseCap(raw)).toBe(want));
});

describe("reexecArgv", () => {
  test("a script run keeps bun flags and the script path", () => {
    expect(
      reexecArgv(["/usr/bin/bun", "/app/src/main.ts", "--mode=monitor"], ["--smol"], "/usr/bin/bun"),
    ).toEqual(["/usr/bin/bun", "--smol", "/app/src/main.ts", "--mode=monitor"]);
  });
  test("a compiled binary drops the embedded entry path", () => {
    expect(reexecArgv(["bun", "/$bunfs/root/jetmon2", "--mode=veriflier"], [], "/opt/jetmon2")).toEqual([
      "/opt/jetmon2",
      "--mode=veriflier",
    ]);
  });
});

describe("ensureFetchCapacity", () => {
  test("a DNS cache lifetime asked for and not in the environment: re-executes with it, cap kept", () => {
    const calls: Record<string, string>[] = [];
    ensureFetchCapacity(300, {
      current: 1000,
      env: { PATH: "/bin" },
      dnsTtlSeconds: 0,
      exec: (_p, _a, e) => calls.push(e),
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.[DNS_TTL_ENV]).toBe("0");
    expect(calls[0]?.[FETCH_CAP_ENV]).toBe("1000");
  });

  test("the operator's DNS cache lifetime is kept: no exec when the cap suffices", () => {
    let execs = 0;
    const env = { [DNS_TTL_ENV]: "5" };
    expect(ensureFetchCapacity(300, { current: 1000, env, dnsTtlSeconds: 0, exec: () => execs++ })).toBe(
      1000,
    );
    expect(execs).toBe(0);
  });

  test("enough already: no exec", () => {
    let execs = 0;
    expect(ensureFetchCapacity(300, { current: 1000, exec: () => execs++ })).toBe(1000);
    expect(execs).toBe(0);
  });

  test("too low: re-executes with the variable and the loop guard set", () => {
    const calls: Array<{ path: string; argv: string[]; env: Record<string, string> }> = [];
    const got = ensureFetchCapacity(700.2, {
      current: 256,
      env: { PATH: "/bin", UNSET: undefined },
      exec: (path, argv, env) => {
        calls.push({ path, argv, env });
      },
    });
    expect(got).toBe(256); // the injected exec "failed" by returning
    expect(calls).toHaveLength(1);
    expect(calls[0]!.path).toBe(process.execPath);
    expect(calls[0]!.env).toEqual({ PATH: "/bin", [FETCH_CAP_ENV]: "701", [REEXEC_MARKER_ENV]: "1" });
  });

  test("caps the request at 65535", () => {
    let env: Record<string, string> = {};
    ensureFetchCapacity(1e9, {
      current: 256,
      env: {},
      exec: (_p, _a, e) => {
        env = e;
      },
    });
    expect(env[FETCH_CAP_ENV]).toBe("65535");
  });

  test("already re-executed: never loops", () => {
    let execs = 0;
    const got = ensureFetchCapacity(1000, {
      current: 256,
      env: { [REEXEC_MARKER_ENV]: "1" },
      exec: () => execs++,
    });
    expect(got).toBe(256);
    expect(execs).toBe(0);
  });

  test("a failing exec is survived", () => {
    const got = ensureFetchCapacity(1000, {
      current: 256,
      env: {},
      exec: () => {
        throw new Error("no libc");
      },
    });
    expect(got).toBe(256);
  });

  test("end to end: more than 256 checks in flight at once after the re-exec", async () => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && k !== FETCH_CAP_ENV && k !== REEXEC_MARKER_ENV) env[k] = v;
    }
    const { out, err, code } = await runToEnd(
      [process.execPath, join(import.meta.dir, "inflight-child.ts")],
      { env },
    );
    expect({ code, err }).toEqual({ code: 0, err: "" });
    const report = JSON.parse(out.trim().split("\n").at(-1)!);
    expect(report).toEqual({ reexeced: true, cap: 350, peak: 300, releasedBy: "count", ok: 300 });
  }, 30_000);
});

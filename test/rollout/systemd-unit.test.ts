/**
 * host-preflight checks the installed unit against what the shipped units in deploy/systemd/
 * rely on (issue 14): --config, WorkingDirectory, KillSignal, TimeoutStopSec, ExecReload; an
 * absent unit is one clear FAIL line; drop-ins count; other jetmon2*.service units are checked too.
 */
import { beforeEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkUnit, serviceKeys, timeSpanSec } from "../../src/rollout/systemd-unit.ts";
import { useTestDatabase } from "../support/db.ts";
import { pinned, resetTables, runner, seedSites, spread } from "./harness.ts";

const shipped = (name: string) => readFileSync(join(import.meta.dir, "../../deploy/systemd", name), "utf8");
const MONITOR = shipped("jetmon2.service");
const UNIT = "/etc/systemd/system/jetmon2.service";

describe("checkUnit (pure)", () => {
  test("every shipped unit meets its own expectations", () => {
    for (const [name, mode] of [
      ["jetmon2.service", "monitor"],
      ["jetmon2-deliverer.service", "deliverer"],
      ["jetmon2-veriflier.service", "veriflier"],
    ] as const) {
      const r = checkUnit(name, [shipped(name)]);
      expect(r).toMatchObject({
        facts: { mode, workingDirectory: "/var/lib/jetmon2", killSignal: "SIGTERM" },
      });
    }
  });

  const edit = (from: string, to: string) => {
    expect(MONITOR).toContain(from);
    return MONITOR.replace(from, to);
  };
  test.each([
    [
      "no --config",
      edit("--config /etc/jetmon2/config.json ", ""),
      "u: ExecStart has no --config; jetmon2 would read config/config.json relative to WorkingDirectory (the shipped unit passes --config /etc/jetmon2/config.json)",
    ],
    [
      "no WorkingDirectory",
      edit("WorkingDirectory=/var/lib/jetmon2\n", ""),
      "u: WorkingDirectory is not set to an absolute path; LOG_DIR and STATS_DIR resolve under it (the shipped unit uses /var/lib/jetmon2)",
    ],
    [
      "KillSignal that does not drain",
      edit("KillSignal=SIGTERM", "KillSignal=SIGKILL"),
      "u: KillSignal=SIGKILL does not drain; use SIGTERM (jetmon2 drains on SIGTERM and SIGINT)",
    ],
    [
      "TimeoutStopSec no longer than the drain",
      edit("TimeoutStopSec=35s", "TimeoutStopSec=30s"),
      "u: TimeoutStopSec=30s is not longer than the 30 s drain; systemd would kill jetmon2 before it writes stopped (the shipped unit uses 35s)",
    ],
    [
      "a monitor reloading by kill -HUP",
      edit("ExecReload=/opt/jetmon2/jetmon2 reload --wait=10s", "ExecReload=/bin/kill -HUP $MAINPID"),
      "u: ExecReload=/bin/kill -HUP $MAINPID; a monitor reloads through `jetmon2 reload`, which fails the reload when the new config is rejected (the shipped unit: ExecReload=/opt/jetmon2/jetmon2 reload --wait=10s)",
    ],
    [
      "not a jetmon2",
      edit("ExecStart=/opt/jetmon2/jetmon2", "ExecStart=/usr/bin/jetmon"),
      "u: ExecStart does not run jetmon2 (/usr/bin/jetmon --config /etc/jetmon2/config.json --mode=monitor)",
    ],
  ])("%s", (_name, text, problem) => {
    expect(checkUnit("u", [text])).toEqual({ problem });
  });

  test("a drop-in overrides the unit; an empty assignment resets", () => {
    const r = checkUnit("u", [MONITOR, "[Service]\nTimeoutStopSec=\nKillSignal=SIGINT\n"]);
    expect(r).toMatchObject({ facts: { killSignal: "SIGINT", timeoutStopSec: "default" } });
    expect(checkUnit("u", [MONITOR, "[Service]\nTimeoutStopSec=10\n"])).toHaveProperty("problem");
  });

  test("the monitor must start with the config this gate read", () => {
    expect(checkUnit("u", [MONITOR], "/etc/jetmon2/config.json")).toHaveProperty("facts");
    expect(checkUnit("u", [MONITOR], "config/config.json")).toEqual({
      problem:
        "u: the monitor starts with --config /etc/jetmon2/config.json, but this gate read config/config.json; run it with --config /etc/jetmon2/config.json",
    });
  });

  test("keys come from [Service] only; time spans as systemd writes them", () => {
    expect(serviceKeys(["[Unit]\nKillSignal=SIGKILL\n[Service]\nUser=x\n"])).toEqual(
      new Map([["User", "x"]]),
    );
    expect([timeSpanSec("35s"), timeSpanSec("1min 30s"), timeSpanSec("90"), timeSpanSec("2m")]).toEqual([
      35, 90, 90, 120,
    ]);
    expect(timeSpanSec("infinity")).toBe(Number.POSITIVE_INFINITY);
    expect(timeSpanSec("soon")).toBeNaN();
  });
});

describe("host-preflight ## systemd unit", () => {
  const t = useTestDatabase();
  const run = runner(() => t.db);
  beforeEach(() => resetTables(t.db));
  const PLAN = "host,bucket_min,bucket_max\njetmon-v1-a,0,4\njetmon-v1-b,5,9\n";
  const cfg = pinned(0, 4, { BUCKET_TOTAL: 10 });
  const args = ["host-preflight", "--file=ranges.csv", "--host=jetmon-v1-a", "--runtime-host=v2-a"];
  const range = ["--bucket-min=0", "--bucket-max=4"];

  test("no unit installed: one clear FAIL line, before systemd-analyze runs", async () => {
    await seedSites(t.db, spread(0, 4, 5, 1));
    const calls: string[] = [];
    const r = await run([...args, ...range], {
      cfg,
      files: { "ranges.csv": PLAN },
      systemd: (u) => {
        calls.push(u);
        return { output: "" };
      },
    });
    expect(r.code).toBe(1);
    expect(r.out.at(-1)).toBe("");
    expect(r.out.at(-2)).toBe("## systemd unit");
    expect(r.err).toEqual([
      `FAIL systemd unit ${UNIT} is not installed (open ${UNIT}: no such file or directory); install deploy/systemd/jetmon2.service there, or pass --systemd-unit=<path> or --skip-systemd`,
    ]);
    expect(calls).toEqual([]);
  });

  test("a drifted drop-in, or a deliverer unit beside it that would not drain, fails the gate", async () => {
    await seedSites(t.db, spread(0, 4, 5, 1));
    const dropIn = await run([...args, ...range], {
      cfg,
      files: {
        "ranges.csv": PLAN,
        [UNIT]: MONITOR,
        [`${UNIT}.d/override.conf`]: "[Service]\nTimeoutStopSec=20s\n",
      },
    });
    expect(dropIn.code).toBe(1);
    expect(dropIn.err[0]).toStartWith(`FAIL ${UNIT}: TimeoutStopSec=20s is not longer than the 30 s drain`);
    const deliverer = "/etc/systemd/system/jetmon2-deliverer.service";
    const sibling = await run([...args, ...range], {
      cfg,
      files: {
        "ranges.csv": PLAN,
        [UNIT]: MONITOR,
        [deliverer]: shipped("jetmon2-deliverer.service").replace("KillSignal=SIGTERM", "KillSignal=SIGKILL"),
      },
    });
    expect(sibling.code).toBe(1);
    expect(sibling.err).toEqual([
      `FAIL ${deliverer}: KillSignal=SIGKILL does not drain; use SIGTERM (jetmon2 drains on SIGTERM and SIGINT)`,
    ]);
  });

  test("the gate read a different config than the unit starts with", async () => {
    await seedSites(t.db, spread(0, 4, 5, 1));
    const r = await run([...args, ...range], {
      cfg,
      configPath: "/home/op/config.json",
      files: { "ranges.csv": PLAN, [UNIT]: MONITOR },
    });
    expect(r.err).toEqual([
      `FAIL ${UNIT}: the monitor starts with --config /etc/jetmon2/config.json, but this gate read /home/op/config.json; run it with --config /etc/jetmon2/config.json`,
    ]);
  });
});

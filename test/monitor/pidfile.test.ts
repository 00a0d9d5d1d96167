import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEFAULT_PID_FILE,
  inspectPidFile,
  pidFilePath,
  processAlive,
  readPidFile,
  removePidFile,
  writePidFile,
} from "../../src/monitor/pidfile.ts";

const dir = mkdtempSync(join(tmpdir(), "jetmon-pid-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pid file", () => {
  test("path from env, empty counts as unset", () => {
    expect(pidFilePath({})).toBe(DEFAULT_PID_FILE);
    expect(pidFilePath({ JETMON_PID_FILE: "" })).toBe(DEFAULT_PID_FILE);
    expect(pidFilePath({ JETMON_PID_FILE: "/tmp/x.pid" })).toBe("/tmp/x.pid");
  });

  test("write creates parent dirs and holds '<pid>\\n'", () => {
    const path = join(dir, "a/b/jetmon2.pid");
    writePidFile(path, 12345);
    expect(readFileSync(path, "utf8")).toBe("12345\n");
    expect(statSync(path).mode & 0o777).toBe(0o644);
    expect(readPidFile(path)).toBe(12345);
  });

  test("read accepts surrounding whitespace", () => {
    const path = join(dir, "ws.pid");
    writeFileSync(path, "  777\n");
    expect(readPidFile(path)).toBe(777);
  });

  test("read errors name the path", () => {
    const missing = join(dir, "nope.pid");
    expect(() => readPidFile(missing)).toThrow(`read pid file ${missing}:`);
    expect(() => readPidFile(missing)).toThrow("(is jetmon2 running?)");
    for (const bad of ["0\n", "abc\n", "-3\n", "12x\n", ""]) {
      const path = join(dir, "bad.pid");
      writeFileSync(path, bad);
      expect(() => readPidFile(path)).toThrow(`invalid pid in ${path}`);
    }
  });

  test("remove deletes only our own file", () => {
    const path = join(dir, "own.pid");
    writePidFile(path, 4242);
    expect(removePidFile(path, 1)).toBe(false);
    expect(existsSync(path)).toBe(true);
    expect(removePidFile(path, 4242)).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect(removePidFile(path, 4242)).toBe(false);
  });

  test("processAlive: self yes, an unused pid no", () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(2 ** 22 + 17)).toBe(false);
  });

  test("inspect: missing, invalid, stale, running", () => {
    const path = join(dir, "inspect.pid");
    expect(inspectPidFile(path).state).toBe("missing");
    writeFileSync(path, "zero\n");
    expect(inspectPidFile(path).state).toBe("invalid");
    writePidFile(path, 99999);
    const stale = inspectPidFile(path, () => false);
    expect(stale.state).toBe("stale");
    expect(stale.message).toContain("stale pid file");
    expect(stale.message).toContain("99999");
    writePidFile(path, process.pid);
    expect(inspectPidFile(path)).toMatchObject({ state: "running", pid: process.pid });
  });
});

import { afterAll, describe, expect, it } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliContext } from "../../src/cli/context.ts";
import { drainCommand, makeDrainCommand, reloadCommand, statusCommand } from "../../src/cli/control.ts";
import { isJetmon2CommandLine, processAlive, processCommandLine } from "../../src/monitor/pidfile.ts";

const dir = mkdtempSync(join(tmpdir(), "jetmon2-control-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ctx(args: string[], env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const c: CliContext = {
    args,
    configPath: join(dir, "absent.json"),
    env,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  };
  return { c, out, err };
}

/** A real process standing in for the monitor: SIGHUP is survived, SIGINT exits unless told to ignore it. */
function fakeMonitor(opts: { ignoreInt?: boolean } = {}) {
  const script = `
    process.on("SIGHUP", () => console.log("hup"));
    process.on("SIGINT", () => { ${opts.ignoreInt ? "" : "process.exit(0);"} });
    console.log("ready");
    setInterval(() => {}, 1000);
  `;
  // Named jetmon2 the way a compiled binary is: control commands refuse anything else.
  const proc = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", argv0: "jetmon2" });
  return proc;
}

async function ready(proc: ReturnType<typeof fakeMonitor>) {
  const reader = proc.stdout.getReader();
  const { value } = await reader.read();
  expect(new TextDecoder().decode(value)).toContain("ready");
  reader.releaseLock();
}

function pidFile(content: string): string {
  const p = join(dir, `pid-${Math.random().toString(36).slice(2)}`);
  writeFileSync(p, content);
  return p;
}

describe("drain", () => {
  it("signals a live monitor and waits for it to exit", async () => {
    const proc = fakeMonitor();
    await ready(proc);
    const { c, out, err } = ctx([], { JETMON_PID_FILE: pidFile(`${proc.pid}\n`) });
    expect(await drainCommand(c)).toBe(0);
    expect(out).toEqual([
      `SIGINT sent to pid ${proc.pid} — jetmon2 will drain and exit`,
      `pid ${proc.pid} exited`,
    ]);
    expect(err).toEqual([]);
    expect(await proc.exited).toBe(0);
  });

  it("reports a process that did not react within --wait", async () => {
    const proc = fakeMonitor({ ignoreInt: true });
    await ready(proc);
    try {
      const { c, err } = ctx(["--wait=300ms"], { JETMON_PID_FILE: pidFile(`${proc.pid}`) });
      expect(await makeDrainCommand()(c)).toBe(1);
      expect(err).toEqual([`drain: pid ${proc.pid} still running after 0.3s; check its log for "drain"`]);
    } finally {
      proc.kill("SIGKILL");
    }
  });

  it.each([
    [
      "missing",
      () => join(dir, "nope.pid"),
      /^drain: read pid file .*nope\.pid: .* \(is jetmon2 running\?\)$/,
    ],
    ["garbage", () => pidFile("abc"), /^drain: invalid pid in /],
    ["zero", () => pidFile("0\n"), /^drain: invalid pid in /],
  ])("refuses a %s pid file without signalling anything", async (_name, path, message) => {
    const { c, out, err } = ctx([], { JETMON_PID_FILE: path() });
    expect(await drainCommand(c)).toBe(1);
    expect(out).toEqual([]);
    expect(err[0]).toMatch(message);
  });

  it("reports a stale pid file (the process is gone)", async () => {
    const proc = Bun.spawn([process.execPath, "-e", "0"]);
    await proc.exited;
    const path = pidFile(`${proc.pid}\n`);
    const { c, err } = ctx([], { JETMON_PID_FILE: path });
    expect(await drainCommand(c)).toBe(1);
    expect(err).toEqual([
      `drain: stale pid file ${path}: pid ${proc.pid} is not running (jetmon2 exited without cleanup; remove the file)`,
    ]);
  });

  it("rejects unknown flags as a usage error", async () => {
    const { c } = ctx(["--now"], { JETMON_PID_FILE: pidFile("1") });
    await expect(drainCommand(c)).rejects.toThrow('unknown argument "--now"');
  });
});

describe("reload", () => {
  /** A stand-in monitor that answers SIGHUP the way the real one does: through reload-outcome.ts. */
  function reloadingMonitor(pidPath: string, answer: "accepted" | "rejected" | "silent") {
    const mod = JSON.stringify(join(import.meta.dir, "../../src/monitor/reload-outcome.ts"));
    const result =
      answer === "accepted"
        ? `{ ok: true, warnings: [], changed: ["NUM_WORKERS", "DASHBOARD_PORT"], restartRequired: ["DASHBOARD_PORT"] }`
        : `{ ok: false, error: new Error("config/config.json: NUM_WORKERS: expected an integer, got \\"x\\"") }`;
    const script = `
      import { writeReloadOutcome } from ${mod};
      process.on("SIGHUP", () => { ${answer === "silent" ? "" : `writeReloadOutcome(${JSON.stringify(`${pidPath}.reload`)}, ${result});`} });
      console.log("ready");
      setInterval(() => {}, 1000);
    `;
    return Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", argv0: "jetmon2" });
  }

  it("waits for the process to accept the reload and prints what changed", async () => {
    const path = join(dir, `acc-${Math.random().toString(36).slice(2)}.pid`);
    const proc = reloadingMonitor(path, "accepted");
    await ready(proc);
    try {
      writeFileSync(path, `${proc.pid}\n`);
      const { c, out, err } = ctx([], { JETMON_PID_FILE: path });
      expect(await reloadCommand(c)).toBe(0);
      expect(out).toEqual([
        `SIGHUP sent to pid ${proc.pid}`,
        `reload: accepted by pid ${proc.pid}; changed: NUM_WORKERS,DASHBOARD_PORT`,
        "reload: restart needed to apply: DASHBOARD_PORT",
      ]);
      expect(err).toEqual([]);
      // A second reload waits for a newer answer, not the one already on disk.
      const again = ctx([], { JETMON_PID_FILE: path });
      expect(await reloadCommand(again.c)).toBe(0);
      expect(JSON.parse(readFileSync(`${path}.reload`, "utf8")).seq).toBe(2);
    } finally {
      proc.kill("SIGKILL");
    }
  });

  it("a rejected reload exits 1 with the process's reason", async () => {
    const path = join(dir, `rej-${Math.random().toString(36).slice(2)}.pid`);
    const proc = reloadingMonitor(path, "rejected");
    await ready(proc);
    try {
      writeFileSync(path, `${proc.pid}\n`);
      const { c, err } = ctx([], { JETMON_PID_FILE: path });
      expect(await reloadCommand(c)).toBe(1);
      expect(err).toEqual([
        `reload: rejected by pid ${proc.pid}: config/config.json: NUM_WORKERS: expected an integer, got "x"; the old config stays`,
      ]);
    } finally {
      proc.kill("SIGKILL");
    }
  });

  it("no answer within --wait exits 1", async () => {
    const path = join(dir, `sil-${Math.random().toString(36).slice(2)}.pid`);
    const proc = reloadingMonitor(path, "silent");
    await ready(proc);
    try {
      writeFileSync(path, `${proc.pid}\n`);
      const { c, err } = ctx(["--wait=300ms"], { JETMON_PID_FILE: path });
      expect(await reloadCommand(c)).toBe(1);
      expect(err).toEqual([
        `reload: pid ${proc.pid} gave no reload outcome within 0.3s (${path}.reload); check its log for "config reload"`,
      ]);
    } finally {
      proc.kill("SIGKILL");
    }
  });

  it("reports a process that died of SIGHUP", async () => {
    const proc = Bun.spawn([process.execPath, "-e", "console.log('ready'); setInterval(() => {}, 1000)"], {
      stdout: "pipe",
      argv0: "jetmon2",
    });
    await ready(proc);
    const { c, err } = ctx([], { JETMON_PID_FILE: pidFile(`${proc.pid}`) });
    expect(await reloadCommand(c)).toBe(1);
    expect(err).toEqual([
      `reload: pid ${proc.pid} exited after SIGHUP; it was not a running jetmon2 monitor`,
    ]);
  });
});

describe("only a jetmon2 is signalled", () => {
  it.each([
    [["jetmon2", "--mode=monitor"], true],
    [["/usr/local/bin/jetmon2-linux-x64", "--config", "c.json"], true],
    [["bun", "src/main.ts", "--mode=monitor"], true],
    [["/usr/bin/bun", "/srv/jetmon2/src/main.ts"], true],
    [["sleep", "300"], false],
    [["bun", "-e", "x"], false],
    [["/bin/sh", "-c", "jetmon2"], false],
    [[], false],
    [null, false],
  ])("%p -> %p", (argv, want) => expect(isJetmon2CommandLine(argv)).toBe(want));

  it.each(["drain", "reload"] as const)(
    "%s refuses a live pid that is not jetmon2, and the process lives",
    async (cmd) => {
      const sleeper = Bun.spawn(["sleep", "30"]);
      while ((processCommandLine(sleeper.pid) ?? [])[0] !== "sleep") await Bun.sleep(10);
      try {
        const { c, out, err } = ctx([], { JETMON_PID_FILE: pidFile(`${sleeper.pid}\n`) });
        expect(await (cmd === "drain" ? drainCommand : reloadCommand)(c)).toBe(1);
        expect(out).toEqual([]);
        expect(err).toEqual([
          `${cmd}: pid ${sleeper.pid} in ${c.env.JETMON_PID_FILE} is "sleep 30", not jetmon2; refusing to signal it (remove the stale pid file)`,
        ]);
        expect(processAlive(sleeper.pid)).toBe(true);
      } finally {
        sleeper.kill();
      }
    },
  );
});

describe("status", () => {
  function dashboard(summary: unknown, opts: { hostStatus?: number } = {}) {
    return Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => {
        const path = new URL(req.url).pathname;
        if (path === "/api/state") return Response.json({ bucket_min: 0 });
        if (path === "/api/host") {
          return Response.json(
            { state: { bucket_min: 0 }, health: null, summary },
            { status: opts.hostStatus ?? 200 },
          );
        }
        return new Response("", { status: 404 });
      },
    });
  }
  const envFor = (port: number | undefined) => ({
    DASHBOARD_HOST: "127.0.0.1",
    DASHBOARD_PORT: String(port),
    JETMON_PID_FILE: join(dir, "none.pid"),
  });

  it("prints the dashboard's /api/state body, the verdict on stderr, and exits 0 when green", async () => {
    const server = dashboard({ status: "green", message: "host checks are green" });
    try {
      const { c, out, err } = ctx([], envFor(server.port));
      expect(await statusCommand(c)).toBe(0);
      expect(out).toEqual(['{"bucket_min":0}']);
      expect(err[0]).toBe("status: green: host checks are green");
      expect(err[1]).toMatch(/^status: warning: read pid file/);
    } finally {
      server.stop(true);
    }
  });

  it.each([
    ["green", 0],
    ["amber", 1],
    ["red", 2],
  ])("%p exits %p; --output=json prints the /api/host document", async (verdict, code) => {
    const summary = { status: verdict, message: "m", issues: ["mysql red: down"] };
    const server = dashboard(summary);
    try {
      const { c, out, err } = ctx(["--output=json"], envFor(server.port));
      expect(await statusCommand(c)).toBe(code);
      expect(JSON.parse(out[0]!)).toEqual({ state: { bucket_min: 0 }, health: null, summary });
      expect(err.filter((l) => !l.includes("warning"))).toEqual([]);
      const text = ctx([], envFor(server.port));
      expect(await statusCommand(text.c)).toBe(code);
      expect(text.err.slice(0, 2)).toEqual([`status: ${verdict}: m`, "status:   mysql red: down"]);
    } finally {
      server.stop(true);
    }
  });

  it("a pid file naming a live process that is not jetmon2 is reported as such, never as jetmon2", async () => {
    const sleeper = Bun.spawn(["sleep", "30"]);
    while ((processCommandLine(sleeper.pid) ?? [])[0] !== "sleep") await Bun.sleep(10);
    const server = dashboard({ status: "green", message: "host checks are green" });
    try {
      const pidEnv = { JETMON_PID_FILE: pidFile(`${sleeper.pid}\n`) };
      const answered = ctx([], { ...envFor(server.port), ...pidEnv });
      expect(await statusCommand(answered.c)).toBe(0);
      const line = `pid ${sleeper.pid} in ${pidEnv.JETMON_PID_FILE} is "sleep 30", not jetmon2 (remove the stale pid file)`;
      expect(answered.err).toEqual(["status: green: host checks are green", `status: warning: ${line}`]);
      const gone = ctx([], { DASHBOARD_HOST: "127.0.0.1", DASHBOARD_PORT: "1", ...pidEnv });
      expect(await statusCommand(gone.c)).toBe(3);
      expect(gone.err[1]).toBe(`status: ${line}`);
      expect(processAlive(sleeper.pid)).toBe(true);
    } finally {
      server.stop(true);
      sleeper.kill();
    }
  });

  it("an answer without a summary is not a verdict: exit 3", async () => {
    const server = dashboard(undefined);
    try {
      const { c, out, err } = ctx([], envFor(server.port));
      expect(await statusCommand(c)).toBe(3);
      expect(out).toEqual([]);
      expect(err[0]).toContain("no summary status in the answer");
    } finally {
      server.stop(true);
    }
  });

  it("fails clearly with exit 3 when nothing listens", async () => {
    const { c, err } = ctx([], {
      DASHBOARD_HOST: "127.0.0.1",
      DASHBOARD_PORT: "1",
      JETMON_PID_FILE: join(dir, "x.pid"),
    });
    expect(await statusCommand(c)).toBe(3);
    expect(err[0]).toStartWith("status: http://127.0.0.1:1: ");
  });

  it("--output takes text or json only", async () => {
    const { c } = ctx(["--output=yaml"], envFor(1));
    await expect(statusCommand(c)).rejects.toThrow(
      'invalid value "yaml" for flag --output: want text or json',
    );
  });
});

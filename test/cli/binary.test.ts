import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mysql from "mysql2/promise";
import { build } from "../../build.ts";
import { MODES, SUBCOMMANDS } from "../../src/cli/commands.ts";
import { GATES } from "../../src/rollout/commands.ts";
import { createDatabase, dropDatabase } from "../support/db.ts";

// The compiled binary, run from an empty directory: nothing beside it, migrations embedded.
let dir: string;
let bin: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "jetmon2-bin-"));
  [bin] = (await build({ hostOnly: true, outdir: join(dir, "dist"), log: () => {} })) as [string];
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runBin(args: string[], env: Record<string, string> = {}) {
  const cwd = mkdtempSync(join(dir, "cwd-"));
  const p = Bun.spawnSync([bin, ...args], { cwd, env: { PATH: process.env.PATH ?? "", ...env } });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

describe("compiled jetmon2", () => {
  it("prints its version with the commit and build date baked in", () => {
    const r = runBin(["version"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^jetmon2 \d+\.\d+\.\d+ \(commit ([0-9a-f]{7,}|unknown), built \d{4}-\d\d-\d\dT\S+Z, bun \d+\.\d+\.\d+\)\n$/,
    );
    expect(r.out).not.toContain("built unknown");
  });

  it("refuses a typo instead of starting a monitor", () => {
    const r = runBin(["--mode=monitr"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown mode "monitr"');
  });

  it("migrates a database from a directory with no files beside it, then is a no-op", async () => {
    const db = await createDatabase("jtbin");
    try {
      const env = {
        DB_HOST: db.host,
        DB_PORT: String(db.port),
        DB_USER: db.user,
        DB_PASSWORD: db.password,
        DB_NAME: db.database,
      };
      const first = runBin(["migrate"], env);
      expect(first.err).toBe("");
      expect(first.code).toBe(0);
      expect(first.out).toContain("applying migration 2");
      expect(first.out).toContain("applying migration 26");
      expect(first.out.trim().split("\n").at(-1)).toBe("migrations applied successfully");
      const second = runBin(["migrate"], env);
      expect(second.code).toBe(0);
      expect(second.out).not.toContain("applying migration");
    } finally {
      await dropDatabase(db.database);
    }
  }, 60_000);

  it("runs a monitor whose embedded dashboard, fleet page and heartbeat work, and drains on SIGTERM", async () => {
    const db = await createDatabase("jtbinmon");
    try {
      const env = {
        DB_HOST: db.host,
        DB_PORT: String(db.port),
        DB_USER: db.user,
        DB_PASSWORD: db.password,
        DB_NAME: db.database,
      };
      expect(runBin(["migrate"], env).code).toBe(0);
      const cwd = mkdtempSync(join(dir, "mon-"));
      const port = freePort();
      const config = join(cwd, "config.json");
      await Bun.write(
        config,
        JSON.stringify({
          AUTH_TOKEN: "t",
          DASHBOARD_PORT: port,
          STATSD_ADDR: "",
          STATS_UPDATE_INTERVAL_MS: 200,
        }),
      );
      const proc = Bun.spawn([bin, "--mode=monitor", "--config", config], {
        cwd,
        env: {
          PATH: process.env.PATH ?? "",
          ...env,
          JETMON_PID_FILE: join(cwd, "pid"),
          JETMON_HOSTNAME: "bin-host",
        },
        stdout: "pipe",
        stderr: "pipe",
      });
      let host: { summary?: { status: string } } = {};
      // Up to 30 s: on a loaded shared machine the first answer can take more than 10 s.
      for (let i = 0; i < 300 && !host.summary; i++) {
        await Bun.sleep(100);
        host = await fetch(`http://127.0.0.1:${port}/api/host`)
          .then((r) => r.json() as Promise<typeof host>)
          .catch(() => ({}));
      }
      expect(["green", "amber", "red"]).toContain(host.summary!.status);
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain("Host dashboard");
      expect((await fetch(`http://127.0.0.1:${port}/fleet`)).status).toBe(200);
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
      const out = await new Response(proc.stdout).text();
      const lines = out
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { msg: string });
      expect(lines.map((l) => l.msg)).toContain("shutdown complete");
      const conn = await mysql.createConnection({ ...db });
      const [rows] = await conn.query(
        "SELECT state FROM jetmon_process_health WHERE process_id = 'bin-host:monitor'",
      );
      await conn.end();
      expect(rows as unknown).toEqual([{ state: "stopped" }]);
    } finally {
      await dropDatabase(db.database);
    }
  }, 60_000);
});

function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

describe("compiled jetmon2: operator paths (issue 14)", () => {
  it.each([
    [["--mode=monitor", "--help"], "usage: jetmon2 [--config PATH] [--mode=monitor]"],
    [["delivery-check", "-h"], "usage: jetmon2 delivery-check"],
    [["--version"], "jetmon2 "],
    [["rollout", "--help"], "usage: jetmon2 rollout <"],
  ])("%p exits 0 with its usage", (args, first) => {
    const r = runBin(args);
    expect(r.code).toBe(0);
    expect(r.out).toStartWith(first);
  });

  it("every mode, subcommand and gate in the tables answers --help with exit 0 and starts nothing", () => {
    const all = [
      ...Object.keys(MODES).map((m) => [`--mode=${m}`]),
      ...Object.keys(SUBCOMMANDS).map((c) => [c]),
      ...GATES.map((g) => ["rollout", g.name]),
    ];
    const failed = all
      .map((argv) => ({
        argv,
        r: runBin([...argv, "--help"], { DB_PORT: "1", JETMON_PID_FILE: "/nonexistent/pid" }),
      }))
      .filter(({ r }) => r.code !== 0 || !`${r.out}${r.err}`.toLowerCase().includes("usage"))
      .map(({ argv, r }) => `${argv.join(" ")}: exit ${r.code}`);
    expect(failed).toEqual([]);
  }, 60_000);

  it("rollout without a gate is a usage error (exit 2); status with nothing running exits 3", () => {
    expect(runBin(["rollout"]).code).toBe(2);
    const s = runBin(["status"], { DASHBOARD_PORT: String(freePort()), JETMON_PID_FILE: "/nonexistent/pid" });
    expect(s.code).toBe(3);
  });

  it("a taken dashboard port stops start-up with the address and the reason", () => {
    const holder = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const cwd = mkdtempSync(join(dir, "taken-"));
      const config = join(cwd, "config.json");
      writeFileSync(config, JSON.stringify({ AUTH_TOKEN: "t", DASHBOARD_PORT: holder.port }));
      const r = runBin(["--mode=monitor", "--config", config], { DB_PORT: "1" });
      expect(r.code).toBe(1);
      expect(r.err).toContain(
        `dashboard: cannot listen on 127.0.0.1:${holder.port}: address already in use (EADDRINUSE); free the port or change DASHBOARD_PORT (0 disables it)`,
      );
    } finally {
      holder.stop(true);
    }
  });

  it("a second spelling of a config key stops start-up, naming both", () => {
    const cwd = mkdtempSync(join(dir, "dup-"));
    const config = join(cwd, "config.json");
    writeFileSync(config, JSON.stringify({ AUTH_TOKEN: "t", NUM_WORKERS: 4, num_workers: 8 }));
    const r = runBin(["--mode=monitor", "--config", config], { DB_PORT: "1" });
    expect(r.code).toBe(1);
    expect(r.err).toContain('NUM_WORKERS is given twice, as "NUM_WORKERS" and "num_workers"; keep one');
  });

  it("VERIFLIER_BIND_ADDR alone picks the veriflier's listen address", async () => {
    const cwd = mkdtempSync(join(dir, "vfenv-"));
    const port = freePort();
    const config = join(cwd, "veriflier.json");
    await Bun.write(config, JSON.stringify({ auth_token: "tok", port }));
    const proc = Bun.spawn([bin, "--mode=veriflier", "--config", config], {
      cwd,
      env: { PATH: process.env.PATH ?? "", VERIFLIER_BIND_ADDR: "127.0.22.1" },
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        await Bun.sleep(100);
        status = await fetch(`http://127.0.22.1:${port}/status`)
          .then((r) => r.status)
          .catch(() => 0);
      }
      expect(status).toBe(200);
      // Not on every interface: the same port on 127.0.0.1 has no listener.
      expect(
        await fetch(`http://127.0.0.1:${port}/status`).then(
          () => "answered",
          () => "refused",
        ),
      ).toBe("refused");
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
    }
  }, 30_000);

  it("the veriflier takes --config and VERIFLIER_BIND_ADDR", async () => {
    const cwd = mkdtempSync(join(dir, "vf-"));
    const port = freePort();
    const config = join(cwd, "veriflier.json");
    await Bun.write(config, JSON.stringify({ auth_token: "tok", port, bind_addr: "127.0.0.1" }));
    const proc = Bun.spawn([bin, "--mode=veriflier", "--config", config], {
      cwd,
      env: { PATH: process.env.PATH ?? "" },
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        await Bun.sleep(100);
        status = await fetch(`http://127.0.0.1:${port}/status`)
          .then((r) => r.status)
          .catch(() => 0);
      }
      expect(status).toBe(200);
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
    }
  }, 30_000);

  it("a fresh monitor opens GREEN: folders made, StatsD and verifiers disabled; status, readyz, reload and drain tell the truth", async () => {
    const db = await createDatabase("jtbinop");
    try {
      const env = {
        DB_HOST: db.host,
        DB_PORT: String(db.port),
        DB_USER: db.user,
        DB_PASSWORD: db.password,
        DB_NAME: db.database,
      };
      expect(runBin(["migrate"], env).code).toBe(0);
      const cwd = mkdtempSync(join(dir, "green-"));
      const port = freePort();
      const config = join(cwd, "config.json");
      const good = {
        AUTH_TOKEN: "t",
        DASHBOARD_PORT: port,
        STATSD_ADDR: "",
        STATS_UPDATE_INTERVAL_MS: 200,
        BUCKET_TARGET: 1000,
        NO_SUCH_KEY: 1,
      };
      await Bun.write(config, JSON.stringify(good));
      const ctlEnv = {
        PATH: process.env.PATH ?? "",
        ...env,
        JETMON_PID_FILE: join(cwd, "pid"),
        JETMON_HOSTNAME: "op-host",
      };
      const proc = Bun.spawn([bin, "--mode=monitor", "--config", config], {
        cwd,
        env: ctlEnv,
        stdout: "pipe",
        stderr: "pipe",
      });
      // Read the logs as they come: a full pipe would block the monitor's synchronous logger.
      const logText = new Response(proc.stdout).text();
      // Async, so this process keeps draining the monitor's log pipe while a command waits.
      const ctl = async (args: string[]) => {
        const p = Bun.spawn([bin, "--config", config, ...args], {
          cwd,
          env: ctlEnv,
          stdout: "pipe",
          stderr: "pipe",
        });
        const [out, err, code] = await Promise.all([
          new Response(p.stdout).text(),
          new Response(p.stderr).text(),
          p.exited,
        ]);
        return { code, out, err };
      };
      let host: {
        summary?: { status: string; issues?: string[] };
        health?: { name: string; status: string }[];
      } = {};
      for (let i = 0; i < 150 && host.summary?.status !== "green"; i++) {
        await Bun.sleep(100);
        host = await fetch(`http://127.0.0.1:${port}/api/host`)
          .then((r) => r.json() as Promise<typeof host>)
          .catch(() => ({}));
      }
      expect(host.summary).toMatchObject({ status: "green" });
      const byName = Object.fromEntries((host.health ?? []).map((d) => [d.name, d.status]));
      expect(byName).toMatchObject({
        statsd: "disabled",
        verifliers: "disabled",
        "disk:logs": "green",
        "disk:stats": "green",
      });
      expect(statSync(join(cwd, "logs")).isDirectory()).toBe(true);
      expect(statSync(join(cwd, "stats")).isDirectory()).toBe(true);
      expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      const prom = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(prom.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      expect(await prom.text()).toMatch(/^# TYPE jetmon_\w+ (counter|gauge|summary)$/m);

      const status = await ctl(["status", "--output=json"]);
      expect(status.code).toBe(0);
      expect(JSON.parse(status.out).summary.status).toBe("green");

      await Bun.write(config, "{ not json");
      const rejected = await ctl(["reload"]);
      expect(rejected.code).toBe(1);
      expect(rejected.err).toContain("reload: rejected by pid ");
      expect(rejected.err).toContain("parse config");
      await Bun.write(config, JSON.stringify({ ...good, NUM_WORKERS: 7 }));
      const accepted = await ctl(["reload"]);
      expect(accepted.err).toBe("");
      expect(accepted.out).toContain("reload: accepted by pid ");
      expect(accepted.out).toContain("changed: NUM_WORKERS");
      expect(accepted.code).toBe(0);

      const drained = await ctl(["drain"]);
      expect(drained.err).toBe("");
      expect(drained.code).toBe(0);
      expect(await proc.exited).toBe(0);
      const lines = (await logText)
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { msg: string; hostname: string; version: string });
      expect(
        lines.every((l) => l.hostname === "op-host" && typeof l.version === "string" && l.version !== ""),
      ).toBe(true);
      // Loaded once at start (unknown key), then once per reload that parsed: never twice per load.
      expect(lines.filter((l) => l.msg === "config warning")).toHaveLength(2);
    } finally {
      await dropDatabase(db.database);
    }
  }, 90_000);

  it("host-preflight checks the installed unit: absent is one FAIL line; the shipped unit passes", async () => {
    const db = await createDatabase("jtbinpre");
    try {
      const env = {
        DB_HOST: db.host,
        DB_PORT: String(db.port),
        DB_USER: db.user,
        DB_PASSWORD: db.password,
        DB_NAME: db.database,
      };
      expect(runBin(["migrate"], env).code).toBe(0);
      const cwd = mkdtempSync(join(dir, "pre-"));
      const config = join(cwd, "config.json");
      writeFileSync(
        config,
        JSON.stringify({
          AUTH_TOKEN: "t",
          BUCKET_TOTAL: 10,
          BUCKET_TARGET: 10,
          PINNED_BUCKET_MIN: 0,
          PINNED_BUCKET_MAX: 4,
          LEGACY_STATUS_PROJECTION_ENABLE: true,
        }),
      );
      writeFileSync(join(cwd, "ranges.csv"), "host,bucket_min,bucket_max\nv1-a,0,4\nv1-b,5,9\n");
      const gate = (unit: string) =>
        runBin(
          [
            "--config",
            config,
            "rollout",
            "host-preflight",
            `--file=${join(cwd, "ranges.csv")}`,
            "--host=v1-a",
            "--runtime-host=v2-a",
            "--bucket-min=0",
            "--bucket-max=4",
            `--systemd-unit=${unit}`,
          ],
          env,
        );
      const absent = join(cwd, "jetmon2.service");
      const none = gate(absent);
      expect(none.code).toBe(1);
      expect(none.err).toContain(`FAIL systemd unit ${absent} is not installed (open ${absent}: `);
      const text = readFileSync(join(import.meta.dir, "../../deploy/systemd/jetmon2.service"), "utf8")
        .replaceAll("/opt/jetmon2/jetmon2", bin)
        .replaceAll("/etc/jetmon2/config.json", config);
      writeFileSync(absent, text);
      const ok = gate(absent);
      expect(ok.err).toBe("");
      expect(ok.out).toContain(
        `PASS systemd_unit_expectations=${absent} mode=monitor config=${config} working_directory=/var/lib/jetmon2 kill_signal=SIGTERM timeout_stop_sec=35s exec_reload=jetmon2-reload`,
      );
      expect(ok.code).toBe(0);
      writeFileSync(absent, text.replace("KillSignal=SIGTERM", "KillSignal=SIGKILL"));
      const bad = gate(absent);
      expect(bad.code).toBe(1);
      expect(bad.err).toContain(`FAIL ${absent}: KillSignal=SIGKILL does not drain`);
    } finally {
      await dropDatabase(db.database);
    }
  }, 60_000);

  it("JETMON_HOSTNAME is the host for validate-config, the rollout gates and delivery-check too", async () => {
    const db = await createDatabase("jtbinid");
    try {
      const env = {
        DB_HOST: db.host,
        DB_PORT: String(db.port),
        DB_USER: db.user,
        DB_PASSWORD: db.password,
        DB_NAME: db.database,
        JETMON_HOSTNAME: "ident-host",
      };
      expect(runBin(["migrate"], env).code).toBe(0);
      const config = join(mkdtempSync(join(dir, "id-")), "config.json");
      writeFileSync(
        config,
        JSON.stringify({
          AUTH_TOKEN: "t",
          DELIVERY_OWNER_HOST: "ident-host",
          BUCKET_TOTAL: 10,
          BUCKET_TARGET: 10,
          PINNED_BUCKET_MIN: 0,
          PINNED_BUCKET_MAX: 9,
          LEGACY_STATUS_PROJECTION_ENABLE: true,
        }),
      );
      const validate = runBin(["--config", config, "validate-config", "--require-owner-match"], env);
      expect(validate.out).toContain('PASS delivery owner matches host "ident-host"');
      expect(validate.code).toBe(0);
      expect(runBin(["--config", config, "rollout", "pinned-check"], env).out).toContain(
        'PASS jetmon_hosts row absent host="ident-host"',
      );
      expect(runBin(["--config", config, "delivery-check"], env).out).toContain(
        'INFO deliverer_host="ident-host"',
      );
    } finally {
      await dropDatabase(db.database);
    }
  }, 60_000);
});

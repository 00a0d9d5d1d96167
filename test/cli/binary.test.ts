import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mysql from "mysql2/promise";
import { build } from "../../build.ts";
import { createDatabase, dropDatabase } from "../support/db.ts";

// The compiled binary, run from an empty directory: nothing beside it, migrations embedded.
let dir: string;
let bin: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "jetmon2-bin-"));
  [bin] = (await build({ hostOnly: true, outdir: join(dir, "dist") })) as [string];
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
      const port = 20000 + Math.floor(Math.random() * 20000);
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
      for (let i = 0; i < 100 && !host.summary; i++) {
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

/**
 * scripts/lib/setup.sh never weakens a database it did not install (issue 14): with MySQL not
 * answering root over TCP, it opens a loopback-only root only on a server its own marker says it
 * installed. Run in a sandbox: fake mariadbd, mariadb and start-stop-daemon that record their
 * arguments, a real unix socket for the "server started" wait, and mysql_ping stubbed.
 */
import { afterAll, describe, expect, it } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dir, "../..");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function sandbox(opts: { marker: boolean; up?: boolean }) {
  const dir = mkdtempSync(join(tmpdir(), "jetmon-setup-"));
  dirs.push(dir);
  const bin = join(dir, "bin");
  Bun.spawnSync(["mkdir", "-p", bin, join(dir, "run")]);
  const fake = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> ${dir}/calls\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  fake("mariadbd", "");
  // The grant is what lets root in over TCP: after it, the stubbed ping answers.
  fake("mariadb", `touch ${dir}/up`);
  fake("start-stop-daemon", "");
  if (opts.marker) writeFileSync(join(dir, "marker"), "");
  if (opts.up) writeFileSync(join(dir, "up"), "");
  const socket = Bun.listen({ unix: join(dir, "run", "mysqld.sock"), socket: { data() {} } });
  const r = Bun.spawnSync(
    [
      "bash",
      "-c",
      `source scripts/lib/setup.sh; mysql_ping() { [ -f "${dir}/up" ]; }; setup_mysql; echo "rc=$?"`,
    ],
    {
      cwd: root,
      env: {
        PATH: `${bin}:${process.env.PATH ?? ""}`,
        JETMON_MARIADBD: join(bin, "mariadbd"),
        JETMON_MARIADB_MARKER: join(dir, "marker"),
        JETMON_MARIADB_SOCKET: join(dir, "run", "mysqld.sock"),
      },
    },
  );
  socket.stop(true);
  const calls = existsSync(join(dir, "calls"))
    ? readFileSync(join(dir, "calls"), "utf8").trim().split("\n")
    : [];
  return { out: r.stdout.toString(), err: r.stderr.toString(), calls };
}

describe("scripts/lib/setup.sh setup_mysql", () => {
  it("a server that answers is used as found: nothing started, no user touched", () => {
    const r = sandbox({ marker: false, up: true });
    expect(r.out.trim()).toBe("rc=0");
    expect(r.calls).toEqual([]);
  });

  it("a server it did not install is started on loopback, and left alone when root cannot log in", () => {
    const r = sandbox({ marker: false });
    expect(r.out).toContain("rc=1");
    expect(r.err).toContain("this script did not install it:");
    expect(r.err).toContain("not changing its users");
    expect(r.calls.some((c) => c.startsWith("mariadb "))).toBe(false);
    expect(r.calls.filter((c) => c.startsWith("start-stop-daemon"))[0]).toContain("--bind-address=127.0.0.1");
  });

  it("its own server gets a root for 127.0.0.1 only", () => {
    const r = sandbox({ marker: true });
    expect(r.out).toContain("rc=0");
    const grants = r.calls.filter((c) => c.startsWith("mariadb "));
    expect(grants).toHaveLength(1);
    expect(grants[0]).toContain("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'");
    expect(grants[0]).not.toMatch(/'root'@'%'|'root'@'localhost'/);
  });
});

/**
 * The fault suite's fixtures (issue 15): a private mariadbd (own datadir under /tmp, free port,
 * started and killed by the suite; the shared server on 3306 is never touched), the compiled
 * dist/jetmon2 run as a child process, a site fixture that counts the requests it answers, and a
 * WPCOM receiver that counts the notifications it gets.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mysql from "mysql2/promise";

export const BIN = join(import.meta.dir, "../../dist/jetmon2");

/** dist/jetmon2 as scripts/test built it; built here when a developer runs the suite alone. */
export async function ensureBinary(): Promise<string> {
  if (!existsSync(BIN)) {
    const { build } = await import("../../build.ts");
    await build({ hostOnly: true, outdir: join(import.meta.dir, "../../dist"), log: () => {} });
  }
  return BIN;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export const DB_USER = "jetmon";
export const DB_PASSWORD = "fault-pw";

/** A private MariaDB the suite may kill, stop, freeze and set read-only. */
export class PrivateMariadb {
  readonly dir = mkdtempSync(join(tmpdir(), "jetmon-faults-db-"));
  port = 0;
  private proc: ReturnType<typeof Bun.spawn> | null = null;

  async install(): Promise<void> {
    // Async, so scenarios installing at once do not block each other's event loop.
    const r = Bun.spawn(
      [
        "mariadb-install-db",
        "--no-defaults",
        `--datadir=${join(this.dir, "data")}`,
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
        "--user=root",
        `--tmpdir=${this.tmp}`,
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    const [code, stderr] = await Promise.all([r.exited, new Response(r.stderr).text()]);
    if (code !== 0) throw new Error(`mariadb-install-db failed: ${stderr}`);
    this.port = await freePort();
    await this.start();
    const admin = await this.admin();
    try {
      await admin.query(`CREATE USER '${DB_USER}'@'%' IDENTIFIED BY '${DB_PASSWORD}'`);
      await admin.query(`GRANT ALL ON *.* TO '${DB_USER}'@'%'`);
      // read_only must bind this user: no SUPER / READ_ONLY ADMIN.
      await admin.query(`REVOKE SUPER, READ_ONLY ADMIN ON *.* FROM '${DB_USER}'@'%'`);
    } finally {
      await admin.end();
    }
  }

  /**
   * Its own tmpdir: a mariadbd starting up clears stale temporary tables from its tmpdir, and a
   * shared /tmp would let it delete the ones another instance's bootstrap is using.
   */
  get tmp(): string {
    const dir = join(this.dir, "tmp");
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  get socket(): string {
    return join(this.dir, "mysqld.sock");
  }

  async start(): Promise<void> {
    this.proc = Bun.spawn(
      [
        "/usr/sbin/mariadbd",
        "--no-defaults",
        `--datadir=${join(this.dir, "data")}`,
        `--port=${this.port}`,
        "--bind-address=127.0.0.1",
        `--socket=${this.socket}`,
        `--pid-file=${join(this.dir, "mysqld.pid")}`,
        "--user=root",
        `--tmpdir=${this.tmp}`,
        "--skip-log-bin",
        "--innodb-buffer-pool-size=32M",
        "--innodb-log-file-size=16M",
        "--skip-name-resolve",
        "--max-connections=200",
      ],
      { stdout: "ignore", stderr: "pipe" },
    );
    for (let i = 0; i < 300; i++) {
      try {
        const c = await this.admin();
        await c.end();
        return;
      } catch {
        await Bun.sleep(50);
      }
    }
    throw new Error("private mariadbd did not start");
  }

  admin(): Promise<mysql.Connection> {
    return mysql.createConnection({ socketPath: this.socket, user: "root", password: "" });
  }

  signal(sig: "SIGKILL" | "SIGSTOP" | "SIGCONT" | "SIGTERM"): void {
    this.proc?.kill(sig);
  }

  async kill(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    p.kill("SIGCONT");
    p.kill("SIGKILL");
    await p.exited;
    this.proc = null;
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async setReadOnly(on: boolean): Promise<void> {
    const c = await this.admin();
    try {
      await c.query(`SET GLOBAL read_only = ${on ? 1 : 0}`);
    } finally {
      await c.end();
    }
  }

  /** A connection as root to `database`, over the socket (works while read_only is on). */
  async query<T>(database: string, text: string, values: unknown[] = []): Promise<T[]> {
    const c = await mysql.createConnection({ socketPath: this.socket, user: "root", password: "", database });
    try {
      const [rows] = await c.query(text, values);
      return rows as T[];
    } finally {
      await c.end();
    }
  }
}

/** Answers 200 to every GET and counts the requests per scenario (the path's first segment). */
export function startSites(): {
  url: (scenario: string, n: number) => string;
  answered: (scenario: string) => number;
  stop: () => void;
} {
  const counts = new Map<string, number>();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const key = new URL(req.url).pathname.split("/")[1] ?? "";
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return new Response("ok");
    },
  });
  return {
    url: (scenario, n) => `http://127.0.0.1:${server.port}/${scenario}/site-${n}`,
    answered: (scenario) => counts.get(scenario) ?? 0,
    stop: () => server.stop(true),
  };
}

/** A WPCOM status endpoint that records each notification body. */
export function startWpcom(): { url: string; bodies: unknown[]; stop: () => void } {
  const bodies: unknown[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      bodies.push(await req.json().catch(() => null));
      return Response.json({ ok: true });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/status`, bodies, stop: () => server.stop(true) };
}

export interface LogLine {
  msg: string;
  level: number;
  [k: string]: unknown;
}

const running = new Set<Jetmon>();

/** SIGKILLs every child a failed scenario left behind, so it cannot disturb the next one. */
export async function killLeftovers(): Promise<void> {
  for (const j of running) {
    j.proc.kill("SIGKILL");
    await j.exited;
  }
}

/** One jetmon2 child: its JSON log lines as they arrive, its exit code. */
export class Jetmon {
  readonly lines: LogLine[] = [];
  private stderrText = "";
  readonly proc: ReturnType<typeof Bun.spawn>;
  readonly exited: Promise<number>;

  constructor(args: string[], opts: { cwd: string; env: Record<string, string> }) {
    this.proc = Bun.spawn([BIN, ...args], {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH ?? "", ...opts.env },
      stdout: "pipe",
      stderr: "pipe",
    });
    const read = async (stream: ReadableStream<Uint8Array>, onLine: (l: string) => void) => {
      const decoder = new TextDecoder();
      let buf = "";
      const reader = stream.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let i = buf.indexOf("\n");
        while (i >= 0) {
          onLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
          i = buf.indexOf("\n");
        }
      }
      if (buf) onLine(buf);
    };
    const out = read(this.proc.stdout as ReadableStream<Uint8Array>, (l) => {
      try {
        this.lines.push(JSON.parse(l) as LogLine);
      } catch {
        this.lines.push({ msg: l, level: 0 });
      }
    });
    const err = read(this.proc.stderr as ReadableStream<Uint8Array>, (l) => {
      this.stderrText += `${l}\n`;
    });
    running.add(this);
    this.exited = Promise.all([this.proc.exited, out, err]).then(([code]) => {
      running.delete(this);
      return code;
    });
  }

  get stderr(): string {
    return this.stderrText;
  }

  msgs(): string[] {
    return this.lines.map((l) => l.msg);
  }

  count(msg: string): number {
    return this.lines.filter((l) => l.msg === msg).length;
  }

  async waitFor(what: string, pred: (l: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find(pred);
      if (hit) return hit;
      if (Date.now() > until) {
        throw new Error(
          `timed out waiting for ${what}; log: ${this.msgs().slice(-15).join(" | ")} ${this.stderr}`,
        );
      }
      await Bun.sleep(25);
    }
  }

  waitMsg(msg: string, timeoutMs?: number): Promise<LogLine> {
    return this.waitFor(msg, (l) => l.msg === msg, timeoutMs);
  }

  signal(sig: "SIGTERM" | "SIGKILL" | "SIGINT"): void {
    this.proc.kill(sig);
  }
}

export async function waitUntil(what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

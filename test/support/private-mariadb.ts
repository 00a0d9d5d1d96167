/**
 * A private mariadbd: its own datadir, tmpdir and socket under /tmp, its own port, started and
 * killed by whoever made it; the shared server on 3306 is never touched. The fault suite kills,
 * freezes and sets it read-only; the benchmarks read its CPU and counters as the monitor's alone.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mysql from "mysql2/promise";

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

export interface PrivateMariadbOptions {
  /** The datadir's prefix under the OS tmpdir (default "jetmon-db-"). */
  prefix?: string;
  /** A fixed port; default a free one. */
  port?: number;
  /** The ordinary user created for the client under test (no SUPER, so read_only binds it). */
  user?: string;
  password?: string;
  bufferPool?: string;
  logFileSize?: string;
  maxConnections?: number;
}

/** A private MariaDB: install() makes the datadir, starts it and creates the user. */
export class PrivateMariadb {
  readonly dir: string;
  readonly user: string;
  readonly password: string;
  port: number;
  private proc: ReturnType<typeof Bun.spawn> | null = null;
  private readonly opts: PrivateMariadbOptions;

  constructor(opts: PrivateMariadbOptions = {}) {
    this.opts = opts;
    this.dir = mkdtempSync(join(tmpdir(), opts.prefix ?? "jetmon-db-"));
    this.user = opts.user ?? "jetmon";
    this.password = opts.password ?? "private-pw";
    this.port = opts.port ?? 0;
  }

  /** The server's pid while it runs (for CPU figures), else undefined. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async install(): Promise<void> {
    // Async, so servers installing at once do not block each other's event loop.
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
    if (this.port === 0) this.port = await freePort();
    await this.start();
    const admin = await this.admin();
    try {
      await admin.query(`CREATE USER '${this.user}'@'%' IDENTIFIED BY '${this.password}'`);
      await admin.query(`GRANT ALL ON *.* TO '${this.user}'@'%'`);
      // read_only must bind this user: no SUPER / READ_ONLY ADMIN.
      await admin.query(`REVOKE SUPER, READ_ONLY ADMIN ON *.* FROM '${this.user}'@'%'`);
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

  /** Starts the server on the installed datadir (again after kill()) and waits until it answers. */
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
        `--innodb-buffer-pool-size=${this.opts.bufferPool ?? "32M"}`,
        `--innodb-log-file-size=${this.opts.logFileSize ?? "16M"}`,
        "--skip-name-resolve",
        `--max-connections=${this.opts.maxConnections ?? 200}`,
      ],
      { stdout: "ignore", stderr: "pipe" },
    );
    for (let i = 0; i < 600; i++) {
      try {
        const c = await this.admin();
        await c.end();
        return;
      } catch {
        await Bun.sleep(50);
      }
    }
    throw new Error(`private mariadbd did not start (${this.dir})`);
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

  /** A connection as root to `database` (or none), over the socket (works while read_only is on). */
  async query<T>(database: string | undefined, text: string, values: unknown[] = []): Promise<T[]> {
    const c = await mysql.createConnection({
      socketPath: this.socket,
      user: "root",
      password: "",
      ...(database ? { database } : {}),
    });
    try {
      const [rows] = await c.query(text, values);
      return rows as T[];
    } finally {
      await c.end();
    }
  }
}

/**
 * The fault suite's fixtures (issue 15): a private mariadbd (test/support/private-mariadb.ts,
 * started and killed by the suite; the shared server on 3306 is never touched), the compiled
 * dist/jetmon2 run as a child process, a site fixture that counts the requests it answers, and a
 * WPCOM receiver that counts the notifications it gets.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { freePort, PrivateMariadb } from "../support/private-mariadb.ts";

export const BIN = join(import.meta.dir, "../../dist/jetmon2");

/** dist/jetmon2 as scripts/test built it; built here when a developer runs the suite alone. */
export async function ensureBinary(): Promise<string> {
  if (!existsSync(BIN)) {
    const { build } = await import("../../build.ts");
    await build({ hostOnly: true, outdir: join(import.meta.dir, "../../dist"), log: () => {} });
  }
  return BIN;
}

export type { PrivateMariadb };
export { freePort };

export const DB_USER = "jetmon";
export const DB_PASSWORD = "fault-pw";

/** A private MariaDB the suite may kill, stop, freeze and set read-only (not yet installed). */
export function faultDb(): PrivateMariadb {
  return new PrivateMariadb({ prefix: "jetmon-faults-db-", user: DB_USER, password: DB_PASSWORD });
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

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliContext } from "../../src/cli/context.ts";
import { runVeriflier, veriflierCommand } from "../../src/cli/veriflier.ts";
import { silentLogger } from "../../src/log.ts";
import { VeriflierClient } from "../../src/veriflier/client.ts";
import { type SiteFixture, startSiteFixture } from "../support/sites.ts";

const NO_FILE = "/nonexistent/veriflier.json";

function ctx(env: Record<string, string>): CliContext & { errors: string[] } {
  const errors: string[] = [];
  return { args: [], configPath: "", env, out: () => {}, err: (l) => errors.push(l), errors };
}

let sites: SiteFixture;
beforeAll(async () => {
  sites = await startSiteFixture({ addresses: 1 });
});
afterAll(async () => {
  await sites.stop();
});

describe("veriflier command", () => {
  test("an empty token refuses to start: exit 1 with a clear error", async () => {
    const c = ctx({ VERIFLIER_CONFIG: NO_FILE, VERIFLIER_PORT: "0" });
    expect(await veriflierCommand(c)).toBe(1);
    expect(c.errors).toEqual([
      "veriflier: VERIFLIER_AUTH_TOKEN is not set: refusing to start with an empty token",
    ]);
  });

  test("a config file without a port refuses to start", async () => {
    const dir = mkdtempSync(join(tmpdir(), "veriflier-"));
    const file = join(dir, "veriflier.json");
    writeFileSync(file, '{"auth_token":"t"}');
    const c = ctx({ VERIFLIER_CONFIG: file });
    expect(await veriflierCommand(c)).toBe(1);
    rmSync(dir, { recursive: true });
    expect(c.errors).toEqual(["veriflier: VERIFLIER_PORT is not set"]);
  });

  test("a port in use is exit 1", async () => {
    const taken = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const c = ctx({
      VERIFLIER_CONFIG: NO_FILE,
      VERIFLIER_AUTH_TOKEN: "t",
      VERIFLIER_PORT: String(taken.port),
    });
    const code = await runVeriflier(c, {
      shutdown: new Promise(() => {}),
      hostname: "127.0.0.1",
      logger: silentLogger,
    });
    taken.stop(true);
    expect(code).toBe(1);
    expect(c.errors[0]).toContain("cannot listen on port");
  });

  test("serves from env config until shutdown, then returns 0", async () => {
    sites.set("up", { kind: "ok" });
    let stop: (reason: string) => void = () => {};
    const shutdown = new Promise<string>((resolve) => (stop = resolve));
    let port = 0;
    const running = runVeriflier(
      ctx({ VERIFLIER_CONFIG: NO_FILE, VERIFLIER_AUTH_TOKEN: "tok", VERIFLIER_PORT: "0" }),
      {
        shutdown,
        hostname: "127.0.0.1",
        logger: silentLogger,
        reportedHost: "v1",
        onListening: (p) => (port = p),
      },
    );
    while (port === 0) await Bun.sleep(5);
    const client = new VeriflierClient({ host: "127.0.0.1", port, token: "tok" });
    const r = await client.checkOne(
      { blogId: 3, url: sites.url("up"), timeoutSeconds: 5, redirectPolicy: "follow" },
      5,
    );
    expect(r).toMatchObject({ blogId: 3, host: "v1", success: true });
    stop("SIGTERM");
    expect(await running).toBe(0);
  });

  test("STATSD_ADDR sends the server-side metrics over UDP", async () => {
    const udp = createSocket("udp4");
    const received: string[] = [];
    udp.on("message", (m) => received.push(...m.toString().split("\n").filter(Boolean)));
    await new Promise<void>((r) => udp.bind(0, "127.0.0.1", r));
    let stop: (reason: string) => void = () => {};
    const shutdown = new Promise<string>((resolve) => (stop = resolve));
    let port = 0;
    const running = runVeriflier(
      ctx({
        VERIFLIER_CONFIG: NO_FILE,
        VERIFLIER_AUTH_TOKEN: "tok",
        VERIFLIER_PORT: "0",
        STATSD_ADDR: `127.0.0.1:${udp.address().port}`,
      }),
      { shutdown, hostname: "127.0.0.1", logger: silentLogger, onListening: (p) => (port = p) },
    );
    while (port === 0) await Bun.sleep(5);
    const bad = new VeriflierClient({ host: "127.0.0.1", port, token: "wrong" });
    await expect(bad.ping()).resolves.toBeDefined();
    await bad
      .check([{ blogId: 1, url: sites.url("up"), timeoutSeconds: 2, redirectPolicy: "follow" }], 2)
      .catch(() => {});
    stop("SIGTERM");
    expect(await running).toBe(0);
    for (let i = 0; i < 50 && received.length === 0; i++) await Bun.sleep(10);
    udp.close();
    expect(
      received.some((l) => /^com\.jetpack\.jetmon\.[^.]+\.verifier\.auth\.rejected\.count:1\|c/.test(l)),
    ).toBe(true);
  });

  test("SIGTERM: the process stops taking requests, finishes the in-flight check, exits 0", async () => {
    sites.set("slow", { kind: "slow", ms: 600 });
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    Object.assign(env, {
      VERIFLIER_CONFIG: NO_FILE,
      VERIFLIER_AUTH_TOKEN: "tok",
      VERIFLIER_PORT: "0",
      VERIFLIER_CHECK_CONCURRENCY: "4",
    });
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "cli-child.ts")], {
      env,
      stdout: "pipe",
      stderr: "pipe",
    });
    const lines: string[] = [];
    const reader = (async () => {
      const decoder = new TextDecoder();
      let buf = "";
      for await (const chunk of child.stdout as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk);
        const parts = buf.split("\n");
        buf = parts.pop() ?? "";
        lines.push(...parts);
      }
    })();
    let port = 0;
    while (port === 0) {
      const listening = lines.find((l) => l.includes('"veriflier listening"'));
      if (listening) port = JSON.parse(listening).port;
      else await Bun.sleep(10);
    }
    const client = new VeriflierClient({ host: "127.0.0.1", port, token: "tok" });
    const inflight = client.checkOne(
      { blogId: 8, url: sites.url("slow"), timeoutSeconds: 5, redirectPolicy: "follow" },
      5,
    );
    while (sites.hits("slow") === 0) await Bun.sleep(5);
    child.kill("SIGTERM");
    expect(await inflight).toMatchObject({ blogId: 8, success: true, httpCode: 200 });
    expect(await child.exited).toBe(0);
    await reader;
    expect(lines.some((l) => l.includes('"veriflier stopping"') && l.includes("SIGTERM"))).toBe(true);
    expect(lines.at(-1)).toBe("exit 0");
    expect(await new Response(child.stderr).text()).toBe("");
  }, 20_000);
});

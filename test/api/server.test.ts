import { describe, expect, test } from "bun:test";
import { apiBindWarning, startApi, startMonitorApi } from "../../src/api/server.ts";
import { defaultConfig } from "../../src/config/schema.ts";
import { createLogger } from "../../src/log.ts";
import { useTestDatabase } from "../support/db.ts";

const t = useTestDatabase();

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level: "debug" });
  for (const level of ["info", "warn", "error"] as const) {
    (log as unknown as Record<string, unknown>)[level] = (obj: Record<string, unknown>, msg: string) =>
      lines.push({ level, msg, ...obj });
  }
  return { log, lines };
}

const cfg = (port: number, bind = "127.0.0.1") => ({
  ...defaultConfig(),
  API_PORT: port,
  API_BIND_ADDR: bind,
  LEGACY_STATUS_PROJECTION_ENABLE: true,
  NET_COMMS_TIMEOUT: 10,
});

describe("api server", () => {
  test.each([
    ["127.0.0.1", null],
    ["", null],
    ["::1", null],
    ["localhost", null],
    [
      "0.0.0.0",
      'API_BIND_ADDR="0.0.0.0" exposes the internal API beyond this host; restrict access to trusted networks',
    ],
  ])("apiBindWarning(%p)", (addr, want) => expect(apiBindWarning(addr)).toBe(want));

  test("API_PORT 0: no server", () => {
    expect(startMonitorApi({ config: () => cfg(0), db: t.db, log: capture().log })).toBeNull();
  });

  test("serves /api/v1 over real HTTP on its own port", async () => {
    const { log, lines } = capture();
    const api = startApi({ db: t.db, log, bindAddr: "127.0.0.1", port: 0 });
    try {
      const res = await fetch(`http://127.0.0.1:${api.port}/api/v1/health`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('{"status":"ok"}\n');
      const nf = await fetch(`http://127.0.0.1:${api.port}/`);
      expect(nf.status).toBe(404);
      expect(lines.some((l) => l.msg === "api listening" && l.addr === api.addr)).toBe(true);
    } finally {
      await api.stop();
    }
  });

  test("a taken port is logged as an error and reported as failed (the monitor then stops)", async () => {
    const taken = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("x") });
    try {
      const { log, lines } = capture();
      expect(startMonitorApi({ config: () => cfg(taken.port!), db: t.db, log })).toBe("failed");
      expect(lines.find((l) => l.level === "error")?.msg).toBe("api failed to start");
    } finally {
      taken.stop(true);
    }
  });
});

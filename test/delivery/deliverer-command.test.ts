import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import pino from "pino";
import { type DelivererDeps, makeDelivererCommand } from "../../src/cli/deliverer.ts";
import type { SignalSource } from "../../src/cli/process.ts";
import { selectRows } from "../../src/db/sql.ts";
import type { DeliveryRuntime } from "../../src/delivery/runtime.ts";
import { useTestDatabase } from "../support/db.ts";
import { deliveries, insertTransition, insertWebhook, resetDelivery, startReceiver } from "./support.ts";

const t = useTestDatabase();
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "deliverer-cmd-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  await resetDelivery(t.db);
  await t.db.execute(sql`DELETE FROM jetmon_process_health`);
});

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

async function healthRow(id = "host-a:deliverer") {
  const [r] = await selectRows<{
    state: string;
    health_status: string;
    delivery_workers_enabled: number;
    delivery_owner_host: string;
    process_type: string;
    dependency_health: string;
  }>(
    t.db,
    sql`SELECT state, health_status, delivery_workers_enabled, delivery_owner_host, process_type, CAST(dependency_health AS CHAR) AS dependency_health
        FROM jetmon_process_health WHERE process_id = ${id}`,
  );
  return r;
}

function start(config: Record<string, unknown>, extra: Partial<DelivererDeps> = {}) {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  const write = (c: Record<string, unknown>) =>
    writeFileSync(path, JSON.stringify({ AUTH_TOKEN: "tok", STATSD_ADDR: "127.0.0.1:9", ...c }));
  write(config);
  const signals = new EventEmitter();
  const logs: { level: string; msg: string }[] = [];
  const log = pino(
    { level: "info", formatters: { level: (label) => ({ level: label }) } },
    {
      write: (s: string) => logs.push(JSON.parse(s)),
    },
  );
  let ready: { runtime: DeliveryRuntime | null } | undefined;
  const s = t.settings;
  const err: string[] = [];
  const done = makeDelivererCommand({
    signals: signals as unknown as SignalSource,
    hostname: () => "host-a",
    log,
    dbAttempts: 1,
    sleep: async () => {},
    runtime: { pollIntervalMs: 10, settleMs: 0 },
    onReady: (r) => {
      ready = r;
    },
    ...extra,
  })({
    args: [],
    configPath: path,
    env: {
      DB_HOST: s.host,
      DB_PORT: String(s.port),
      DB_USER: s.user,
      DB_PASSWORD: s.password,
      DB_NAME: s.database,
    },
    out: () => {},
    err: (l) => err.push(l),
  });
  return {
    done,
    logs,
    err,
    rewrite: write,
    signal: (sig: NodeJS.Signals) => signals.emit(sig, sig),
    listeners: () => signals.eventNames().length,
    ready: () => until("ready", async () => ready),
  };
}

describe("--mode=deliverer", () => {
  test("another host owns delivery: idle heartbeat, no workers, clean stop", async () => {
    const p = start({ DELIVERY_OWNER_HOST: "host-b" });
    const r = await p.ready();
    expect(r.runtime).toBeNull();
    const row = await until("heartbeat", () => healthRow());
    expect(row).toMatchObject({
      state: "idle",
      health_status: "green",
      delivery_workers_enabled: 0,
      delivery_owner_host: "host-b",
      process_type: "deliverer",
    });
    expect(
      JSON.parse(row.dependency_health).map((d: { name: string; status: string }) => [d.name, d.status]),
    ).toEqual([
      ["mysql", "green"],
      ["statsd", "green"],
    ]);
    expect(p.logs.map((l) => l.msg)).toContain(
      'config: delivery_owner_host="host-b"; standalone deliverer idle on host "host-a"',
    );
    const progress = await selectRows<{ n: number }>(
      t.db,
      sql`SELECT COUNT(*) AS n FROM jetmon_webhook_dispatch_progress`,
    );
    expect(Number(progress[0]!.n)).toBe(0);
    p.signal("SIGTERM");
    expect(await p.done).toBe(0);
    expect(await healthRow()).toMatchObject({ state: "stopped", health_status: "amber" });
    expect(p.logs.map((l) => l.msg)).toContain("received SIGTERM, stopping");
    expect(p.logs.at(-1)!.msg).toBe("jetmon-deliverer: shutdown complete");
    expect(p.listeners()).toBe(0);
  });

  test("no owner set: workers run (amber heartbeat); SIGHUP reloads without stopping them", async () => {
    const rx = startReceiver(() => new Response("ok"));
    try {
      const p = start({ DELIVERY_OWNER_HOST: "", EMAIL_TRANSPORT: "stub" });
      const r = await p.ready();
      expect(r.runtime).not.toBeNull();
      expect(p.logs).toContainEqual(
        expect.objectContaining({
          level: "warn",
          msg: 'WARN: delivery_owner_host is unset; standalone deliverer on host "host-a" will run delivery workers',
        }),
      );
      expect(p.logs).toContainEqual(
        expect.objectContaining({
          level: "warn",
          msg: "WARN: email_transport=stub; alert-contact emails will be logged but not delivered",
        }),
      );
      expect(await until("heartbeat", () => healthRow())).toMatchObject({
        state: "running",
        health_status: "amber",
        delivery_workers_enabled: 1,
        delivery_owner_host: "",
      });

      await insertWebhook(t.db, { url: rx.url });
      await insertTransition(t.db);
      await until(
        "first delivery",
        async () => (await deliveries(t.db, "webhook"))[0]?.status === "delivered",
      );

      p.rewrite({ DELIVERY_OWNER_HOST: "host-b" });
      p.signal("SIGHUP");
      await until("reloaded heartbeat", async () => (await healthRow())?.delivery_owner_host === "host-b");
      expect(await healthRow()).toMatchObject({
        state: "running",
        delivery_workers_enabled: 1,
        health_status: "amber",
      });
      expect(p.logs.map((l) => l.msg)).toContain(
        "delivery ownership in the reloaded config differs from the running workers; restart to apply",
      );
      // Still delivering after the reload.
      await insertTransition(t.db);
      await until(
        "second delivery",
        async () => (await deliveries(t.db, "webhook")).filter((d) => d.status === "delivered").length === 2,
      );

      p.signal("SIGINT");
      expect(await p.done).toBe(0);
      expect(await healthRow()).toMatchObject({ state: "stopped" });
    } finally {
      rx.stop();
    }
  });

  test("SIGTERM mid-attempt: claiming stops, the attempt finishes and is recorded, then stopped", async () => {
    let release: (() => void) | undefined;
    const rx = startReceiver(
      () =>
        new Promise<Response>((r) => {
          release = () => r(new Response("late but fine"));
        }),
    );
    try {
      const p = start({ DELIVERY_OWNER_HOST: "host-a" });
      await p.ready();
      expect(await until("heartbeat", () => healthRow())).toMatchObject({
        state: "running",
        health_status: "green",
      });
      await insertWebhook(t.db, { url: rx.url });
      await insertTransition(t.db);
      await until("attempt in flight", async () => rx.received.length === 1);

      p.signal("SIGTERM");
      await until("stopping row", async () => (await healthRow())?.state === "stopping");
      // New work arriving now is not claimed.
      await insertTransition(t.db);
      await Bun.sleep(100);
      let finished = false;
      void p.done.then(() => {
        finished = true;
      });
      expect(finished).toBe(false);
      expect((await deliveries(t.db, "webhook"))[0]!.status).toBe("pending");

      release!();
      expect(await p.done).toBe(0);
      const rows = await deliveries(t.db, "webhook");
      expect(rows[0]).toMatchObject({ status: "delivered", attempt: 1, last_response: "late but fine" });
      expect(rows.slice(1).every((r) => r.attempt === 0)).toBe(true);
      expect(rx.received).toHaveLength(1);
      expect(await healthRow()).toMatchObject({ state: "stopped", health_status: "amber" });
    } finally {
      rx.stop();
    }
  });

  test("an unusable config or database exits 1", async () => {
    const bad = start({ AUTH_TOKEN: "" });
    expect(await bad.done).toBe(1);
    expect(bad.err[0]).toBe("load config: invalid config: AUTH_TOKEN is required");
    const path = join(dir, "down.json");
    writeFileSync(path, JSON.stringify({ AUTH_TOKEN: "tok" }));
    const err: string[] = [];
    const code = await makeDelivererCommand({
      dbAttempts: 1,
      sleep: async () => {},
      log: pino({ level: "silent" }),
    })({
      args: [],
      configPath: path,
      env: { DB_HOST: "127.0.0.1", DB_PORT: "1" },
      out: () => {},
      err: (l) => err.push(l),
    });
    expect(code).toBe(1);
    expect(err[0]).toStartWith("db connect: ");
  });
});

/**
 * Helpers for the monitor's tests: a WPCOM receiver, a TCP proxy to take MySQL away, site rows,
 * row readers, a capturing logger, and polling.
 */
import { sql } from "drizzle-orm";
import pino from "pino";
import { type Config, defaultConfig } from "../../src/config/schema.ts";
import type { Db } from "../../src/db/client.ts";
import { run, selectRows } from "../../src/db/sql.ts";
import type { Logger } from "../../src/log.ts";
import type { WpcomNotification } from "../../src/wpcom/payload.ts";

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...defaultConfig(),
    AUTH_TOKEN: "test-token",
    NUM_WORKERS: 8,
    CHECK_INTERVAL_SEC: 1,
    TIME_BETWEEN_CHECKS_SEC: 1,
    NUM_OF_CHECKS: 3,
    NET_COMMS_TIMEOUT: 2,
    BUCKET_TOTAL: 10,
    BUCKET_TARGET: 10,
    ALERT_COOLDOWN_MINUTES: 0,
    DASHBOARD_PORT: 0,
    STATSD_ADDR: "",
    WORKER_MAX_MEM_MB: 0,
    ...overrides,
  };
}

export async function waitFor<T>(
  what: string,
  fn: () => T | Promise<T>,
  opts: { timeoutMs?: number; everyMs?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await Bun.sleep(opts.everyMs ?? 50);
  }
}

export interface WpcomReceiver {
  url: string;
  received: WpcomNotification[];
  authHeaders: string[];
  /** Status every POST gets from now on. */
  respondWith(status: number): void;
  stop(): void;
}

export function startWpcomReceiver(): WpcomReceiver {
  let status = 200;
  const received: WpcomNotification[] = [];
  const authHeaders: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const body = (await req.json()) as WpcomNotification;
      authHeaders.push(req.headers.get("authorization") ?? "");
      if (status < 400) received.push(body);
      return new Response(status < 400 ? "{}" : "boom", { status });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/status-change`,
    received,
    authHeaders,
    respondWith: (s) => {
      status = s;
    },
    stop: () => server.stop(true),
  };
}

export interface SiteSeed {
  blogId: number;
  url: string;
  bucketNo?: number;
  siteStatus?: number;
  lastCheckedAt?: Date | null;
  maintenanceStart?: Date | null;
  maintenanceEnd?: Date | null;
  alertCooldownMinutes?: number | null;
  lastAlertSentAt?: Date | null;
  timeoutSeconds?: number | null;
  monitorActive?: number;
}

export async function seedSites(db: Db, seeds: SiteSeed[]): Promise<void> {
  for (const s of seeds) {
    await run(
      db,
      sql`INSERT INTO jetpack_monitor_sites
            (blog_id, bucket_no, monitor_url, monitor_active, site_status, check_interval, last_checked_at,
             maintenance_start, maintenance_end, alert_cooldown_minutes, last_alert_sent_at, timeout_seconds)
          VALUES (${s.blogId}, ${s.bucketNo ?? s.blogId % 10}, ${s.url}, ${s.monitorActive ?? 1}, ${s.siteStatus ?? 1}, 1,
                  ${s.lastCheckedAt ?? null}, ${s.maintenanceStart ?? null}, ${s.maintenanceEnd ?? null},
                  ${s.alertCooldownMinutes ?? null}, ${s.lastAlertSentAt ?? null}, ${s.timeoutSeconds ?? null})`,
    );
  }
}

export async function clearTables(db: Db): Promise<void> {
  for (const t of [
    "jetpack_monitor_sites",
    "jetmon_events",
    "jetmon_event_transitions",
    "jetmon_audit_log",
    "jetmon_check_history",
    "jetmon_false_positives",
    "jetmon_hosts",
  ]) {
    await run(db, sql.raw(`DELETE FROM ${t}`));
  }
}

export const rows = <T>(db: Db, q: ReturnType<typeof sql>) => selectRows<T>(db, q);

export async function eventOf(db: Db, blogId: number, checkType = "http") {
  const [e] = await selectRows<{
    id: number;
    state: string;
    severity: number;
    ended_at: Date | null;
    resolution_reason: string | null;
  }>(
    db,
    sql`SELECT id, state, severity, ended_at, resolution_reason FROM jetmon_events
        WHERE blog_id = ${blogId} AND check_type = ${checkType} ORDER BY id DESC LIMIT 1`,
  );
  return e;
}

export async function transitionsOf(db: Db, eventId: number): Promise<string[]> {
  const r = await selectRows<{ reason: string; state_after: string | null }>(
    db,
    sql`SELECT reason, state_after FROM jetmon_event_transitions WHERE event_id = ${eventId} ORDER BY id`,
  );
  return r.map((x) => `${x.reason}:${x.state_after}`);
}

export async function siteStatusOf(db: Db, blogId: number): Promise<number> {
  const [r] = await selectRows<{ site_status: number }>(
    db,
    sql`SELECT site_status FROM jetpack_monitor_sites WHERE blog_id = ${blogId}`,
  );
  return Number(r?.site_status);
}

export async function auditTypes(db: Db, blogId: number): Promise<string[]> {
  const r = await selectRows<{ event_type: string; detail: string | null }>(
    db,
    sql`SELECT event_type, detail FROM jetmon_audit_log WHERE blog_id = ${blogId} ORDER BY id`,
  );
  return r.map((x) => x.event_type);
}

export interface TcpProxy {
  port: number;
  /** Drops every connection and refuses new ones. */
  cut(): Promise<void>;
  /** Accepts connections again on the same port. */
  restore(): Promise<void>;
  stop(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 in front of `target`, to take MySQL away and bring it back. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const net = await import("node:net");
  const sockets = new Set<import("node:net").Socket>();
  const make = () =>
    net.createServer((client) => {
      const upstream = net.connect(target.port, target.host);
      sockets.add(client);
      sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  let server = make();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as import("node:net").AddressInfo).port;
  let listening = true;
  const close = async () => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of sockets) s.destroy();
    sockets.clear();
    await closed;
  };
  return {
    port,
    cut: close,
    async restore() {
      if (listening) return;
      server = make();
      await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
      listening = true;
    },
    stop: close,
  };
}

/** A logger whose JSON lines land in `lines` (parsed). */
export function capturingLogger(): { log: Logger; lines: Record<string, unknown>[]; msgs: () => string[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: "info" },
    {
      write(s: string) {
        for (const l of s.split("\n")) if (l.trim()) lines.push(JSON.parse(l));
      },
    },
  );
  return { log, lines, msgs: () => lines.map((l) => String(l.msg)) };
}

import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { makeDeliveryCheckCommand, parseDeliveryCheckArgs } from "../../src/cli/delivery-check.ts";
import type { DeliveryKind } from "../../src/delivery/kinds.ts";
import { countsFromRows, deliveryCountsQuery, type QueueSummary } from "../../src/delivery/queue-counts.ts";
import {
  buildReport,
  parseSince,
  type ReportLimits,
  renderJson,
  renderText,
  reportFailures,
  summarizeQueue,
  totalOf,
} from "../../src/delivery/queue-report.ts";
import { useTestDatabase } from "../support/db.ts";
import { resetDelivery } from "./support.ts";

/** Every limit off: what delivery-check applies when no flag is given. */
const NO_LIMITS: ReportLimits = {
  maxPending: -1,
  maxDue: -1,
  maxAbandoned: -1,
  maxFailed: -1,
  requireRecentDelivery: false,
  requireRecentWebhookDelivery: false,
  requireRecentAlertDelivery: false,
};

const NOW = Date.UTC(2026, 3, 29, 18, 30, 0);
const row = (kind: QueueSummary["kind"], v: number[]): QueueSummary => ({
  kind,
  pending: v[0]!,
  due_now: v[1]!,
  future_retry: v[2]!,
  delivered_since: v[3]!,
  abandoned_since: v[4]!,
  failed_since: v[5]!,
  oldest_pending_age_sec: v[6]!,
  oldest_due_age_sec: v[7]!,
});

describe("options", () => {
  test("all flags parse; defaults", () => {
    expect(parseDeliveryCheckArgs([])).toEqual({ host: "", since: "15m", output: "text", limits: NO_LIMITS });
    const o = parseDeliveryCheckArgs([
      "--host=deliverer-1",
      "--since",
      "1h",
      "-output=JSON ",
      "--max-pending=5",
      "--max-due=0",
      "--max-abandoned=-1",
      "--max-failed=3",
      "--require-recent-delivery",
      "--require-recent-webhook-delivery",
      "--require-recent-alert-delivery",
    ]);
    expect(o).toEqual({
      host: "deliverer-1",
      since: "1h",
      output: "json",
      limits: {
        maxPending: 5,
        maxDue: 0,
        maxAbandoned: -1,
        maxFailed: 3,
        requireRecentDelivery: true,
        requireRecentWebhookDelivery: true,
        requireRecentAlertDelivery: true,
      },
    });
  });
  test.each([
    [["--output=xml"], "--output must be text or json"],
    [["--max-due=-2"], "--max-due must be >= 0, or -1 to disable"],
    [["--max-failed=-2"], "--max-failed must be >= 0, or -1 to disable"],
    [["extra"], 'unexpected argument "extra"'],
    [["--bogus"], "flag provided but not defined: -bogus"],
    [["-h"], "flag: help requested"],
  ])("%p is rejected: %p", (args, msg) => {
    expect(() => parseDeliveryCheckArgs(args)).toThrow(msg);
  });
});

describe("cutoff", () => {
  test("duration and timestamp", () => {
    expect(new Date(parseSince("45m", NOW)).toISOString()).toBe("2026-04-29T17:45:00.000Z");
    expect(new Date(parseSince("1h30m", NOW)).toISOString()).toBe("2026-04-29T17:00:00.000Z");
    expect(new Date(parseSince("2026-04-29T18:00:00Z", NOW)).toISOString()).toBe("2026-04-29T18:00:00.000Z");
  });
  test.each([
    ["", "--since must not be empty"],
    ["0s", "--since duration must be > 0"],
    ["-1m", "--since duration must be > 0"],
    ["not-time", "--since must be a duration or RFC3339 timestamp"],
    ["2026-04-29T19:00:00Z", "--since timestamp must not be in the future"],
  ])("%p -> %p", (s, msg) => expect(() => parseSince(s, NOW)).toThrow(msg));
});

describe("thresholds and rendering", () => {
  const webhook = row("webhook", [2, 1, 1, 4, 0, 2, 120, 60]);
  const alert = row("alert", [4, 2, 2, 0, 1, 0, 90, 30]);
  const since = "2026-04-29T18:15:00Z";
  test("totals and the four exceeded limits", () => {
    expect(totalOf([webhook, alert])).toEqual(row("total", [6, 3, 3, 4, 1, 2, 120, 60]));
    const f = reportFailures(
      [webhook, alert],
      {
        maxPending: 5,
        maxDue: 2,
        maxAbandoned: 0,
        maxFailed: 1,
        requireRecentDelivery: true,
        requireRecentWebhookDelivery: false,
        requireRecentAlertDelivery: false,
      },
      since,
    );
    expect(f).toEqual([
      "pending deliveries total=6 exceeds max-pending=5",
      "due deliveries total=3 exceeds max-due=2",
      "abandoned deliveries since 2026-04-29T18:15:00Z total=1 exceeds max-abandoned=0",
      "failed deliveries since 2026-04-29T18:15:00Z total=2 exceeds max-failed=1",
    ]);
  });
  test("recent-delivery requirements", () => {
    const zero = [row("webhook", [0, 0, 0, 0, 0, 0, 0, 0]), row("alert", [0, 0, 0, 0, 0, 0, 0, 0])];
    expect(reportFailures(zero, { ...NO_LIMITS, requireRecentDelivery: true }, since)).toEqual([
      `no delivered rows since ${since}`,
    ]);
    const w1 = [row("webhook", [0, 0, 0, 1, 0, 0, 0, 0]), row("alert", [0, 0, 0, 0, 0, 0, 0, 0])];
    expect(
      reportFailures(
        w1,
        { ...NO_LIMITS, requireRecentWebhookDelivery: true, requireRecentAlertDelivery: true },
        since,
      ),
    ).toEqual([`no alert-contact deliveries since ${since}`]);
  });
  test("text and JSON", () => {
    const owner = {
      level: "INFO" as const,
      message: 'delivery_owner_host="deliverer-1" matched; delivery workers enabled on this host',
    };
    const ok = buildReport({
      host: "deliverer-1",
      now: NOW,
      cutoff: NOW - 900_000,
      owner,
      tables: [webhook, alert],
      limits: NO_LIMITS,
    });
    const text = renderText(ok);
    expect(text.slice(0, 4)).toEqual([
      'INFO deliverer_host="deliverer-1"',
      "INFO delivery_check_generated_at=2026-04-29T18:30:00Z",
      "INFO delivery_check_since=2026-04-29T18:15:00Z",
      `INFO ${owner.message}`,
    ]);
    expect(text[4]).toBe(
      "KIND     PENDING  DUE_NOW  FUTURE_RETRY  DELIVERED_SINCE  ABANDONED_SINCE  FAILED_SINCE  OLDEST_PENDING_SEC  OLDEST_DUE_SEC",
    );
    expect(text[5]).toBe(
      "webhook  2        1        1             4                0                2             120                 60",
    );
    expect(text[7]!.startsWith("total    6 ")).toBe(true);
    expect(text.at(-1)).toBe("PASS delivery_check=ok");
    const json = renderJson(ok);
    expect(json.endsWith("}\n")).toBe(true);
    const back = JSON.parse(json);
    expect(Object.keys(back)).toEqual([
      "ok",
      "host",
      "generated_at",
      "since",
      "owner_level",
      "owner_message",
      "tables",
      "total",
    ]);
    expect(back).toMatchObject({
      ok: true,
      host: "deliverer-1",
      generated_at: "2026-04-29T18:30:00Z",
      since: "2026-04-29T18:15:00Z",
    });
    expect(back.tables[0]).toEqual(webhook);
    const bad = buildReport({
      host: "h",
      now: NOW,
      cutoff: NOW - 900_000,
      owner,
      tables: [row("webhook", [1, 1, 0, 0, 0, 0, 5, 5])],
      limits: { ...NO_LIMITS, maxDue: 0 },
    });
    expect(renderText(bad)).toContain("FAIL due deliveries total=1 exceeds max-due=0");
    expect(JSON.parse(renderJson(bad)).failures).toEqual(["due deliveries total=1 exceeds max-due=0"]);
  });
});

describe("queue counts (one UNION ALL per table)", () => {
  test("metric rows map onto fields (TestQueryFleetDeliveryTableAggregatesInSingleQuery)", () => {
    const rows = [
      { metric: "pending", n: 4, age: 900 },
      { metric: "due", n: "2", age: "120" },
      { metric: "future", n: 1, age: 0 },
      { metric: "delivered", n: 7, age: 0 },
      { metric: "abandoned", n: 1, age: 0 },
      { metric: "failed", n: 3, age: 0 },
    ];
    expect(countsFromRows(rows)).toEqual({
      pending: 4,
      due_now: 2,
      future_retry: 1,
      delivered_since: 7,
      abandoned_since: 1,
      failed_since: 3,
      oldest_pending_age_sec: 900,
      oldest_due_age_sec: 120,
    });
    // Ages only mean something when there are rows; a clock ahead of MySQL never goes negative.
    expect(
      countsFromRows([
        { metric: "pending", n: 0, age: null },
        { metric: "due", n: 1, age: -5 },
      ]),
    ).toMatchObject({
      oldest_pending_age_sec: 0,
      oldest_due_age_sec: 0,
    });
    expect(() => countsFromRows([{ metric: "lost", n: 1, age: 0 }])).toThrow(
      'unknown delivery summary metric "lost"',
    );
  });

  test("one UNION ALL per table, only whitelisted tables", () => {
    expect(() => deliveryCountsQuery("email" as "alert", new Date(NOW), new Date(NOW))).toThrow(
      'unsupported delivery table "email"',
    );
  });
});

const t = useTestDatabase();

describe("queries", () => {
  beforeEach(async () => {
    await resetDelivery(t.db);
  });
  const at = (secAgo: number) => new Date(NOW - secAgo * 1000);
  async function add(
    table: string,
    status: string,
    o: { created: Date; next?: Date | null; last?: Date | null; delivered?: Date | null },
  ) {
    const col = table === "jetmon_webhook_deliveries" ? "webhook_id" : "alert_contact_id";
    const sev = table === "jetmon_alert_deliveries";
    await t.db.execute(sql`INSERT INTO ${sql.raw(table)} (${sql.raw(col)}, transition_id, event_id, event_type, ${sql.raw(sev ? "severity, " : "")}payload, status, next_attempt_at, last_attempt_at, delivered_at, created_at)
      VALUES (1, ${Math.floor(Math.random() * 1e9)}, 1, 'event.opened', ${sql.raw(sev ? "4, " : "")}'{}', ${status}, ${o.next ?? null}, ${o.last ?? null}, ${o.delivered ?? null}, ${o.created})`);
  }
  test("counts and ages per table", async () => {
    const W = "jetmon_webhook_deliveries";
    await add(W, "pending", { created: at(120), next: at(60) }); // due, oldest due 60s
    await add(W, "pending", { created: at(30), next: at(-300) }); // future retry
    await add(W, "pending", { created: at(10), next: null }); // due (never scheduled): age by created_at
    await add(W, "delivered", { created: at(400), delivered: at(300), last: at(300) });
    await add(W, "delivered", { created: at(4000), delivered: at(3600), last: at(3600) }); // before the cutoff
    await add(W, "abandoned", { created: at(500), last: at(100) });
    await add(W, "abandoned", { created: at(100), last: null });
    await add(W, "abandoned", { created: at(5000), last: at(4000) }); // before the cutoff
    await add(W, "failed", { created: at(100), last: at(50) });
    const s = await summarizeQueue(t.db, "webhook", NOW, NOW - 900_000);
    expect(s).toEqual(row("webhook", [3, 2, 1, 1, 2, 1, 120, 60]));
    expect(await summarizeQueue(t.db, "alert", NOW, NOW - 900_000)).toEqual(
      row("alert", [0, 0, 0, 0, 0, 0, 0, 0]),
    );
  });
  test("bad table", async () => {
    await expect(summarizeQueue(t.db, "sms" as DeliveryKind, NOW, NOW)).rejects.toThrow(
      'unsupported delivery table "sms"',
    );
  });
});

describe("command", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "delivery-check-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    await resetDelivery(t.db);
  });

  async function run(args: string[], config: Record<string, unknown> = {}, env: Record<string, string> = {}) {
    const path = join(dir, "config.json");
    writeFileSync(path, JSON.stringify({ AUTH_TOKEN: "tok", DELIVERY_OWNER_HOST: "deliverer-1", ...config }));
    const out: string[] = [];
    const err: string[] = [];
    const s = t.settings;
    const code = await makeDeliveryCheckCommand({
      now: () => NOW,
      hostname: () => "deliverer-1",
      sleep: async () => {},
    })({
      args,
      configPath: path,
      env: {
        DB_HOST: s.host,
        DB_PORT: String(s.port),
        DB_USER: s.user,
        DB_PASSWORD: s.password,
        DB_NAME: s.database,
        ...env,
      },
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    return { code, out, err };
  }

  test("an empty queue passes; text lines in order", async () => {
    const r = await run([]);
    expect(r.code).toBe(0);
    expect(r.err).toEqual([]);
    expect(r.out.slice(0, 6)).toEqual([
      "PASS config parse",
      "PASS db connect",
      'INFO deliverer_host="deliverer-1"',
      "INFO delivery_check_generated_at=2026-04-29T18:30:00Z",
      "INFO delivery_check_since=2026-04-29T18:15:00Z",
      'INFO delivery_owner_host="deliverer-1" matched; delivery workers enabled on this host',
    ]);
    expect(r.out.at(-1)).toBe("PASS delivery_check=ok");
  });

  test("a failed threshold exits 1; JSON mode prints only the report", async () => {
    await t.db.execute(sql`INSERT INTO jetmon_webhook_deliveries (webhook_id, transition_id, event_id, event_type, payload, status, next_attempt_at, created_at)
      VALUES (1, 1, 1, 'event.opened', '{}', 'pending', ${new Date(NOW - 5000)}, ${new Date(NOW - 5000)})`);
    const r = await run(["--max-due=0", "--output=json", "--host=other"]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out.join("\n"));
    expect(report).toMatchObject({
      ok: false,
      host: "other",
      owner_level: "INFO",
      owner_message: 'delivery_owner_host="deliverer-1"; standalone deliverer idle on host "other"',
      failures: ["due deliveries total=1 exceeds max-due=0"],
    });
    expect(report.total.oldest_due_age_sec).toBe(5);
  });

  test("bad flags exit 2 with the usage line", async () => {
    const r = await run(["--output=xml"]);
    expect(r.code).toBe(2);
    expect(r.err[0]).toStartWith("usage: jetmon2 delivery-check [--host=<host>]");
    expect(r.err[1]).toBe("FAIL --output must be text or json");
  });

  test("config and database failures exit 1", async () => {
    const bad = await run([], { AUTH_TOKEN: "" });
    expect(bad.code).toBe(1);
    expect(bad.err[0]).toBe("FAIL config parse: invalid config: AUTH_TOKEN is required");
    const down = await run([], {}, { DB_PORT: "1" });
    expect(down.code).toBe(1);
    expect(down.out).toEqual(["PASS config parse"]);
    expect(down.err[0]).toStartWith("FAIL db connect: ");
  });
});

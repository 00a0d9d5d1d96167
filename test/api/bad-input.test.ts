/**
 * Bad input, table-driven (issue 13 "Bad input"): every malformed id, cursor, limit, filter,
 * body, URL and header gets its named 400/413/422 (or 401/404/405) with nothing written, and
 * the API keeps answering.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createKey } from "../../src/api/keys.ts";
import { MAX_BODY_BYTES } from "../../src/api/router.ts";
import { createApiApp } from "../../src/api/server.ts";
import { run, selectRows } from "../../src/db/sql.ts";
import { openEvent } from "../../src/events/index.ts";
import { silentLogger } from "../../src/log.ts";
import { useTestDatabase } from "../support/db.ts";

const t = useTestDatabase();
let app: ReturnType<typeof createApiApp>["app"];
let write: string;
let webhook = 0;
let contact = 0;
let event = 0;

beforeAll(async () => {
  app = createApiApp({ db: t.db, log: silentLogger, dispatchers: () => ({}) }).app;
  write = (await createKey(t.db, { consumerName: "w", scope: "write", rateLimitPerMinute: 100_000 })).token;
  await run(
    t.db,
    sql`INSERT INTO jetpack_monitor_sites (blog_id, monitor_url, monitor_active, site_status) VALUES (7, 'http://127.0.0.1:1/', 1, 1)`,
  );
  webhook = (
    await run(
      t.db,
      sql`INSERT INTO jetmon_webhooks (url, secret, secret_preview, created_by) VALUES ('https://h.test/', 'whsec_x', 'ec_x', 't')`,
    )
  ).insertId;
  contact = (
    await run(
      t.db,
      sql`INSERT INTO jetmon_alert_contacts (label, transport, destination, destination_preview, created_by)
          VALUES ('ops', 'email', '{"address":"a@b.test"}', 'test', 't')`,
    )
  ).insertId;
  event = (
    await openEvent(t.db, { blogId: 7, checkType: "http", severity: 3, state: "Seems Down", source: "t" })
  ).eventId;
});

const TABLES = [
  "jetpack_monitor_sites",
  "jetmon_webhooks",
  "jetmon_alert_contacts",
  "jetmon_events",
  "jetmon_event_transitions",
  "jetmon_webhook_deliveries",
  "jetmon_alert_deliveries",
] as const;

/** Row counts and a checksum of the mutable site/webhook/contact columns. */
async function snapshot(): Promise<string> {
  const parts: unknown[] = [];
  for (const table of TABLES) {
    parts.push(
      (await selectRows<{ n: number }>(t.db, sql`SELECT COUNT(*) AS n FROM ${sql.identifier(table)}`))[0]?.n,
    );
  }
  parts.push(
    await selectRows(
      t.db,
      sql`SELECT blog_id, monitor_url, monitor_active, check_keyword, forbidden_keyword, forbidden_keywords, custom_headers,
                 maintenance_start, maintenance_end FROM jetpack_monitor_sites ORDER BY blog_id`,
    ),
    await selectRows(t.db, sql`SELECT url, active, secret, events FROM jetmon_webhooks ORDER BY id`),
    await selectRows(t.db, sql`SELECT label, active, destination FROM jetmon_alert_contacts ORDER BY id`),
    await selectRows(t.db, sql`SELECT id, ended_at FROM jetmon_events ORDER BY id`),
  );
  return JSON.stringify(parts);
}

type Case = [
  method: string,
  path: string,
  body: string | undefined,
  headers: Record<string, string> | undefined,
  status: number,
  code: string,
];

const cursorOf = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
const site = (extra: Record<string, unknown>) =>
  JSON.stringify({ blog_id: 900, monitor_url: "http://a.test/", ...extra });
const big = "x".repeat(MAX_BODY_BYTES + 1);

// Paths use W, C and E for the webhook, contact and event made above.
const CASES: Case[] = [
  // ids
  ["GET", "/api/v1/sites/%E0%A4%A", undefined, undefined, 400, "invalid_site_id"],
  ["GET", "/api/v1/sites/1.5", undefined, undefined, 400, "invalid_site_id"],
  ["GET", "/api/v1/sites/-7", undefined, undefined, 400, "invalid_site_id"],
  ["GET", "/api/v1/sites/0x7", undefined, undefined, 400, "invalid_site_id"],
  ["GET", "/api/v1/sites/7/events/abc", undefined, undefined, 400, "invalid_event_id"],
  ["GET", "/api/v1/events/0", undefined, undefined, 400, "invalid_event_id"],
  ["POST", "/api/v1/sites/7/events/E/close", '{"reason":"bogus"}', undefined, 422, "invalid_field"],
  ["POST", "/api/v1/webhooks/x/rotate-secret", undefined, undefined, 400, "invalid_webhook_id"],
  ["POST", "/api/v1/webhooks/424242/rotate-secret", undefined, undefined, 404, "webhook_not_found"],
  ["GET", "/api/v1/webhooks/W/deliveries?status=done", undefined, undefined, 400, "invalid_status"],
  ["POST", "/api/v1/webhooks/W/deliveries/0/retry", undefined, undefined, 400, "invalid_delivery_id"],
  ["POST", "/api/v1/webhooks/W/deliveries/424242/retry", undefined, undefined, 404, "delivery_not_found"],
  ["POST", "/api/v1/alert-contacts/C/deliveries/x/retry", undefined, undefined, 400, "invalid_delivery_id"],
  ["GET", "/api/v1/alert-contacts/1e3/deliveries", undefined, undefined, 400, "invalid_alert_contact_id"],
  ["POST", "/api/v1/alert-contacts/%2F/test", undefined, undefined, 400, "invalid_alert_contact_id"],
  ["POST", "/api/v1/alert-contacts/C/test", undefined, undefined, 503, "transport_not_configured"],
  // cursors
  ["GET", "/api/v1/sites?cursor=%%%", undefined, undefined, 400, "invalid_cursor"],
  ["GET", `/api/v1/sites?cursor=${cursorOf({ id: 1.5 })}`, undefined, undefined, 400, "invalid_cursor"],
  ["GET", `/api/v1/sites?cursor=${cursorOf({ id: "7" })}`, undefined, undefined, 400, "invalid_cursor"],
  ["GET", `/api/v1/sites?cursor=${cursorOf([7])}`, undefined, undefined, 400, "invalid_cursor"],
  [
    "GET",
    `/api/v1/sites/7/events?cursor=${cursorOf({ id: -1 })}`,
    undefined,
    undefined,
    400,
    "invalid_cursor",
  ],
  ["GET", "/api/v1/webhooks/W/deliveries?cursor=bm9wZQ", undefined, undefined, 400, "invalid_cursor"],
  ["GET", "/api/v1/sites/7/events/E/transitions?cursor=e30", undefined, undefined, 400, "invalid_cursor"],
  // limits
  ["GET", "/api/v1/sites/7/events?limit=1e3", undefined, undefined, 400, "invalid_limit"],
  ["GET", "/api/v1/sites/7/events?limit=-1", undefined, undefined, 400, "invalid_limit"],
  ["GET", "/api/v1/alert-contacts/C/deliveries?limit=2.5", undefined, undefined, 400, "invalid_limit"],
  ["GET", "/api/v1/sites/7/events/E/transitions?limit=0", undefined, undefined, 400, "invalid_limit"],
  // filters
  ["GET", "/api/v1/sites?state=Up&state__in=Up", undefined, undefined, 400, "invalid_state_filter"],
  ["GET", "/api/v1/sites?state__in=Up,,Down", undefined, undefined, 400, "invalid_state_filter"],
  ["GET", "/api/v1/sites?severity__gte=-1", undefined, undefined, 400, "invalid_severity"],
  ["GET", "/api/v1/sites?monitor_active=yes", undefined, undefined, 400, "invalid_monitor_active"],
  ["GET", "/api/v1/sites?include_cli_metadata=2", undefined, undefined, 400, "invalid_include_cli_metadata"],
  ["GET", "/api/v1/sites/7/events?check_type=a%20b", undefined, undefined, 400, "invalid_check_type_filter"],
  [
    "GET",
    "/api/v1/sites/7/events?check_type=http&check_type__in=http",
    undefined,
    undefined,
    400,
    "invalid_check_type_filter",
  ],
  ["GET", "/api/v1/sites/7/events?state__in=", undefined, undefined, 400, "invalid_state_filter"],
  [
    "GET",
    "/api/v1/sites/7/events?started_at__gte=2026-02-30T00:00:00Z",
    undefined,
    undefined,
    400,
    "invalid_started_at__gte",
  ],
  [
    "GET",
    "/api/v1/sites/7/events?started_at__lt=1700000000",
    undefined,
    undefined,
    400,
    "invalid_started_at__lt",
  ],
  ["GET", "/api/v1/sites/7/events?active=maybe", undefined, undefined, 400, "invalid_active"],
  ["GET", "/api/v1/sites/7/uptime?window=2h", undefined, undefined, 400, "invalid_window"],
  [
    "GET",
    "/api/v1/sites/7/response-time?from=2026-01-01T00:00:00Z",
    undefined,
    undefined,
    400,
    "invalid_window",
  ],
  // bodies
  ["POST", "/api/v1/sites", "{", undefined, 400, "invalid_body"],
  ["POST", "/api/v1/sites", "[]", undefined, 400, "invalid_body"],
  ["POST", "/api/v1/sites", "null", undefined, 400, "invalid_body"],
  ["POST", "/api/v1/sites", '"site"', undefined, 400, "invalid_body"],
  ["POST", "/api/v1/sites", "", undefined, 400, "invalid_body"],
  ["POST", "/api/v1/sites", site({ blog_id: 1e30 }), undefined, 400, "invalid_body"],
  ["POST", "/api/v1/sites", site({ extra: 1 }), undefined, 400, "invalid_body"],
  [
    "POST",
    "/api/v1/sites",
    '{"blog_id":900,"monitor_url":"http://a.test/","__proto__":{"x":1}}',
    undefined,
    400,
    "invalid_body",
  ],
  ["POST", "/api/v1/sites", site({ monitor_url: "ftp://a.test/" }), undefined, 400, "invalid_url"],
  ["POST", "/api/v1/sites", site({ redirect_policy: "loop" }), undefined, 422, "invalid_redirect_policy"],
  ["POST", "/api/v1/sites", site({ custom_headers: [1] }), undefined, 422, "invalid_custom_headers"],
  [
    "POST",
    "/api/v1/sites",
    site({ custom_headers: { "Bad Name": "x" } }),
    undefined,
    422,
    "invalid_custom_headers",
  ],
  [
    "POST",
    "/api/v1/sites",
    site({ custom_headers: { X: "a\r\nb" } }),
    undefined,
    422,
    "invalid_custom_headers",
  ],
  [
    "POST",
    "/api/v1/sites",
    site({ maintenance_start: "2026-02-30T00:00:00Z" }),
    undefined,
    422,
    "invalid_field",
  ],
  [
    "POST",
    "/api/v1/sites",
    site({ maintenance_start: "2026-01-02T00:00:00Z", maintenance_end: "2026-01-01T00:00:00Z" }),
    undefined,
    422,
    "invalid_field",
  ],
  ["POST", "/api/v1/sites", site({ forbidden_keyword: "" }), undefined, 422, "invalid_field"],
  ["POST", "/api/v1/sites", site({ forbidden_keywords: "one" }), undefined, 422, "invalid_field"],
  ["PATCH", "/api/v1/sites/7", '{"forbidden_keywords":[true]}', undefined, 422, "invalid_field"],
  ["PATCH", "/api/v1/sites/7", '{"check_interval":0}', undefined, 400, "invalid_body"],
  ["PATCH", "/api/v1/sites/7", "nope", undefined, 400, "invalid_body"],
  ["POST", "/api/v1/sites/7/events/E/close", '{"note":5}', undefined, 400, "invalid_body"],
  [
    "POST",
    "/api/v1/webhooks",
    '{"url":"https://h.test","events":"event.opened"}',
    undefined,
    400,
    "invalid_body",
  ],
  [
    "POST",
    "/api/v1/webhooks",
    '{"url":"https://h.test","site_filter":{"site_ids":[1e300]}}',
    undefined,
    400,
    "invalid_body",
  ],
  ["PATCH", "/api/v1/webhooks/W", '{"events":["event.nope"]}', undefined, 422, "invalid_event_type"],
  ["PATCH", "/api/v1/webhooks/W", '{"url":"javascript:alert(1)"}', undefined, 400, "invalid_url"],
  ["PATCH", "/api/v1/alert-contacts/C", '{"min_severity":"Loud"}', undefined, 400, "invalid_severity"],
  ["PATCH", "/api/v1/alert-contacts/C", '{"destination":{"address":5}}', undefined, 400, "invalid_body"],
  // oversized bodies, declared or not
  ["POST", "/api/v1/sites", big, undefined, 413, "body_too_large"],
  ["PATCH", "/api/v1/sites/7", big, undefined, 413, "body_too_large"],
  ["POST", "/api/v1/alert-contacts/C/test", big, undefined, 413, "body_too_large"],
  ["POST", "/api/v1/webhooks/W/rotate-secret", big, undefined, 413, "body_too_large"],
  ["POST", "/api/v1/sites/7/events/E/close", big, undefined, 413, "body_too_large"],
  ["POST", "/api/v1/sites", "{}", { "content-length": String(MAX_BODY_BYTES + 1) }, 413, "body_too_large"],
  // headers
  ["GET", "/api/v1/sites", undefined, { authorization: "Bearer " }, 401, "missing_token"],
  ["GET", "/api/v1/sites", undefined, { authorization: "Basic dzp3" }, 401, "missing_token"],
  ["GET", "/api/v1/sites", undefined, { authorization: "BEARER jm_x" }, 401, "missing_token"],
  [
    "GET",
    "/api/v1/sites",
    undefined,
    { authorization: `Bearer jm_${"A".repeat(5000)}` },
    401,
    "invalid_token",
  ],
  ["POST", "/api/v1/sites", site({}), { "X-Jetmon-Plan": "pro" }, 403, "forbidden_gateway_context"],
  // URLs
  ["GET", "/api/v1/sites/7/", undefined, undefined, 404, "endpoint_not_found"],
  ["GET", "/api/v1//sites", undefined, undefined, 404, "endpoint_not_found"],
  ["PUT", "/api/v1/alert-contacts/C/test", undefined, undefined, 405, "method_not_allowed"],
  ["DELETE", "/api/v1/webhooks/W/rotate-secret", undefined, undefined, 405, "method_not_allowed"],
];

describe("bad input", () => {
  const named = CASES.map((c) => {
    const [method, path, body, headers, status, code] = c;
    const shown = body === undefined ? "" : body.length > 80 ? ` <${body.length} bytes>` : ` ${body}`;
    const hdr = headers ? ` ${JSON.stringify(headers).slice(0, 60)}` : "";
    return { name: `${method} ${path}${shown}${hdr} -> ${status} ${code}`, c };
  });
  test.each(named)("$name, nothing written", async ({ c }) => {
    const [method, rawPath, body, headers, status, code] = c;
    const path = rawPath
      .replace(/\/W(?=\/|\?|$)/, `/${webhook}`)
      .replace(/\/C(?=\/|\?|$)/, `/${contact}`)
      .replace(/\/E(?=\/|\?|$)/, `/${event}`);
    const before = await snapshot();
    const res = await app.handle(
      new Request(`http://api.test${path}`, {
        method,
        headers: { authorization: `Bearer ${write}`, "content-type": "application/json", ...headers },
        body,
      }),
    );
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const parsed = (await res.json()) as { error: { code: string; message: string } };
    expect([res.status, parsed.error.code]).toEqual([status, code]);
    expect(parsed.error.message.length).toBeGreaterThan(0);
    expect(await snapshot()).toBe(before);
  });

  test("after all of it the API still answers", async () => {
    const res = await app.handle(new Request("http://api.test/api/v1/health"));
    expect(res.status).toBe(200);
  });
});

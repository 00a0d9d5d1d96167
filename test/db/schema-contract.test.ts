/**
 * The schema after `migrate` on an empty database, checked column by column against the Jetmon 2
 * reference (monitor-core §4, dashboard-fleethealth §3, deliverer §5). The expected lists are
 * written by hand from the reference, not generated from our SQL. information_schema is
 * normalised so the comparison holds on MariaDB and MySQL 8 alike.
 */
import { describe, expect, test } from "bun:test";
import { is } from "drizzle-orm";
import { getTableConfig, MySqlTable } from "drizzle-orm/mysql-core";
import * as schema from "../../src/db/schema.ts";
import { useTestDatabase } from "../support/db.ts";

/** [column, type, nullable, default, extra] */
type Col = [string, string, boolean, string | null, string?];
/** [index name, unique, columns] */
type Idx = [string, boolean, string[]];

const NN = false;
const NULL = true;
const CT = "CURRENT_TIMESTAMP";
const CT3 = "CURRENT_TIMESTAMP(3)";
const AI = "auto_increment";
const ONUP = "on update CURRENT_TIMESTAMP";
const ONUP3 = "on update CURRENT_TIMESTAMP(3)";
const BIGU = "bigint unsigned";
const TINYU = "tinyint unsigned";
const SMALLU = "smallint unsigned";
const INTU = "int unsigned";
const DELIVERY_STATUS = "enum('pending','delivered','failed','abandoned')";

const idCol: Col = ["id", BIGU, NN, null, AI];
const createdAt: Col = ["created_at", "timestamp", NN, CT];
const updatedAt: Col = ["updated_at", "timestamp", NN, CT, ONUP];
const progress: Col[] = [
  ["instance_id", "varchar(255)", NN, null],
  ["last_transition_id", BIGU, NN, "0"],
  updatedAt,
];
const deliveryTail: Col[] = [
  ["payload", "json", NN, null],
  ["status", DELIVERY_STATUS, NN, "pending"],
  ["attempt", INTU, NN, "0"],
  ["next_attempt_at", "timestamp", NULL, null],
  ["last_status_code", "int", NULL, null],
  ["last_response", "varchar(2048)", NULL, null],
  ["last_attempt_at", "timestamp", NULL, null],
  ["delivered_at", "timestamp", NULL, null],
  createdAt,
];
const deliveryStatusIndexes: Idx[] = [
  ["idx_status_next_attempt", false, ["status", "next_attempt_at"]],
  ["idx_event_id", false, ["event_id"]],
  ["idx_status_delivered_at", false, ["status", "delivered_at"]],
  ["idx_status_last_attempt_at", false, ["status", "last_attempt_at"]],
  ["idx_status_created_at", false, ["status", "created_at"]],
];
const pk = (...cols: string[]): Idx => ["PRIMARY", true, cols];

const EXPECTED: Record<string, { columns: Col[]; indexes: Idx[] }> = {
  jetmon_schema_migrations: {
    columns: [
      ["id", INTU, NN, null],
      ["applied_at", "timestamp", NN, CT],
    ],
    indexes: [pk("id")],
  },
  jetpack_monitor_sites: {
    columns: [
      ["jetpack_monitor_site_id", BIGU, NN, null, AI],
      ["blog_id", BIGU, NN, null],
      ["bucket_no", SMALLU, NN, "0"],
      ["monitor_url", "varchar(2083)", NN, ""],
      ["monitor_active", TINYU, NN, "0"],
      ["site_status", "tinyint", NN, "1"],
      ["last_status_change", "datetime", NULL, null],
      ["check_interval", SMALLU, NN, "5"],
      ["ssl_expiry_date", "date", NULL, null],
      ["check_keyword", "varchar(500)", NULL, null],
      // migrations 10004, 10005 (Go's later 31, 33: same names, types and places)
      ["forbidden_keyword", "varchar(500)", NULL, null],
      ["forbidden_keywords", "json", NULL, null],
      ["maintenance_start", "datetime", NULL, null],
      ["maintenance_end", "datetime", NULL, null],
      ["custom_headers", "json", NULL, null],
      ["timeout_seconds", TINYU, NULL, null],
      ["redirect_policy", "enum('follow','alert','fail')", NULL, "follow"],
      ["alert_cooldown_minutes", SMALLU, NULL, null],
      ["last_checked_at", "datetime", NULL, null],
      ["last_alert_sent_at", "datetime", NULL, null],
    ],
    indexes: [
      pk("jetpack_monitor_site_id"),
      ["idx_bucket_active", false, ["bucket_no", "monitor_active"]],
      ["idx_bucket_monitor_last_checked", false, ["bucket_no", "monitor_active", "last_checked_at"]],
      // migration 10003 (dev shape only; production's blog_id_monitor_url makes it a no-op)
      ["idx_blog_id", false, ["blog_id"]],
      // migration 10001
      [
        "idx_monitor_last_checked_blog_bucket",
        false,
        ["monitor_active", "last_checked_at", "blog_id", "bucket_no"],
      ],
    ],
  },
  jetmon_hosts: {
    columns: [
      ["host_id", "varchar(255)", NN, null],
      ["bucket_min", SMALLU, NN, null],
      ["bucket_max", SMALLU, NN, null],
      ["last_heartbeat", "timestamp", NN, CT],
      ["status", "enum('active','draining')", NN, "active"],
    ],
    indexes: [pk("host_id")],
  },
  jetmon_audit_log: {
    columns: [
      idCol,
      ["blog_id", BIGU, NULL, null],
      ["event_id", BIGU, NULL, null],
      ["event_type", "varchar(64)", NN, null],
      ["source", "varchar(255)", NN, "local"],
      ["detail", "varchar(1024)", NULL, null],
      ["metadata", "json", NULL, null],
      createdAt,
    ],
    indexes: [
      pk("id"),
      ["idx_blog_id_created", false, ["blog_id", "created_at"]],
      ["idx_event_id", false, ["event_id"]],
      ["idx_event_type_created", false, ["event_type", "created_at"]],
    ],
  },
  jetmon_check_history: {
    columns: [
      idCol,
      ["blog_id", BIGU, NN, null],
      ["http_code", "smallint", NULL, null],
      ["error_code", "tinyint", NULL, null],
      ["rtt_ms", "int", NULL, null],
      ["dns_ms", "int", NULL, null],
      ["tcp_ms", "int", NULL, null],
      ["tls_ms", "int", NULL, null],
      ["ttfb_ms", "int", NULL, null],
      ["checked_at", "timestamp", NN, CT],
      // migration 10006 (Go's later 32: same name, type and default)
      ["request_method", "varchar(16)", NN, "GET"],
    ],
    indexes: [
      pk("id"),
      ["idx_blog_id_checked", false, ["blog_id", "checked_at"]],
      // migration 10002
      ["idx_checked_at", false, ["checked_at"]],
    ],
  },
  jetmon_false_positives: {
    columns: [
      idCol,
      ["blog_id", BIGU, NN, null],
      ["http_code", "smallint", NULL, null],
      ["error_code", "tinyint", NULL, null],
      ["rtt_ms", "int", NULL, null],
      createdAt,
    ],
    indexes: [pk("id"), ["idx_blog_id", false, ["blog_id"]]],
  },
  jetmon_events: {
    columns: [
      idCol,
      ["blog_id", BIGU, NN, null],
      ["endpoint_id", BIGU, NULL, null],
      ["check_type", "varchar(64)", NN, null],
      ["discriminator", "varchar(128)", NULL, null],
      ["severity", TINYU, NN, null],
      ["state", "varchar(32)", NN, null],
      ["started_at", "timestamp(3)", NN, CT3],
      ["ended_at", "timestamp(3)", NULL, null],
      ["resolution_reason", "varchar(64)", NULL, null],
      ["cause_event_id", BIGU, NULL, null],
      ["metadata", "json", NULL, null],
      ["updated_at", "timestamp(3)", NN, CT3, ONUP3],
      ["dedup_key", "varchar(255)", NULL, null, "stored generated"],
    ],
    indexes: [
      pk("id"),
      ["uk_open_dedup", true, ["dedup_key"]],
      ["idx_blog_id_started", false, ["blog_id", "started_at"]],
      ["idx_blog_id_active", false, ["blog_id", "ended_at"]],
      ["idx_check_type_started", false, ["check_type", "started_at"]],
      ["idx_cause_event_id", false, ["cause_event_id"]],
    ],
  },
  jetmon_event_transitions: {
    columns: [
      idCol,
      ["event_id", BIGU, NN, null],
      ["blog_id", BIGU, NN, null],
      ["severity_before", TINYU, NULL, null],
      ["severity_after", TINYU, NULL, null],
      ["state_before", "varchar(32)", NULL, null],
      ["state_after", "varchar(32)", NULL, null],
      ["reason", "varchar(64)", NN, null],
      ["source", "varchar(255)", NN, "local"],
      ["metadata", "json", NULL, null],
      ["changed_at", "timestamp(3)", NN, CT3],
    ],
    indexes: [
      pk("id"),
      ["idx_event_id_changed", false, ["event_id", "changed_at"]],
      ["idx_blog_id_changed", false, ["blog_id", "changed_at"]],
      ["idx_changed_at", false, ["changed_at"]],
    ],
  },
  jetmon_api_keys: {
    columns: [
      idCol,
      ["key_hash", "char(64)", NN, null],
      ["consumer_name", "varchar(128)", NN, null],
      ["scope", "enum('read','write','admin')", NN, "read"],
      ["rate_limit_per_minute", "int", NN, "60"],
      ["expires_at", "timestamp", NULL, null],
      ["revoked_at", "timestamp", NULL, null],
      ["last_used_at", "timestamp", NULL, null],
      createdAt,
      ["created_by", "varchar(128)", NN, "cli"],
    ],
    indexes: [pk("id"), ["uk_key_hash", true, ["key_hash"]], ["idx_consumer", false, ["consumer_name"]]],
  },
  jetmon_webhooks: {
    columns: [
      idCol,
      ["url", "varchar(2083)", NN, null],
      ["active", TINYU, NN, "1"],
      ["owner_tenant_id", "varchar(128)", NULL, null],
      ["events", "json", NULL, null],
      ["site_filter", "json", NULL, null],
      ["state_filter", "json", NULL, null],
      ["secret", "varchar(80)", NN, null],
      ["secret_preview", "varchar(8)", NN, ""],
      ["created_by", "varchar(128)", NN, ""],
      createdAt,
      updatedAt,
    ],
    indexes: [
      pk("id"),
      ["idx_active", false, ["active"]],
      ["idx_owner_tenant_id", false, ["owner_tenant_id"]],
    ],
  },
  jetmon_webhook_deliveries: {
    columns: [
      idCol,
      ["webhook_id", BIGU, NN, null],
      ["transition_id", BIGU, NN, null],
      ["event_id", BIGU, NN, null],
      ["event_type", "varchar(64)", NN, null],
      ...deliveryTail,
    ],
    indexes: [
      pk("id"),
      ["uk_webhook_transition", true, ["webhook_id", "transition_id"]],
      ["idx_webhook_id_created", false, ["webhook_id", "created_at"]],
      ...deliveryStatusIndexes,
    ],
  },
  jetmon_webhook_dispatch_progress: { columns: progress, indexes: [pk("instance_id")] },
  jetmon_alert_contacts: {
    columns: [
      idCol,
      ["label", "varchar(128)", NN, null],
      ["active", TINYU, NN, "1"],
      ["owner_tenant_id", "varchar(128)", NULL, null],
      ["transport", "enum('email','pagerduty','slack','teams')", NN, null],
      ["destination", "json", NN, null],
      ["destination_preview", "varchar(8)", NN, ""],
      ["site_filter", "json", NULL, null],
      ["min_severity", TINYU, NN, "4"],
      ["max_per_hour", INTU, NN, "60"],
      ["created_by", "varchar(128)", NN, ""],
      createdAt,
      updatedAt,
    ],
    indexes: [
      pk("id"),
      ["idx_active", false, ["active"]],
      ["idx_owner_tenant_id", false, ["owner_tenant_id"]],
    ],
  },
  jetmon_alert_deliveries: {
    columns: [
      idCol,
      ["alert_contact_id", BIGU, NN, null],
      ["transition_id", BIGU, NN, null],
      ["event_id", BIGU, NN, null],
      ["event_type", "varchar(64)", NN, null],
      ["severity", TINYU, NN, null],
      ...deliveryTail,
    ],
    indexes: [
      pk("id"),
      ["uk_alert_transition", true, ["alert_contact_id", "transition_id"]],
      ["idx_contact_id_created", false, ["alert_contact_id", "created_at"]],
      ...deliveryStatusIndexes,
    ],
  },
  jetmon_alert_dispatch_progress: { columns: progress, indexes: [pk("instance_id")] },
  jetmon_site_tenants: {
    columns: [
      ["tenant_id", "varchar(128)", NN, null],
      ["blog_id", BIGU, NN, null],
      ["source", "varchar(64)", NN, "gateway"],
      createdAt,
      updatedAt,
    ],
    indexes: [pk("tenant_id", "blog_id"), ["idx_blog_id", false, ["blog_id"]]],
  },
  jetmon_process_health: {
    columns: [
      ["process_id", "varchar(255)", NN, null],
      ["host_id", "varchar(255)", NN, null],
      ["process_type", "varchar(64)", NN, null],
      ["pid", INTU, NN, "0"],
      ["version", "varchar(64)", NN, ""],
      ["build_date", "varchar(64)", NN, ""],
      ["go_version", "varchar(64)", NN, ""],
      ["state", "varchar(32)", NN, "starting"],
      ["health_status", "varchar(16)", NN, "green"],
      ["started_at", "timestamp", NULL, null],
      updatedAt,
      ["bucket_min", SMALLU, NULL, null],
      ["bucket_max", SMALLU, NULL, null],
      ["bucket_ownership", "varchar(128)", NN, ""],
      ["api_port", INTU, NULL, null],
      ["dashboard_port", INTU, NULL, null],
      ["delivery_workers_enabled", TINYU, NN, "0"],
      ["delivery_owner_host", "varchar(255)", NN, ""],
      ["worker_count", INTU, NN, "0"],
      ["active_checks", INTU, NN, "0"],
      ["queue_depth", INTU, NN, "0"],
      ["retry_queue_size", INTU, NN, "0"],
      ["wpcom_circuit_open", TINYU, NN, "0"],
      ["wpcom_queue_depth", INTU, NN, "0"],
      ["go_sys_mem_mb", INTU, NN, "0"],
      ["rss_mem_mb", INTU, NN, "0"],
      ["dependency_health", "json", NULL, null],
      createdAt,
    ],
    indexes: [
      pk("process_id"),
      ["idx_process_type_updated", false, ["process_type", "updated_at"]],
      ["idx_host_updated", false, ["host_id", "updated_at"]],
      ["idx_state_updated", false, ["state", "updated_at"]],
      ["idx_health_status_updated", false, ["health_status", "updated_at"]],
    ],
  },
};

// ---- information_schema, normalised across MariaDB 10.11 and MySQL 8 ----

function normType(columnType: string, isJson: boolean): string {
  if (isJson) return "json"; // MariaDB: LONGTEXT + CHECK (json_valid(col))
  return columnType.toLowerCase().replace(/\b(tinyint|smallint|mediumint|int|bigint)\(\d+\)/, "$1");
}

function normDefault(d: string | null): string | null {
  if (d === null || d === "NULL") return null; // MariaDB reports an explicit NULL default as 'NULL'
  const ts = /^current_timestamp(\(\d*\))?$/i.exec(d);
  if (ts) return ts[1] && ts[1] !== "()" ? `CURRENT_TIMESTAMP${ts[1]}` : "CURRENT_TIMESTAMP";
  const quoted = /^'(.*)'$/s.exec(d); // MariaDB quotes string literals
  return quoted ? quoted[1]!.replace(/''/g, "'") : d;
}

function normExtra(e: string): string | undefined {
  const out = e
    .replace(/DEFAULT_GENERATED/i, "")
    .replace(/on update current_timestamp(\(\d*\))?/i, (_m, p: string | undefined) =>
      p && p !== "()" ? `on update CURRENT_TIMESTAMP${p}` : "on update CURRENT_TIMESTAMP",
    )
    .replace(/(VIRTUAL|STORED) GENERATED/i, (m) => m.toLowerCase())
    .trim();
  return out === "" ? undefined : out;
}

const t = useTestDatabase();

async function rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const [r] = await t.pool.query(sql, params);
  return r as T[];
}

async function actualColumns(table: string): Promise<Col[]> {
  const jsonChecks = await rows<{ clause: string }>(
    `SELECT CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS
      WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
    [table],
  ).catch(() => []); // MySQL 8 has no TABLE_NAME there and needs no JSON check
  const jsonCols = new Set(
    jsonChecks.map((c) => /json_valid\(`?(\w+)`?\)/i.exec(c.clause)?.[1]).filter((x): x is string => !!x),
  );
  const cols = await rows<{
    name: string;
    type: string;
    nullable: string;
    def: string | null;
    extra: string;
  }>(
    `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_DEFAULT AS def, EXTRA AS extra
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [table],
  );
  return cols.map((c) => {
    const col: Col = [
      c.name,
      normType(c.type, jsonCols.has(c.name) || c.type.toLowerCase() === "json"),
      c.nullable === "YES",
      normDefault(c.def),
    ];
    const extra = normExtra(c.extra);
    if (extra) col.push(extra);
    return col;
  });
}

async function actualIndexes(table: string): Promise<Idx[]> {
  const st = await rows<{ name: string; nonUnique: number | string; col: string }>(
    `SELECT INDEX_NAME AS name, NON_UNIQUE AS nonUnique, COLUMN_NAME AS col
       FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
      ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
    [table],
  );
  const byName = new Map<string, Idx>();
  for (const s of st) {
    const idx = byName.get(s.name) ?? [s.name, Number(s.nonUnique) === 0, []];
    idx[2].push(s.col);
    byName.set(s.name, idx);
  }
  return [...byName.values()];
}

const byName = (a: Idx, b: Idx) => a[0].localeCompare(b[0]);

describe("schema after migrate on an empty database", () => {
  test("exactly the 17 reference tables exist, InnoDB, utf8mb4", async () => {
    const tables = await rows<{ name: string; engine: string; collation: string }>(
      `SELECT TABLE_NAME AS name, ENGINE AS engine, TABLE_COLLATION AS collation
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME`,
    );
    expect(tables.map((x) => x.name).sort()).toEqual(Object.keys(EXPECTED).sort());
    expect(tables).toHaveLength(17);
    for (const x of tables) {
      expect([x.name, x.engine]).toEqual([x.name, "InnoDB"]);
      expect(x.collation).toStartWith("utf8mb4_");
    }
  });

  test.each(Object.keys(EXPECTED))(
    "%s: columns in order with reference types, nullability, defaults",
    async (table) => {
      expect(await actualColumns(table)).toEqual(EXPECTED[table]!.columns);
    },
  );

  test.each(Object.keys(EXPECTED))("%s: indexes", async (table) => {
    expect((await actualIndexes(table)).sort(byName)).toEqual([...EXPECTED[table]!.indexes].sort(byName));
  });

  test("every applied id is recorded: Go's 1..26, then ours 10001..10006 (none in Go's 27+)", async () => {
    const ids = await rows<{ id: number }>("SELECT id FROM jetmon_schema_migrations ORDER BY id");
    expect(ids.map((r) => r.id)).toEqual([
      ...Array.from({ length: 26 }, (_, i) => i + 1),
      ...Array.from({ length: 6 }, (_, i) => 10001 + i),
    ]);
  });
});

describe("drizzle schema matches the database", () => {
  const tables: MySqlTable[] = [];
  for (const v of Object.values(schema) as unknown[]) if (is(v, MySqlTable)) tables.push(v);

  test("schema.ts defines the 17 tables", () => {
    expect(tables.map((x) => getTableConfig(x).name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  test.each(tables.map((x) => [getTableConfig(x).name, x] as const))(
    "%s: same columns in the same order, same nullability, same indexes",
    async (name, table) => {
      const cfg = getTableConfig(table);
      const expected = EXPECTED[name]!;
      expect(cfg.columns.map((c) => [c.name, !c.notNull])).toEqual(expected.columns.map((c) => [c[0], c[2]]));
      const idx = cfg.indexes.map((i) => [
        i.config.name,
        !!i.config.unique,
        i.config.columns.map((c) => (c as { name: string }).name),
      ]);
      const pkCols =
        cfg.primaryKeys[0]?.columns.map((c) => c.name) ??
        cfg.columns.filter((c) => c.primary).map((c) => c.name);
      expect(
        [["PRIMARY", true, pkCols], ...idx].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      ).toEqual([...expected.indexes].sort(byName));
    },
  );
});

/**
 * Drizzle table definitions for the Jetmon 2 schema after migration 26 (plus the indexes of
 * 27+). The SQL in migrations/ is the source of truth for DDL; these definitions only type the
 * queries, so every column is here with its SQL name, and defaults are declared only so that
 * insert types make them optional.
 *
 * Conventions: BIGINT ids are JS numbers (mode "number"; ids stay far below 2^53), TIMESTAMP and
 * DATETIME are Dates read and written as UTC, DATE is a "YYYY-MM-DD" string, JSON is parsed.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  char,
  date,
  datetime,
  index,
  int,
  json,
  mysqlEnum,
  mysqlTable,
  primaryKey,
  smallint,
  timestamp,
  tinyint,
  uniqueIndex,
  varchar,
} from "drizzle-orm/mysql-core";

const id = (name = "id") => bigint(name, { mode: "number", unsigned: true });
const createdAt = () => timestamp("created_at", { mode: "date" }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { mode: "date" }).notNull().defaultNow().onUpdateNow();
const ts3Now = sql`CURRENT_TIMESTAMP(3)`;

/** Migration 1. */
export const schemaMigrations = mysqlTable("jetmon_schema_migrations", {
  id: int("id", { unsigned: true }).primaryKey(),
  appliedAt: timestamp("applied_at", { mode: "date" }).notNull().defaultNow(),
});

/**
 * Migrations 2, 3, 8 (+ this project's 10001 and 10003 indexes, 10004-10005 forbidden content).
 * The legacy v1 site table. A Go-migrated database may lack the forbidden_* columns: readers
 * check OptionalColumns (db/schema-state.ts) before selecting them.
 */
export const sites = mysqlTable(
  "jetpack_monitor_sites",
  {
    jetpackMonitorSiteId: id("jetpack_monitor_site_id").autoincrement().primaryKey(),
    blogId: id("blog_id").notNull(),
    bucketNo: smallint("bucket_no", { unsigned: true }).notNull().default(0),
    monitorUrl: varchar("monitor_url", { length: 2083 }).notNull().default(""),
    monitorActive: tinyint("monitor_active", { unsigned: true }).notNull().default(0),
    siteStatus: tinyint("site_status").notNull().default(1),
    lastStatusChange: datetime("last_status_change", { mode: "date" }),
    checkInterval: smallint("check_interval", { unsigned: true }).notNull().default(5),
    sslExpiryDate: date("ssl_expiry_date", { mode: "string" }),
    checkKeyword: varchar("check_keyword", { length: 500 }),
    forbiddenKeyword: varchar("forbidden_keyword", { length: 500 }),
    forbiddenKeywords: json("forbidden_keywords").$type<unknown>(),
    maintenanceStart: datetime("maintenance_start", { mode: "date" }),
    maintenanceEnd: datetime("maintenance_end", { mode: "date" }),
    customHeaders: json("custom_headers").$type<Record<string, string>>(),
    timeoutSeconds: tinyint("timeout_seconds", { unsigned: true }),
    redirectPolicy: mysqlEnum("redirect_policy", ["follow", "alert", "fail"]).default("follow"),
    alertCooldownMinutes: smallint("alert_cooldown_minutes", { unsigned: true }),
    lastCheckedAt: datetime("last_checked_at", { mode: "date" }),
    lastAlertSentAt: datetime("last_alert_sent_at", { mode: "date" }),
  },
  (t) => [
    index("idx_bucket_active").on(t.bucketNo, t.monitorActive),
    index("idx_bucket_monitor_last_checked").on(t.bucketNo, t.monitorActive, t.lastCheckedAt),
    // Migration 10003; production's v1 table has blog_id_monitor_url instead.
    index("idx_blog_id").on(t.blogId),
    index("idx_monitor_last_checked_blog_bucket").on(t.monitorActive, t.lastCheckedAt, t.blogId, t.bucketNo),
  ],
);

/** Migration 4. Bucket ownership and heartbeat per monitor host. */
export const hosts = mysqlTable("jetmon_hosts", {
  hostId: varchar("host_id", { length: 255 }).primaryKey(),
  bucketMin: smallint("bucket_min", { unsigned: true }).notNull(),
  bucketMax: smallint("bucket_max", { unsigned: true }).notNull(),
  lastHeartbeat: timestamp("last_heartbeat", { mode: "date" }).notNull().defaultNow(),
  status: mysqlEnum("status", ["active", "draining"]).notNull().default("active"),
});

/** Migrations 5, 9. Operational audit trail (WPCOM, retries, verifier RPC, suppression). */
export const auditLog = mysqlTable(
  "jetmon_audit_log",
  {
    id: id().autoincrement().primaryKey(),
    blogId: id("blog_id"),
    eventId: id("event_id"),
    eventType: varchar("event_type", { length: 64 }).notNull(),
    source: varchar("source", { length: 255 }).notNull().default("local"),
    detail: varchar("detail", { length: 1024 }),
    metadata: json("metadata"),
    createdAt: createdAt(),
  },
  (t) => [
    index("idx_blog_id_created").on(t.blogId, t.createdAt),
    index("idx_event_id").on(t.eventId),
    index("idx_event_type_created").on(t.eventType, t.createdAt),
  ],
);

/** Migration 6 (+ the prune index of 10002, request_method of 10006). One row per check. */
export const checkHistory = mysqlTable(
  "jetmon_check_history",
  {
    id: id().autoincrement().primaryKey(),
    blogId: id("blog_id").notNull(),
    httpCode: smallint("http_code"),
    errorCode: tinyint("error_code"),
    rttMs: int("rtt_ms"),
    dnsMs: int("dns_ms"),
    tcpMs: int("tcp_ms"),
    tlsMs: int("tls_ms"),
    ttfbMs: int("ttfb_ms"),
    checkedAt: timestamp("checked_at", { mode: "date" }).notNull().defaultNow(),
    requestMethod: varchar("request_method", { length: 16 }).notNull().default("GET"),
  },
  (t) => [index("idx_blog_id_checked").on(t.blogId, t.checkedAt), index("idx_checked_at").on(t.checkedAt)],
);

/** Migration 7. */
export const falsePositives = mysqlTable(
  "jetmon_false_positives",
  {
    id: id().autoincrement().primaryKey(),
    blogId: id("blog_id").notNull(),
    httpCode: smallint("http_code"),
    errorCode: tinyint("error_code"),
    rttMs: int("rtt_ms"),
    createdAt: createdAt(),
  },
  (t) => [index("idx_blog_id").on(t.blogId)],
);

/**
 * Migration 10. Current state of every incident. `dedupKey` is generated by MySQL: the identity
 * tuple while the event is open, NULL once `ended_at` is set, so `uk_open_dedup` allows one open
 * event per (blog, endpoint, check type, discriminator). Never written by the application.
 */
export const events = mysqlTable(
  "jetmon_events",
  {
    id: id().autoincrement().primaryKey(),
    blogId: id("blog_id").notNull(),
    endpointId: id("endpoint_id"),
    checkType: varchar("check_type", { length: 64 }).notNull(),
    discriminator: varchar("discriminator", { length: 128 }),
    severity: tinyint("severity", { unsigned: true }).notNull(),
    state: varchar("state", { length: 32 }).notNull(),
    startedAt: timestamp("started_at", { mode: "date", fsp: 3 }).notNull().default(ts3Now),
    endedAt: timestamp("ended_at", { mode: "date", fsp: 3 }),
    resolutionReason: varchar("resolution_reason", { length: 64 }),
    causeEventId: id("cause_event_id"),
    metadata: json("metadata"),
    updatedAt: timestamp("updated_at", { mode: "date", fsp: 3 }).notNull().default(ts3Now),
    dedupKey: varchar("dedup_key", { length: 255 }).generatedAlwaysAs(
      sql`IF(ended_at IS NULL, CONCAT_WS(':', blog_id, COALESCE(endpoint_id, 0), check_type, COALESCE(discriminator, '')), NULL)`,
      { mode: "stored" },
    ),
  },
  (t) => [
    uniqueIndex("uk_open_dedup").on(t.dedupKey),
    index("idx_blog_id_started").on(t.blogId, t.startedAt),
    index("idx_blog_id_active").on(t.blogId, t.endedAt),
    index("idx_check_type_started").on(t.checkType, t.startedAt),
    index("idx_cause_event_id").on(t.causeEventId),
  ],
);

/** Migration 11. Append-only history of every change to jetmon_events. */
export const eventTransitions = mysqlTable(
  "jetmon_event_transitions",
  {
    id: id().autoincrement().primaryKey(),
    eventId: id("event_id").notNull(),
    blogId: id("blog_id").notNull(),
    severityBefore: tinyint("severity_before", { unsigned: true }),
    severityAfter: tinyint("severity_after", { unsigned: true }),
    stateBefore: varchar("state_before", { length: 32 }),
    stateAfter: varchar("state_after", { length: 32 }),
    reason: varchar("reason", { length: 64 }).notNull(),
    source: varchar("source", { length: 255 }).notNull().default("local"),
    metadata: json("metadata"),
    changedAt: timestamp("changed_at", { mode: "date", fsp: 3 }).notNull().default(ts3Now),
  },
  (t) => [
    index("idx_event_id_changed").on(t.eventId, t.changedAt),
    index("idx_blog_id_changed").on(t.blogId, t.changedAt),
    index("idx_changed_at").on(t.changedAt),
  ],
);

/** Migration 12. API keys, sha256-hashed at rest. */
export const apiKeys = mysqlTable(
  "jetmon_api_keys",
  {
    id: id().autoincrement().primaryKey(),
    keyHash: char("key_hash", { length: 64 }).notNull(),
    consumerName: varchar("consumer_name", { length: 128 }).notNull(),
    scope: mysqlEnum("scope", ["read", "write", "admin"]).notNull().default("read"),
    rateLimitPerMinute: int("rate_limit_per_minute").notNull().default(60),
    expiresAt: timestamp("expires_at", { mode: "date" }),
    revokedAt: timestamp("revoked_at", { mode: "date" }),
    lastUsedAt: timestamp("last_used_at", { mode: "date" }),
    createdAt: createdAt(),
    createdBy: varchar("created_by", { length: 128 }).notNull().default("cli"),
  },
  (t) => [uniqueIndex("uk_key_hash").on(t.keyHash), index("idx_consumer").on(t.consumerName)],
);

/** Migrations 13, 19. Webhook registry; `secret` is plaintext because it signs (HMAC). */
export const webhooks = mysqlTable(
  "jetmon_webhooks",
  {
    id: id().autoincrement().primaryKey(),
    url: varchar("url", { length: 2083 }).notNull(),
    active: tinyint("active", { unsigned: true }).notNull().default(1),
    ownerTenantId: varchar("owner_tenant_id", { length: 128 }),
    events: json("events"),
    siteFilter: json("site_filter"),
    stateFilter: json("state_filter"),
    secret: varchar("secret", { length: 80 }).notNull(),
    secretPreview: varchar("secret_preview", { length: 8 }).notNull().default(""),
    createdBy: varchar("created_by", { length: 128 }).notNull().default(""),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("idx_active").on(t.active), index("idx_owner_tenant_id").on(t.ownerTenantId)],
);

export const deliveryStatuses = ["pending", "delivered", "failed", "abandoned"] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/** Migrations 14, 22. One row per (webhook, transition); payload frozen at enqueue. */
export const webhookDeliveries = mysqlTable(
  "jetmon_webhook_deliveries",
  {
    id: id().autoincrement().primaryKey(),
    webhookId: id("webhook_id").notNull(),
    transitionId: id("transition_id").notNull(),
    eventId: id("event_id").notNull(),
    eventType: varchar("event_type", { length: 64 }).notNull(),
    payload: json("payload").notNull(),
    status: mysqlEnum("status", deliveryStatuses).notNull().default("pending"),
    attempt: int("attempt", { unsigned: true }).notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { mode: "date" }),
    lastStatusCode: int("last_status_code"),
    lastResponse: varchar("last_response", { length: 2048 }),
    lastAttemptAt: timestamp("last_attempt_at", { mode: "date" }),
    deliveredAt: timestamp("delivered_at", { mode: "date" }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("uk_webhook_transition").on(t.webhookId, t.transitionId),
    index("idx_status_next_attempt").on(t.status, t.nextAttemptAt),
    index("idx_webhook_id_created").on(t.webhookId, t.createdAt),
    index("idx_event_id").on(t.eventId),
    index("idx_status_delivered_at").on(t.status, t.deliveredAt),
    index("idx_status_last_attempt_at").on(t.status, t.lastAttemptAt),
    index("idx_status_created_at").on(t.status, t.createdAt),
  ],
);

/** Migration 15. Per-instance high-water mark over jetmon_event_transitions.id. */
export const webhookDispatchProgress = mysqlTable("jetmon_webhook_dispatch_progress", {
  instanceId: varchar("instance_id", { length: 255 }).primaryKey(),
  lastTransitionId: id("last_transition_id").notNull().default(0),
  updatedAt: updatedAt(),
});

/** Migrations 16, 20. Alert contacts; `destination` holds the transport credential in plaintext. */
export const alertContacts = mysqlTable(
  "jetmon_alert_contacts",
  {
    id: id().autoincrement().primaryKey(),
    label: varchar("label", { length: 128 }).notNull(),
    active: tinyint("active", { unsigned: true }).notNull().default(1),
    ownerTenantId: varchar("owner_tenant_id", { length: 128 }),
    transport: mysqlEnum("transport", ["email", "pagerduty", "slack", "teams"]).notNull(),
    destination: json("destination").notNull(),
    destinationPreview: varchar("destination_preview", { length: 8 }).notNull().default(""),
    siteFilter: json("site_filter"),
    minSeverity: tinyint("min_severity", { unsigned: true }).notNull().default(4),
    maxPerHour: int("max_per_hour", { unsigned: true }).notNull().default(60),
    createdBy: varchar("created_by", { length: 128 }).notNull().default(""),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("idx_active").on(t.active), index("idx_owner_tenant_id").on(t.ownerTenantId)],
);

/** Migrations 17, 23. One row per (alert contact, transition). */
export const alertDeliveries = mysqlTable(
  "jetmon_alert_deliveries",
  {
    id: id().autoincrement().primaryKey(),
    alertContactId: id("alert_contact_id").notNull(),
    transitionId: id("transition_id").notNull(),
    eventId: id("event_id").notNull(),
    eventType: varchar("event_type", { length: 64 }).notNull(),
    severity: tinyint("severity", { unsigned: true }).notNull(),
    payload: json("payload").notNull(),
    status: mysqlEnum("status", deliveryStatuses).notNull().default("pending"),
    attempt: int("attempt", { unsigned: true }).notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { mode: "date" }),
    lastStatusCode: int("last_status_code"),
    lastResponse: varchar("last_response", { length: 2048 }),
    lastAttemptAt: timestamp("last_attempt_at", { mode: "date" }),
    deliveredAt: timestamp("delivered_at", { mode: "date" }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("uk_alert_transition").on(t.alertContactId, t.transitionId),
    index("idx_status_next_attempt").on(t.status, t.nextAttemptAt),
    index("idx_contact_id_created").on(t.alertContactId, t.createdAt),
    index("idx_event_id").on(t.eventId),
    index("idx_status_delivered_at").on(t.status, t.deliveredAt),
    index("idx_status_last_attempt_at").on(t.status, t.lastAttemptAt),
    index("idx_status_created_at").on(t.status, t.createdAt),
  ],
);

/** Migration 18. Same layout as webhookDispatchProgress. */
export const alertDispatchProgress = mysqlTable("jetmon_alert_dispatch_progress", {
  instanceId: varchar("instance_id", { length: 255 }).primaryKey(),
  lastTransitionId: id("last_transition_id").notNull().default(0),
  updatedAt: updatedAt(),
});

/** Migration 21. Gateway tenant ownership of sites (many-to-many). */
export const siteTenants = mysqlTable(
  "jetmon_site_tenants",
  {
    tenantId: varchar("tenant_id", { length: 128 }).notNull(),
    blogId: id("blog_id").notNull(),
    source: varchar("source", { length: 64 }).notNull().default("gateway"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.blogId] }), index("idx_blog_id").on(t.blogId)],
);

/**
 * Migrations 24-26. One heartbeat row per long-running process. Names are Go's: a Bun process
 * writes its runtime heap MB into `go_sys_mem_mb`, `bun <version>` into `go_version`, and its
 * RSS into `rss_mem_mb` (docs/design.md §2, the data contract).
 */
export const processHealth = mysqlTable(
  "jetmon_process_health",
  {
    processId: varchar("process_id", { length: 255 }).primaryKey(),
    hostId: varchar("host_id", { length: 255 }).notNull(),
    processType: varchar("process_type", { length: 64 }).notNull(),
    pid: int("pid", { unsigned: true }).notNull().default(0),
    version: varchar("version", { length: 64 }).notNull().default(""),
    buildDate: varchar("build_date", { length: 64 }).notNull().default(""),
    goVersion: varchar("go_version", { length: 64 }).notNull().default(""),
    state: varchar("state", { length: 32 }).notNull().default("starting"),
    healthStatus: varchar("health_status", { length: 16 }).notNull().default("green"),
    startedAt: timestamp("started_at", { mode: "date" }),
    updatedAt: updatedAt(),
    bucketMin: smallint("bucket_min", { unsigned: true }),
    bucketMax: smallint("bucket_max", { unsigned: true }),
    bucketOwnership: varchar("bucket_ownership", { length: 128 }).notNull().default(""),
    apiPort: int("api_port", { unsigned: true }),
    dashboardPort: int("dashboard_port", { unsigned: true }),
    deliveryWorkersEnabled: tinyint("delivery_workers_enabled", { unsigned: true }).notNull().default(0),
    deliveryOwnerHost: varchar("delivery_owner_host", { length: 255 }).notNull().default(""),
    workerCount: int("worker_count", { unsigned: true }).notNull().default(0),
    activeChecks: int("active_checks", { unsigned: true }).notNull().default(0),
    queueDepth: int("queue_depth", { unsigned: true }).notNull().default(0),
    retryQueueSize: int("retry_queue_size", { unsigned: true }).notNull().default(0),
    wpcomCircuitOpen: tinyint("wpcom_circuit_open", { unsigned: true }).notNull().default(0),
    wpcomQueueDepth: int("wpcom_queue_depth", { unsigned: true }).notNull().default(0),
    goSysMemMb: int("go_sys_mem_mb", { unsigned: true }).notNull().default(0),
    rssMemMb: int("rss_mem_mb", { unsigned: true }).notNull().default(0),
    dependencyHealth: json("dependency_health"),
    createdAt: createdAt(),
  },
  (t) => [
    index("idx_process_type_updated").on(t.processType, t.updatedAt),
    index("idx_host_updated").on(t.hostId, t.updatedAt),
    index("idx_state_updated").on(t.state, t.updatedAt),
    index("idx_health_status_updated").on(t.healthStatus, t.updatedAt),
  ],
);

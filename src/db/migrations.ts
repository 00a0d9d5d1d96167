/**
 * Every migration, embedded in the binary as text so `jetmon2 migrate` needs no files beside it.
 * Ids 1-26 are Jetmon 2 (Go)'s, with the same effect. Go's later branches number on from 27, so
 * this project's own migrations live above OWN_MIGRATION_BASE, a range Go never reaches
 * (docs/compatibility.md, "Migration ids"). Adding a file to migrations/ means adding one import
 * and one row here (a test checks).
 */
import m001 from "../../migrations/001_create_schema_migrations.sql" with { type: "text" };
import m002 from "../../migrations/002_create_jetpack_monitor_sites.sql" with { type: "text" };
import m003 from "../../migrations/003_sites_v2_columns.sql" with { type: "text" };
import m004 from "../../migrations/004_create_jetmon_hosts.sql" with { type: "text" };
import m005 from "../../migrations/005_create_audit_log.sql" with { type: "text" };
import m006 from "../../migrations/006_create_check_history.sql" with { type: "text" };
import m007 from "../../migrations/007_create_false_positives.sql" with { type: "text" };
import m008 from "../../migrations/008_sites_last_checked.sql" with { type: "text" };
import m009 from "../../migrations/009_audit_log_operational.sql" with { type: "text" };
import m010 from "../../migrations/010_create_events.sql" with { type: "text" };
import m011 from "../../migrations/011_create_event_transitions.sql" with { type: "text" };
import m012 from "../../migrations/012_create_api_keys.sql" with { type: "text" };
import m013 from "../../migrations/013_create_webhooks.sql" with { type: "text" };
import m014 from "../../migrations/014_create_webhook_deliveries.sql" with { type: "text" };
import m015 from "../../migrations/015_create_webhook_dispatch_progress.sql" with { type: "text" };
import m016 from "../../migrations/016_create_alert_contacts.sql" with { type: "text" };
import m017 from "../../migrations/017_create_alert_deliveries.sql" with { type: "text" };
import m018 from "../../migrations/018_create_alert_dispatch_progress.sql" with { type: "text" };
import m019 from "../../migrations/019_webhooks_owner_tenant.sql" with { type: "text" };
import m020 from "../../migrations/020_alert_contacts_owner_tenant.sql" with { type: "text" };
import m021 from "../../migrations/021_create_site_tenants.sql" with { type: "text" };
import m022 from "../../migrations/022_webhook_deliveries_status_indexes.sql" with { type: "text" };
import m023 from "../../migrations/023_alert_deliveries_status_indexes.sql" with { type: "text" };
import m024 from "../../migrations/024_create_process_health.sql" with { type: "text" };
import m025 from "../../migrations/025_process_health_status.sql" with { type: "text" };
import m026 from "../../migrations/026_process_health_rss.sql" with { type: "text" };
import m10001 from "../../migrations/10001_sites_due_index.sql" with { type: "text" };
import m10002 from "../../migrations/10002_check_history_checked_at_index.sql" with { type: "text" };
import m10003 from "../../migrations/10003_sites_blog_id_index.sql" with { type: "text" };
import m10004 from "../../migrations/10004_sites_forbidden_keyword.sql" with { type: "text" };
import m10005 from "../../migrations/10005_sites_forbidden_keywords.sql" with { type: "text" };
import m10006 from "../../migrations/10006_check_history_request_method.sql" with { type: "text" };

export interface Migration {
  id: number;
  /** The file name without the id prefix and extension, e.g. "create_events". */
  name: string;
  /** Exactly one SQL statement. */
  sql: string;
}

/** Sorted by id, ascending. */
export const MIGRATIONS: ReadonlyArray<Migration> = [
  { id: 1, name: "create_schema_migrations", sql: m001 },
  { id: 2, name: "create_jetpack_monitor_sites", sql: m002 },
  { id: 3, name: "sites_v2_columns", sql: m003 },
  { id: 4, name: "create_jetmon_hosts", sql: m004 },
  { id: 5, name: "create_audit_log", sql: m005 },
  { id: 6, name: "create_check_history", sql: m006 },
  { id: 7, name: "create_false_positives", sql: m007 },
  { id: 8, name: "sites_last_checked", sql: m008 },
  { id: 9, name: "audit_log_operational", sql: m009 },
  { id: 10, name: "create_events", sql: m010 },
  { id: 11, name: "create_event_transitions", sql: m011 },
  { id: 12, name: "create_api_keys", sql: m012 },
  { id: 13, name: "create_webhooks", sql: m013 },
  { id: 14, name: "create_webhook_deliveries", sql: m014 },
  { id: 15, name: "create_webhook_dispatch_progress", sql: m015 },
  { id: 16, name: "create_alert_contacts", sql: m016 },
  { id: 17, name: "create_alert_deliveries", sql: m017 },
  { id: 18, name: "create_alert_dispatch_progress", sql: m018 },
  { id: 19, name: "webhooks_owner_tenant", sql: m019 },
  { id: 20, name: "alert_contacts_owner_tenant", sql: m020 },
  { id: 21, name: "create_site_tenants", sql: m021 },
  { id: 22, name: "webhook_deliveries_status_indexes", sql: m022 },
  { id: 23, name: "alert_deliveries_status_indexes", sql: m023 },
  { id: 24, name: "create_process_health", sql: m024 },
  { id: 25, name: "process_health_status", sql: m025 },
  { id: 26, name: "process_health_rss", sql: m026 },
  { id: 10001, name: "sites_due_index", sql: m10001 },
  { id: 10002, name: "check_history_checked_at_index", sql: m10002 },
  { id: 10003, name: "sites_blog_id_index", sql: m10003 },
  { id: 10004, name: "sites_forbidden_keyword", sql: m10004 },
  { id: 10005, name: "sites_forbidden_keywords", sql: m10005 },
  { id: 10006, name: "check_history_request_method", sql: m10006 },
];

/** The last id of Go jetmon2's v2 HEAD; a database Go migrated records 1 to this. */
export const GO_BASELINE_ID = 26;

/** This project's ids are above this; everything from 27 up to it belongs to Go's later branches. */
export const OWN_MIGRATION_BASE = 10000;

/**
 * Ids this project recorded before its migrations moved above OWN_MIGRATION_BASE. The new id
 * `to` carries a guard, so on a database that ran `from` it is recorded without running. Once
 * `to` is recorded, the `from` row is deleted so Go's later branch, which owns that id, runs its
 * own change, unless `keepWhen` counts above 0: Go's change for that id is already there, or
 * Go's id means the same change as ours (Go's 27 is the same index; re-running it would fail on
 * the duplicate name).
 */
export interface LegacyId {
  from: number;
  to: number;
  /** A SELECT returning a count. */
  keepWhen: string;
}

/** Go's later 28 adds jetpack_monitor_sites.next_check_at and its 29 backfills it. */
const GO_NEXT_CHECK_AT =
  "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'jetpack_monitor_sites' AND column_name = 'next_check_at'";

export const LEGACY_IDS: ReadonlyArray<LegacyId> = [
  { from: 27, to: 10001, keepWhen: "SELECT 1" },
  { from: 28, to: 10002, keepWhen: GO_NEXT_CHECK_AT },
  { from: 29, to: 10003, keepWhen: GO_NEXT_CHECK_AT },
];

/** The highest id this binary knows. */
export const LATEST_MIGRATION_ID: number = MIGRATIONS.at(-1)?.id ?? 0;

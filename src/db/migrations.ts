/**
 * Every migration, embedded in the binary as text so `jetmon2 migrate` needs no files beside it.
 * Ids 1-26 are Jetmon 2 (Go)'s, with the same effect; 27 and up are this project's.
 * Adding a file to migrations/ means adding one import and one row here (a test checks).
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
import m027 from "../../migrations/027_sites_due_index.sql" with { type: "text" };
import m028 from "../../migrations/028_check_history_checked_at_index.sql" with { type: "text" };
import m029 from "../../migrations/029_sites_blog_id_index.sql" with { type: "text" };

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
  { id: 27, name: "sites_due_index", sql: m027 },
  { id: 28, name: "check_history_checked_at_index", sql: m028 },
  { id: 29, name: "sites_blog_id_index", sql: m029 },
];

/** The highest id this binary knows. */
export const LATEST_MIGRATION_ID: number = MIGRATIONS.at(-1)?.id ?? 0;

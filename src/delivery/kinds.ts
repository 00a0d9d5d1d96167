/**
 * The two delivery kinds share one queue layout; these are the table and column names that
 * differ. They are constants, never user input, so they are spliced into SQL as identifiers.
 */
export type DeliveryKind = "webhook" | "alert";

export interface KindTables {
  kind: DeliveryKind;
  /** Prefix of every log line and error, as the Go packages named them. */
  logPrefix: "webhooks" | "alerting";
  deliveries: "jetmon_webhook_deliveries" | "jetmon_alert_deliveries";
  progress: "jetmon_webhook_dispatch_progress" | "jetmon_alert_dispatch_progress";
  subscriberColumn: "webhook_id" | "alert_contact_id";
}

export const WEBHOOK_TABLES: KindTables = {
  kind: "webhook",
  logPrefix: "webhooks",
  deliveries: "jetmon_webhook_deliveries",
  progress: "jetmon_webhook_dispatch_progress",
  subscriberColumn: "webhook_id",
};

export const ALERT_TABLES: KindTables = {
  kind: "alert",
  logPrefix: "alerting",
  deliveries: "jetmon_alert_deliveries",
  progress: "jetmon_alert_dispatch_progress",
  subscriberColumn: "alert_contact_id",
};

-- Migration 18: the alert dispatcher's high-water mark; same layout as migration 15.
CREATE TABLE IF NOT EXISTS jetmon_alert_dispatch_progress (
  instance_id        VARCHAR(255) NOT NULL PRIMARY KEY,
  last_transition_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
  updated_at         TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4

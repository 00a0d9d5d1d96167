-- Migration 16: alert contacts. `destination` is per-transport JSON holding the credential in
-- plaintext (every send needs the raw value). min_severity defaults to 4 (Down).
CREATE TABLE IF NOT EXISTS jetmon_alert_contacts (
  id                  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  label               VARCHAR(128) NOT NULL,
  active              TINYINT UNSIGNED NOT NULL DEFAULT 1,
  transport           ENUM('email','pagerduty','slack','teams') NOT NULL,
  destination         JSON NOT NULL,
  destination_preview VARCHAR(8) NOT NULL DEFAULT '',
  site_filter         JSON NULL,
  min_severity        TINYINT UNSIGNED NOT NULL DEFAULT 4,
  max_per_hour        INT UNSIGNED NOT NULL DEFAULT 60,
  created_by          VARCHAR(128) NOT NULL DEFAULT '',
  created_at          TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at          TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  INDEX idx_active (active)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4

-- Migration 17: one delivery per (alert contact, transition), enforced by uk_alert_transition.
CREATE TABLE IF NOT EXISTS jetmon_alert_deliveries (
  id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  alert_contact_id BIGINT UNSIGNED NOT NULL,
  transition_id    BIGINT UNSIGNED NOT NULL,
  event_id         BIGINT UNSIGNED NOT NULL,
  event_type       VARCHAR(64) NOT NULL,
  severity         TINYINT UNSIGNED NOT NULL,
  payload          JSON NOT NULL,
  status           ENUM('pending','delivered','failed','abandoned') NOT NULL DEFAULT 'pending',
  attempt          INT UNSIGNED NOT NULL DEFAULT 0,
  next_attempt_at  TIMESTAMP NULL,
  last_status_code INT NULL,
  last_response    VARCHAR(2048) NULL,
  last_attempt_at  TIMESTAMP NULL,
  delivered_at     TIMESTAMP NULL,
  created_at       TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY uk_alert_transition (alert_contact_id, transition_id),
  INDEX idx_status_next_attempt (status, next_attempt_at),
  INDEX idx_contact_id_created (alert_contact_id, created_at),
  INDEX idx_event_id (event_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4

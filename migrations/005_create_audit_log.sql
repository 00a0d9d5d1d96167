-- Migration 5: the audit log in its first shape; migration 9 reshapes it.
CREATE TABLE IF NOT EXISTS jetmon_audit_log (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  blog_id    BIGINT UNSIGNED NOT NULL,
  event_type VARCHAR(64) NOT NULL,
  source     VARCHAR(255) NOT NULL DEFAULT 'local',
  http_code  SMALLINT NULL,
  error_code TINYINT NULL,
  rtt_ms     INT NULL,
  old_status TINYINT NULL,
  new_status TINYINT NULL,
  detail     TEXT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  INDEX idx_blog_id_created (blog_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4

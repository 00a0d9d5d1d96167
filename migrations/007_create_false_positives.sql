-- Migration 7: failures the verifiers did not confirm.
CREATE TABLE IF NOT EXISTS jetmon_false_positives (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  blog_id    BIGINT UNSIGNED NOT NULL,
  http_code  SMALLINT NULL,
  error_code TINYINT NULL,
  rtt_ms     INT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  INDEX idx_blog_id (blog_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4

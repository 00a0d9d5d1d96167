-- Migration 2: the legacy v1 site table in its development shape. Production databases already
-- have it (v1 shape), so this only creates it when absent; migrations 3 and 8 add the v2 columns.
CREATE TABLE IF NOT EXISTS jetpack_monitor_sites (
  jetpack_monitor_site_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  blog_id                 BIGINT UNSIGNED NOT NULL,
  bucket_no               SMALLINT UNSIGNED NOT NULL DEFAULT 0,
  monitor_url             VARCHAR(2083) NOT NULL DEFAULT '',
  monitor_active          TINYINT UNSIGNED NOT NULL DEFAULT 0,
  site_status             TINYINT NOT NULL DEFAULT 1,
  last_status_change      DATETIME NULL,
  check_interval          SMALLINT UNSIGNED NOT NULL DEFAULT 5,
  INDEX idx_bucket_active (bucket_no, monitor_active)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4

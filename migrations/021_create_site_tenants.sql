-- Migration 21: many-to-many tenant ownership of sites, kept beside the unchanged v1 site row.
CREATE TABLE IF NOT EXISTS jetmon_site_tenants (
  tenant_id  VARCHAR(128) NOT NULL,
  blog_id    BIGINT UNSIGNED NOT NULL,
  source     VARCHAR(64) NOT NULL DEFAULT 'gateway',
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (tenant_id, blog_id),
  INDEX idx_blog_id (blog_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4

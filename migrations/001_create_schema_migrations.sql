-- Migration 1: the tracking table. The runner executes this on every run (hence IF NOT EXISTS)
-- and then records id 1.
CREATE TABLE IF NOT EXISTS jetmon_schema_migrations (
  id         INT UNSIGNED NOT NULL PRIMARY KEY,
  applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4

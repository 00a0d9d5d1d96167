-- Migration 26: true operating-system RSS beside the runtime memory figure.
ALTER TABLE jetmon_process_health
  ADD COLUMN rss_mem_mb INT UNSIGNED NOT NULL DEFAULT 0 AFTER go_sys_mem_mb

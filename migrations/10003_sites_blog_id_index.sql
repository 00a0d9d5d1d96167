-- Migration 10003 (jetmon2 on Bun; recorded as 29 before 2026-12): index jetpack_monitor_sites
-- by blog_id.
--
-- The legacy projection (site_status, last_status_change) and last_alert_sent_at are updated
-- WHERE blog_id = ?. The dev-shape table of migration 2 has no index leading with blog_id, so
-- each such UPDATE scanned and locked the whole table and deadlocked with the batch writer
-- under load. Production's v1 table already has blog_id_monitor_url (blog_id, monitor_url):
-- the guard below records this migration without running it there, so no redundant index is
-- built on a large table (nor twice where this project's old migration 29 built it).
-- skip-when: SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'jetpack_monitor_sites' AND column_name = 'blog_id' AND seq_in_index = 1
ALTER TABLE jetpack_monitor_sites
  ADD INDEX idx_blog_id (blog_id)

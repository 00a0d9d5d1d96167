-- Migration 10002 (jetmon2 on Bun; recorded as 28 before 2026-12): prune check history by age.
--
-- Serves: DELETE FROM jetmon_check_history WHERE checked_at < ? LIMIT n
-- idx_blog_id_checked leads with blog_id, so an age cut without a blog would scan the whole
-- table (the largest one: one row per check). With checked_at leading, each pruning batch reads
-- only the expired rows, oldest first. The guard records this id without running where the
-- index already exists (a database that ran this project's old migration 28).
-- skip-when: SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'jetmon_check_history' AND index_name = 'idx_checked_at'
ALTER TABLE jetmon_check_history
  ADD INDEX idx_checked_at (checked_at)

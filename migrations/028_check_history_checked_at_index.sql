-- Migration 28 (jetmon2 on Bun): prune check history by age.
--
-- Serves: DELETE FROM jetmon_check_history WHERE checked_at < ? LIMIT n
-- idx_blog_id_checked leads with blog_id, so an age cut without a blog would scan the whole
-- table (the largest one: one row per check). With checked_at leading, each pruning batch reads
-- only the expired rows, oldest first.
ALTER TABLE jetmon_check_history
  ADD INDEX idx_checked_at (checked_at)

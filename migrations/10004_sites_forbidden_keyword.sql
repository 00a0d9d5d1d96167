-- Migration 10004 (jetmon2 on Bun): one forbidden-content rule per site.
--
-- check_keyword means "must be present"; forbidden_keyword means "must be absent" (an injected
-- script tag, a defacement marker). A match fails the check with the Keyword code. Name, type
-- and position are Go jetmon2's own (its later migration 31), so a database either branch
-- migrated has the same column; the guard records this id without running where it exists.
-- skip-when: SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'jetpack_monitor_sites' AND column_name = 'forbidden_keyword'
ALTER TABLE jetpack_monitor_sites
  ADD COLUMN forbidden_keyword VARCHAR(500) NULL AFTER check_keyword

-- Migration 10005 (jetmon2 on Bun): a JSON list of forbidden-content rules per site.
--
-- forbidden_keyword stays for one simple rule; this list carries several known-bad strings.
-- Name, type and position are Go jetmon2's own (its later migration 33); the guard records this
-- id without running where the column exists.
-- skip-when: SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'jetpack_monitor_sites' AND column_name = 'forbidden_keywords'
ALTER TABLE jetpack_monitor_sites
  ADD COLUMN forbidden_keywords JSON NULL AFTER forbidden_keyword

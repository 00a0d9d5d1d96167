-- Migration 10006 (jetmon2 on Bun): the HTTP method each check-history row was taken with.
--
-- A reader can tell a GET failure from anything else (v1's HEAD-only checks passed sites whose
-- GET was broken). Name, type and default are Go jetmon2's own (its later migration 32); the
-- guard records this id without running where the column exists.
-- skip-when: SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'jetmon_check_history' AND column_name = 'request_method'
ALTER TABLE jetmon_check_history
  ADD COLUMN request_method VARCHAR(16) NOT NULL DEFAULT 'GET'

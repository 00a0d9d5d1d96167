-- Migration 9: the audit log becomes purely operational (WPCOM, retries, verifier RPC,
-- suppression). Per-check data lives in jetmon_check_history and state changes in
-- jetmon_event_transitions.
ALTER TABLE jetmon_audit_log
  DROP COLUMN http_code,
  DROP COLUMN error_code,
  DROP COLUMN rtt_ms,
  DROP COLUMN old_status,
  DROP COLUMN new_status,
  MODIFY COLUMN blog_id BIGINT UNSIGNED NULL,
  MODIFY COLUMN detail VARCHAR(1024) NULL,
  ADD COLUMN event_id BIGINT UNSIGNED NULL AFTER blog_id,
  ADD COLUMN metadata JSON NULL AFTER detail,
  ADD INDEX idx_event_id (event_id),
  ADD INDEX idx_event_type_created (event_type, created_at)

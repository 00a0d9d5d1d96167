-- Migration 19: optional tenant owner of a webhook (NULL = shared internal registry).
ALTER TABLE jetmon_webhooks
  ADD COLUMN owner_tenant_id VARCHAR(128) NULL AFTER active,
  ADD INDEX idx_owner_tenant_id (owner_tenant_id)

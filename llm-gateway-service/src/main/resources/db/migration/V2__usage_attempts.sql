-- Retries and fallbacks: the endpoint that answered (the last one tried) and how many attempts the call took.
ALTER TABLE usage ADD COLUMN served_by TEXT;
ALTER TABLE usage ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;

-- Webhook deliveries become durable work items: the Kafka consumer only records one row per
-- (event, webhook) and the delivery worker sends from that row, so a database error while the
-- event is consumed delays a delivery instead of losing it, and one slow receiver holds only its
-- own rows. Rows written by the previous design (delivered or given up) keep their outcome.
ALTER TABLE webhook_deliveries RENAME COLUMN response_status TO last_status_code;
ALTER TABLE webhook_deliveries RENAME COLUMN time TO updated_at;
ALTER TABLE webhook_deliveries
    ADD COLUMN state           TEXT,
    ADD COLUMN event_name      TEXT,
    ADD COLUMN payload         TEXT,
    ADD COLUMN next_attempt_at BIGINT,
    ADD COLUMN lease_until     BIGINT,
    ADD COLUMN last_error      TEXT,
    ADD COLUMN created_at      BIGINT;
UPDATE webhook_deliveries
   SET state = CASE WHEN delivered THEN 'delivered' ELSE 'failed' END,
       event_name = '', payload = '', created_at = updated_at,
       next_attempt_at = updated_at;
ALTER TABLE webhook_deliveries
    DROP COLUMN delivered,
    ALTER COLUMN state SET NOT NULL,
    ALTER COLUMN event_name SET NOT NULL,
    ALTER COLUMN payload SET NOT NULL,
    ALTER COLUMN next_attempt_at SET NOT NULL,
    ALTER COLUMN created_at SET NOT NULL,
    ADD CONSTRAINT webhook_deliveries_state CHECK (state IN ('pending', 'delivering', 'delivered', 'failed'));
-- A deleted webhook takes its deliveries with it (pending ones are never sent).
DELETE FROM webhook_deliveries d WHERE NOT EXISTS (SELECT 1 FROM webhooks w WHERE w.webhook_id = d.webhook_id);
ALTER TABLE webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_webhook FOREIGN KEY (webhook_id) REFERENCES webhooks (webhook_id) ON DELETE CASCADE;
-- The worker's poll: only unfinished rows, by due time.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state IN ('pending', 'delivering');
-- ListWebhookDeliveries: one webhook's, newest first.
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at DESC, event_id);

-- Webhook secrets encrypted at rest (AES-GCM): the key's id, the nonce and the ciphertext (with its
-- tag). The plaintext column stays only for rows written before; the service encrypts them at start
-- and clears it.
ALTER TABLE webhooks
    ADD COLUMN secret_key_id     TEXT,
    ADD COLUMN secret_nonce      BYTEA,
    ADD COLUMN secret_ciphertext BYTEA;

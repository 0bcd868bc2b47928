-- registry-service schema (Flyway runs it inside schema "registry"). Times are epoch milliseconds.
-- Length limits live in the service's validation; tag values are never in a B-tree index.

-- A registered model keeps its identity (model_id) through renames. last_version hands out version
-- numbers (never reused, no gaps: taken under the model's row lock); last_event_sequence numbers the
-- model's changes in the audit trail the same way.
CREATE TABLE registered_models (
    model_id            UUID   PRIMARY KEY,
    name                TEXT   NOT NULL,
    description         TEXT,
    user_id             TEXT,
    creation_time       BIGINT NOT NULL,
    last_updated_time   BIGINT NOT NULL,
    last_version        INT    NOT NULL DEFAULT 0,
    last_event_sequence BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT registered_models_name_key UNIQUE (name)
);

CREATE TABLE registered_model_tags (
    model_id UUID NOT NULL REFERENCES registered_models (model_id) ON DELETE CASCADE,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (model_id, key)
);

CREATE TABLE model_versions (
    model_id          UUID   NOT NULL REFERENCES registered_models (model_id) ON DELETE CASCADE,
    version           INT    NOT NULL,
    description       TEXT,
    user_id           TEXT,
    current_stage     TEXT   NOT NULL DEFAULT 'None',
    source            TEXT   NOT NULL,
    storage_location  TEXT   NOT NULL,
    run_id            TEXT,
    run_link          TEXT,
    status            TEXT   NOT NULL DEFAULT 'READY',
    status_message    TEXT,
    creation_time     BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL,
    PRIMARY KEY (model_id, version)
);
CREATE INDEX model_versions_run_idx ON model_versions (run_id);

CREATE TABLE model_version_tags (
    model_id UUID NOT NULL,
    version  INT  NOT NULL,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (model_id, version, key),
    FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version) ON DELETE CASCADE
);

CREATE TABLE registered_model_aliases (
    model_id UUID NOT NULL,
    alias    TEXT NOT NULL,
    version  INT  NOT NULL,
    PRIMARY KEY (model_id, alias),
    FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version) ON DELETE CASCADE
);

-- The audit trail: every registry change as published on Kafka, append-only.
CREATE TABLE audit_events (
    seq            BIGSERIAL PRIMARY KEY,
    event_id       UUID   NOT NULL UNIQUE,
    type           TEXT   NOT NULL,
    model_id       UUID   NOT NULL,
    model_name     TEXT   NOT NULL,
    model_sequence BIGINT NOT NULL,
    actor          TEXT   NOT NULL,
    time           BIGINT NOT NULL,
    change         TEXT   NOT NULL,
    CONSTRAINT audit_events_model_sequence_key UNIQUE (model_id, model_sequence)
);
CREATE INDEX audit_events_model_name_idx ON audit_events (model_name, seq);
CREATE INDEX audit_events_time_idx ON audit_events (time, seq);

CREATE FUNCTION audit_events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records cannot be changed or deleted';
END;
$$;
CREATE TRIGGER audit_events_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_are_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_are_append_only();

-- Transactional outbox: events written with the change they describe, published by the relay.
CREATE TABLE outbox (
    seq           BIGSERIAL   PRIMARY KEY,
    event_id      UUID        NOT NULL UNIQUE,
    topic         TEXT        NOT NULL,
    partition_key TEXT        NOT NULL,
    event_type    TEXT        NOT NULL,
    subject       TEXT        NOT NULL,
    payload       TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE webhooks (
    webhook_id        UUID   PRIMARY KEY,
    name              TEXT   NOT NULL,
    description       TEXT,
    url               TEXT   NOT NULL,
    secret            TEXT,
    -- subscribed events, as entity.action ("model_version.created"), comma-separated
    events            TEXT   NOT NULL,
    status            TEXT   NOT NULL,
    creation_time     BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL
);

-- One row per (event, webhook) delivered or given up on: a redelivered Kafka record is not sent twice.
CREATE TABLE webhook_deliveries (
    event_id        UUID    NOT NULL,
    webhook_id      UUID    NOT NULL,
    delivery_id     UUID    NOT NULL,
    attempts        INT     NOT NULL,
    response_status INT,
    delivered       BOOLEAN NOT NULL,
    time            BIGINT  NOT NULL,
    PRIMARY KEY (event_id, webhook_id)
);

-- tracking-service schema (Flyway runs it inside schema "tracking"). Times are epoch milliseconds,
-- as in MLflow. Length limits live in the service's validation, not in column types. Param and tag
-- values are never in a B-tree index: one at MLflow's length limits can exceed an index row.

CREATE TABLE experiments (
    experiment_id     BIGINT PRIMARY KEY,
    name              TEXT   NOT NULL,
    artifact_location TEXT   NOT NULL,
    lifecycle_stage   TEXT   NOT NULL DEFAULT 'active',
    creation_time     BIGINT NOT NULL,
    last_update_time  BIGINT NOT NULL,
    CONSTRAINT experiments_name_key UNIQUE (name)
);
-- Experiment 0 is MLflow's "Default"; user experiments are numbered from 1.
CREATE SEQUENCE experiments_seq START WITH 1 INCREMENT BY 1;
INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
VALUES (0, 'Default', 'mlflow-artifacts:/0', 'active',
        (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT, (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT);

CREATE TABLE experiment_tags (
    experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
    key           TEXT   NOT NULL,
    value         TEXT   NOT NULL,
    PRIMARY KEY (experiment_id, key)
);

CREATE TABLE runs (
    run_uuid        TEXT   PRIMARY KEY,
    experiment_id   BIGINT NOT NULL REFERENCES experiments (experiment_id),
    name            TEXT,
    user_id         TEXT,
    status          TEXT   NOT NULL,
    start_time      BIGINT,
    end_time        BIGINT,
    deleted_time    BIGINT,
    lifecycle_stage TEXT   NOT NULL DEFAULT 'active',
    artifact_uri    TEXT   NOT NULL
);
-- The default search order within an experiment: newest first, run id as the tie-break.
CREATE INDEX runs_experiment_start_idx ON runs (experiment_id, start_time DESC, run_uuid);

CREATE TABLE tags (
    run_uuid TEXT NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (run_uuid, key)
);

CREATE TABLE params (
    run_uuid TEXT NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (run_uuid, key)
);

-- Full metric history. A point is identified by (run, key, step, timestamp, value): logging the
-- same point twice is a no-op. seq keeps the order points were logged in, which is the order
-- MLflow returns a history in.
CREATE SEQUENCE metrics_seq;
CREATE TABLE metrics (
    run_uuid  TEXT             NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    key       TEXT             NOT NULL,
    step      BIGINT           NOT NULL,
    timestamp BIGINT           NOT NULL,
    value     DOUBLE PRECISION NOT NULL,
    seq       BIGINT           NOT NULL DEFAULT nextval('metrics_seq'),
    PRIMARY KEY (run_uuid, key, step, timestamp, value)
);
CREATE INDEX metrics_history_idx ON metrics (run_uuid, key, seq);

-- The latest point per (run, key): the one with the highest (step, timestamp, value).
CREATE TABLE latest_metrics (
    run_uuid  TEXT             NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    key       TEXT             NOT NULL,
    step      BIGINT           NOT NULL,
    timestamp BIGINT           NOT NULL,
    value     DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run_uuid, key)
);
CREATE INDEX latest_metrics_key_value_idx ON latest_metrics (key, value);

CREATE TABLE datasets (
    dataset_uuid        UUID   PRIMARY KEY,
    experiment_id       BIGINT NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
    name                TEXT   NOT NULL,
    digest              TEXT   NOT NULL,
    dataset_source_type TEXT   NOT NULL,
    dataset_source      TEXT   NOT NULL,
    dataset_schema      TEXT,
    dataset_profile     TEXT,
    CONSTRAINT datasets_identity_key UNIQUE (experiment_id, name, digest)
);

-- A dataset used by a run (MLflow's inputs with source DATASET and destination RUN).
CREATE TABLE inputs (
    input_uuid   UUID PRIMARY KEY,
    dataset_uuid UUID NOT NULL REFERENCES datasets (dataset_uuid) ON DELETE CASCADE,
    run_uuid     TEXT NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    CONSTRAINT inputs_dataset_run_key UNIQUE (run_uuid, dataset_uuid)
);

CREATE TABLE input_tags (
    input_uuid UUID NOT NULL REFERENCES inputs (input_uuid) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (input_uuid, name)
);

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

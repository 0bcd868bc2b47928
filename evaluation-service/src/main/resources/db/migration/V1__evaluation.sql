-- evaluation-service: evaluations of runs, validation rules per registered model, audits of model
-- versions and the outbox. Work started by an event keeps its id (cause_event_id): one per event.

-- One evaluation of a run's table of predictions. A queue as well: PENDING rows (and RUNNING rows
-- whose lease ran out: a replica died midway) are claimed with FOR UPDATE SKIP LOCKED by any replica.
CREATE TABLE evaluations (
    evaluation_id  UUID        PRIMARY KEY,
    run_id         TEXT        NOT NULL,
    spec           TEXT        NOT NULL,            -- EvaluationSpec, proto JSON
    status         TEXT        NOT NULL CHECK (status IN ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED')),
    status_message TEXT,
    result         TEXT,                            -- metrics, artifacts, unavailable metrics: proto JSON
    trigger        TEXT        NOT NULL CHECK (trigger IN ('API', 'RUN_FINISHED')),
    user_id        TEXT,
    cause_event_id UUID        UNIQUE,              -- the RunUpdated event that started it
    run_end_time   BIGINT,                          -- RUN_FINISHED: the run's end (one evaluation per end)
    attempts       INT         NOT NULL DEFAULT 0,  -- claims so far
    retries        INT         NOT NULL DEFAULT 0,  -- claims given back on purpose (an upstream away)
    not_before     BIGINT      NOT NULL,            -- epoch ms: no attempt before (retry backoff)
    lease_until    BIGINT,                          -- epoch ms: a RUNNING row's claim
    row_count      BIGINT,
    creation_time  BIGINT      NOT NULL,
    start_time     BIGINT,
    end_time       BIGINT
);
CREATE INDEX evaluations_run_idx ON evaluations (run_id, creation_time DESC, evaluation_id);
-- a finished run is evaluated once per end, whatever else updates it (a rename sends RunUpdated again)
CREATE UNIQUE INDEX evaluations_run_end_idx ON evaluations (run_id, run_end_time) WHERE trigger = 'RUN_FINISHED';
CREATE INDEX evaluations_queue_idx ON evaluations (not_before) WHERE status IN ('PENDING', 'RUNNING');

-- A registered model's MetricThresholds.
CREATE TABLE validation_rules (
    name                   TEXT   PRIMARY KEY,
    rules                  TEXT   NOT NULL,        -- repeated MetricThreshold, proto JSON
    baseline_alias         TEXT   NOT NULL,
    user_id                TEXT,
    last_updated_timestamp BIGINT NOT NULL
);

-- The audit of one model version (started by its ModelVersionCreated event); also a queue, as above.
CREATE TABLE audits (
    audit_id         UUID   PRIMARY KEY,
    name             TEXT   NOT NULL,
    version          TEXT   NOT NULL,
    run_id           TEXT,
    status           TEXT   NOT NULL CHECK (status IN ('AUDIT_PENDING', 'PASSED', 'AUDIT_FAILED')),
    report           TEXT,
    outcomes         TEXT,                          -- repeated RuleOutcome, proto JSON
    baseline_alias   TEXT,
    baseline_version TEXT,
    cause_event_id   UUID   NOT NULL UNIQUE,
    attempts         INT    NOT NULL DEFAULT 0,
    retries          INT    NOT NULL DEFAULT 0,
    claimed_at       BIGINT,                        -- the current claim's time
    woken_at         BIGINT,                        -- the last time its run ended or its run's evaluation did
    not_before       BIGINT NOT NULL,
    lease_until      BIGINT,
    creation_time    BIGINT NOT NULL,
    end_time         BIGINT
);
CREATE INDEX audits_model_idx ON audits (name, creation_time DESC, audit_id);
CREATE INDEX audits_queue_idx ON audits (not_before) WHERE status = 'AUDIT_PENDING';
-- pending audits waiting for their run to end, woken by its RunUpdated event
CREATE INDEX audits_run_idx ON audits (run_id) WHERE status = 'AUDIT_PENDING';


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

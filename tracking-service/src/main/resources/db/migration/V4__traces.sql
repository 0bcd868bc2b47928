-- MLflow Tracing: one row per trace (its spans are an artifact, traces.json, at the location in tag
-- mlflow.artifactLocation), its tags and its request metadata. Deleting a trace deletes both.
CREATE TABLE trace_info (
    request_id        TEXT   PRIMARY KEY,
    experiment_id     BIGINT NOT NULL REFERENCES experiments (experiment_id),
    timestamp_ms      BIGINT NOT NULL,
    execution_time_ms BIGINT,
    status            TEXT   NOT NULL
);
-- A search lists an experiment's traces newest first (MLflow's default order); deletion by age
-- takes the oldest first.
CREATE INDEX trace_info_experiment_time ON trace_info (experiment_id, timestamp_ms, request_id);

CREATE TABLE trace_tags (
    request_id TEXT NOT NULL REFERENCES trace_info (request_id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value      TEXT,
    PRIMARY KEY (request_id, key)
);

CREATE TABLE trace_request_metadata (
    request_id TEXT NOT NULL REFERENCES trace_info (request_id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value      TEXT,
    PRIMARY KEY (request_id, key)
);

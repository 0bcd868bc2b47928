-- MLflow 3's logged models: the model a log_model call creates before uploading its files, with its
-- params, tags, and the metrics logged against it (metrics carrying model_id). Deleting a model is a
-- soft delete (lifecycle_stage = 'deleted'), as in MLflow: the row stays, reads and searches skip it.
CREATE TABLE logged_models (
    model_id                  TEXT   PRIMARY KEY,
    experiment_id             BIGINT NOT NULL REFERENCES experiments (experiment_id),
    name                      TEXT   NOT NULL,
    artifact_location         TEXT   NOT NULL,
    creation_timestamp_ms     BIGINT NOT NULL,
    last_updated_timestamp_ms BIGINT NOT NULL,
    status                    TEXT   NOT NULL,
    lifecycle_stage           TEXT   NOT NULL DEFAULT 'active',
    model_type                TEXT,
    source_run_id             TEXT,
    status_message            TEXT
);
-- A search lists an experiment's live models newest first (MLflow's default order), model id as the tie-break.
CREATE INDEX logged_models_experiment_created ON logged_models (experiment_id, creation_timestamp_ms DESC, model_id);
CREATE INDEX logged_models_source_run ON logged_models (source_run_id);

CREATE TABLE logged_model_tags (
    model_id TEXT NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (model_id, key)
);

CREATE TABLE logged_model_params (
    model_id TEXT NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (model_id, key)
);

-- A metric logged with a model_id (by log-metric or log-batch of a run): MLflow's
-- logged_model_metrics. A point is (model, key, timestamp, step, run) as in MLflow, and its dataset:
-- the same key at the same step on the training and the test set are two points, not one. The run's
-- purge takes its points with it.
CREATE TABLE logged_model_metrics (
    model_id       TEXT             NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
    key            TEXT             NOT NULL,
    timestamp      BIGINT           NOT NULL,
    step           BIGINT           NOT NULL,
    run_uuid       TEXT             NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    value          DOUBLE PRECISION NOT NULL,
    dataset_name   TEXT,
    dataset_digest TEXT
);
CREATE UNIQUE INDEX logged_model_metrics_identity ON logged_model_metrics
    (model_id, key, timestamp, step, run_uuid, (coalesce(dataset_name, '')), (coalesce(dataset_digest, '')));
-- Metric filters and order-by: the models with a value of a key (optionally on a dataset).
CREATE INDEX logged_model_metrics_key ON logged_model_metrics (key, model_id);
CREATE INDEX logged_model_metrics_run ON logged_model_metrics (run_uuid);

-- Logged models a run used (MLflow's inputs RUN_INPUT -> MODEL_INPUT) and produced (RUN_OUTPUT ->
-- MODEL_OUTPUT, with the step it was logged at).
CREATE TABLE run_model_inputs (
    run_uuid TEXT NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    model_id TEXT NOT NULL,
    PRIMARY KEY (run_uuid, model_id)
);

CREATE TABLE run_model_outputs (
    run_uuid TEXT   NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    model_id TEXT   NOT NULL,
    step     BIGINT NOT NULL,
    PRIMARY KEY (run_uuid, model_id)
);

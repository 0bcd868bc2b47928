-- MLflow 3 tracing: a trace's info gains MLflow 3's fields, and its spans (arriving over OTLP) are
-- rows of their own, so trace search can filter on them and batchGet can answer them without the
-- artifact store.
ALTER TABLE trace_info
    ADD COLUMN client_request_id TEXT,
    ADD COLUMN request_preview   TEXT,
    ADD COLUMN response_preview  TEXT;

-- One row per span, keyed by its trace and its span id (16 hex). The span itself is kept as the
-- OTLP protobuf it arrived as (content, bytea: answered as is by batchGet, nothing to re-encode);
-- what search filters on is copied out into columns: name, type (attribute mlflow.spanType), status
-- (OK / ERROR / UNSET) and the times in nanoseconds. experiment_id is repeated from the trace so a
-- span filter over an experiment is one index range, without a join.
CREATE TABLE spans (
    trace_id             TEXT   NOT NULL REFERENCES trace_info (request_id) ON DELETE CASCADE,
    span_id              TEXT   NOT NULL,
    experiment_id        BIGINT NOT NULL,
    parent_span_id       TEXT,
    name                 TEXT,
    type                 TEXT,
    status               TEXT   NOT NULL,
    start_time_unix_nano BIGINT NOT NULL,
    end_time_unix_nano   BIGINT,
    content              BYTEA  NOT NULL,
    PRIMARY KEY (trace_id, span_id)
);
-- span.name / span.type filters: the traces of an experiment having such a span
CREATE INDEX spans_experiment_name ON spans (experiment_id, name, trace_id);
CREATE INDEX spans_experiment_type ON spans (experiment_id, type, trace_id);

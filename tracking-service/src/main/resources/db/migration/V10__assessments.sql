-- MLflow 3's assessments: feedback and expectations attached to a trace (optionally to one of its
-- spans). Deleting a trace deletes its assessments. The value is the JSON the client gave
-- (google.protobuf.Value: feedback any JSON, expectation a number, boolean, string or — sent
-- serialized — any other JSON); a feedback's error is kept in columns of its own.
CREATE TABLE assessments (
    assessment_id       TEXT    PRIMARY KEY,
    trace_id            TEXT    NOT NULL REFERENCES trace_info (request_id) ON DELETE CASCADE,
    name                TEXT    NOT NULL,
    kind                TEXT    NOT NULL CHECK (kind IN ('feedback', 'expectation')),
    -- JSON text; null only for a feedback with an error and no value
    value               TEXT,
    error_code          TEXT,
    error_message       TEXT,
    stack_trace         TEXT,
    source_type         TEXT    NOT NULL,
    source_id           TEXT,
    span_id             TEXT,
    rationale           TEXT,
    metadata            JSONB,
    -- the assessment of the same trace this one supersedes (that one is then not valid)
    overrides           TEXT,
    valid               BOOLEAN NOT NULL DEFAULT TRUE,
    create_time_ms      BIGINT  NOT NULL,
    last_update_time_ms BIGINT  NOT NULL
);
-- A trace's assessments, oldest first (every answer with a TraceInfoV3 reads them by trace id).
CREATE INDEX assessments_trace ON assessments (trace_id, create_time_ms, assessment_id);

-- llm-gateway-service: the usage of every call, the counters of rate limits and budgets (one row per
-- limit, scope value and window, shared by every replica), and the outbox of usage events.

-- One row per call that reached an endpoint (answered, failed, refused by a limit, or left by its client).
CREATE TABLE usage (
    call_id        UUID        PRIMARY KEY,
    endpoint       TEXT        NOT NULL,
    endpoint_type  TEXT        NOT NULL,
    provider       TEXT        NOT NULL,
    model          TEXT,
    caller         TEXT        NOT NULL,
    api            TEXT        NOT NULL,
    streamed       BOOLEAN     NOT NULL,
    status         INTEGER     NOT NULL,
    error_code     TEXT,
    started_at     TIMESTAMPTZ NOT NULL,
    latency_ms     BIGINT      NOT NULL,
    ttft_ms        BIGINT,
    input_tokens   BIGINT,
    output_tokens  BIGINT,
    cost_usd       NUMERIC(20, 10)
);
CREATE INDEX usage_endpoint_idx ON usage (endpoint, started_at);
CREATE INDEX usage_caller_idx ON usage (caller, started_at);
CREATE INDEX usage_time_idx ON usage (started_at);

-- Rate-limit and budget counters: fixed windows (aligned to the epoch for limits, UTC calendar days,
-- ISO weeks and months for budgets). counter = endpoint|scope|window spec|caller.
CREATE TABLE counters (
    counter       TEXT            NOT NULL,
    window_start  TIMESTAMPTZ     NOT NULL,
    window_end    TIMESTAMPTZ     NOT NULL,
    requests      BIGINT          NOT NULL DEFAULT 0,
    tokens        BIGINT          NOT NULL DEFAULT 0,
    cost_usd      NUMERIC(20, 10) NOT NULL DEFAULT 0,
    -- a budget's alert is sent once per window
    alerted       BOOLEAN         NOT NULL DEFAULT FALSE,
    PRIMARY KEY (counter, window_start)
);
-- windows that ended are deleted by the service (counters_end_idx finds them)
CREATE INDEX counters_end_idx ON counters (window_end);

-- Transactional outbox: events written with the usage they describe, published by the relay.
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

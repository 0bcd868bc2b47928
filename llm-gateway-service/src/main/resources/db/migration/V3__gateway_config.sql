-- MLflow 3.x's gateway configuration API (/api/3.0/mlflow/gateway/...): secrets, model definitions and
-- endpoints, shared by every replica. Secret values are stored only encrypted (AES-GCM, a data key per
-- secret wrapped by the configured key-encryption key); their masked form is kept for display.

CREATE TABLE gateway_secrets (
    secret_id        TEXT   PRIMARY KEY,
    secret_name      TEXT   NOT NULL UNIQUE,
    provider         TEXT,
    auth_config      TEXT,            -- JSON object, not secret
    masked_values    TEXT   NOT NULL, -- JSON object
    kek_id           TEXT   NOT NULL, -- which key-encryption key wrapped the data key
    wrapped_dek      BYTEA  NOT NULL, -- nonce || AES-GCM(kek, dek)
    ciphertext       BYTEA  NOT NULL, -- nonce || AES-GCM(dek, the values as JSON)
    created_at       BIGINT NOT NULL,
    last_updated_at  BIGINT NOT NULL,
    created_by       TEXT,
    last_updated_by  TEXT
);

-- A secret deleted leaves its definitions without one (they serve nothing until given another).
CREATE TABLE gateway_model_definitions (
    model_definition_id  TEXT   PRIMARY KEY,
    name                 TEXT   NOT NULL UNIQUE,
    secret_id            TEXT   REFERENCES gateway_secrets (secret_id) ON DELETE SET NULL,
    provider             TEXT   NOT NULL,
    model_name           TEXT   NOT NULL,
    created_at           BIGINT NOT NULL,
    last_updated_at      BIGINT NOT NULL,
    created_by           TEXT,
    last_updated_by      TEXT
);
CREATE INDEX gateway_model_definitions_secret_idx ON gateway_model_definitions (secret_id);

CREATE TABLE gateway_endpoints (
    endpoint_id            TEXT    PRIMARY KEY,
    name                   TEXT    NOT NULL UNIQUE,
    routing_strategy       TEXT,
    fallback_strategy      TEXT,
    fallback_max_attempts  INTEGER,
    created_at             BIGINT  NOT NULL,
    last_updated_at        BIGINT  NOT NULL,
    created_by             TEXT,
    last_updated_by        TEXT
);

-- An endpoint deleted takes its mappings with it; a definition still mapped cannot be deleted.
CREATE TABLE gateway_endpoint_models (
    mapping_id           TEXT    PRIMARY KEY,
    endpoint_id          TEXT    NOT NULL REFERENCES gateway_endpoints (endpoint_id) ON DELETE CASCADE,
    model_definition_id  TEXT    NOT NULL REFERENCES gateway_model_definitions (model_definition_id),
    linkage_type         TEXT    NOT NULL,
    weight               DOUBLE PRECISION NOT NULL,
    fallback_order       INTEGER,
    created_at           BIGINT  NOT NULL,
    created_by           TEXT,
    UNIQUE (endpoint_id, model_definition_id)
);
CREATE INDEX gateway_endpoint_models_definition_idx ON gateway_endpoint_models (model_definition_id);

-- Bumped by every change: each replica reads the configuration again when it moved.
CREATE TABLE gateway_revision (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    revision  BIGINT  NOT NULL
);
INSERT INTO gateway_revision VALUES (1, 0);

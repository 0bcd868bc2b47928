-- Access tokens (MLFLOW_TRACKING_TOKEN): personal ones and those of service accounts, users that have
-- no password. Only a token's SHA-256 is kept (it is 256 random bits: a fast digest is as good as a
-- slow one); its first characters are kept to tell tokens apart in listings.
ALTER TABLE gateway.users ADD COLUMN service_account boolean NOT NULL DEFAULT false;

CREATE TABLE gateway.tokens (
    id             bigserial PRIMARY KEY,
    user_id        bigint      NOT NULL REFERENCES gateway.users (id) ON DELETE CASCADE,
    name           text        NOT NULL,
    secret_sha256  bytea       NOT NULL UNIQUE,
    prefix         text        NOT NULL,
    read_only      boolean     NOT NULL,
    experiment_ids text[],
    model_names    text[],
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    last_used_at   timestamptz,
    revoked_at     timestamptz
);
CREATE INDEX tokens_user ON gateway.tokens (user_id, id);

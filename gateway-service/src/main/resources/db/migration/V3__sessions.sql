-- Web UI sessions: a signed-in browser holds a random secret in an HttpOnly cookie; only its SHA-256
-- is kept. What a user's groups gave at sign-in (identity providers) is kept with the session.
CREATE TABLE gateway.sessions (
    id            bigserial PRIMARY KEY,
    user_id       bigint      NOT NULL REFERENCES gateway.users (id) ON DELETE CASCADE,
    secret_sha256 bytea       NOT NULL UNIQUE,
    group_admin   boolean     NOT NULL DEFAULT false,
    group_default text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz
);
CREATE INDEX sessions_expiry ON gateway.sessions (expires_at);

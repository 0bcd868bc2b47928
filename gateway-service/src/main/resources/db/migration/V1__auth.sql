-- Users and their permissions, as MLflow's auth app keeps them (basic_auth.db): a permission names an
-- experiment by id or a registered model by name, for one user. Deleting a user deletes theirs.
CREATE TABLE gateway.users (
    id            bigserial PRIMARY KEY,
    username      text        NOT NULL UNIQUE,
    password_hash text        NOT NULL,
    is_admin      boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE gateway.experiment_permissions (
    experiment_id text   NOT NULL,
    user_id       bigint NOT NULL REFERENCES gateway.users (id) ON DELETE CASCADE,
    permission    text   NOT NULL,
    PRIMARY KEY (user_id, experiment_id)
);

CREATE TABLE gateway.registered_model_permissions (
    name       text   NOT NULL,
    user_id    bigint NOT NULL REFERENCES gateway.users (id) ON DELETE CASCADE,
    permission text   NOT NULL,
    PRIMARY KEY (user_id, name)
);

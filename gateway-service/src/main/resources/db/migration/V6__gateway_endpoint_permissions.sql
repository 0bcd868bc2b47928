-- MLflow 3's permissions on LLM gateway endpoints (its gateway_endpoint_permissions), and its USE permission:
-- reading and invoking an endpoint. Kept by endpoint name, the name callers invoke by: endpoints of
-- llm-gateway-service's endpoints file have no id, only a name (MLflow 3 keys by its endpoint id).
CREATE TABLE gateway.gateway_endpoint_permissions (
    endpoint_name text   NOT NULL,
    user_id       bigint NOT NULL REFERENCES gateway.users (id) ON DELETE CASCADE,
    permission    text   NOT NULL,
    PRIMARY KEY (user_id, endpoint_name),
    CONSTRAINT gateway_endpoint_permissions_known CHECK (permission IN ('READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS'))
);

-- USE is one of MLflow 3's permissions everywhere (on an experiment or a model it reads)
ALTER TABLE gateway.experiment_permissions DROP CONSTRAINT experiment_permissions_known;
ALTER TABLE gateway.experiment_permissions
    ADD CONSTRAINT experiment_permissions_known CHECK (permission IN ('READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS'));
ALTER TABLE gateway.registered_model_permissions DROP CONSTRAINT registered_model_permissions_known;
ALTER TABLE gateway.registered_model_permissions
    ADD CONSTRAINT registered_model_permissions_known CHECK (permission IN ('READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS'));
ALTER TABLE gateway.sessions DROP CONSTRAINT sessions_group_default_known;
ALTER TABLE gateway.sessions
    ADD CONSTRAINT sessions_group_default_known CHECK (group_default IS NULL OR group_default IN ('READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS'));

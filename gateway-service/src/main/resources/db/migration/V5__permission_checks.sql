-- Only MLflow's permissions are ever stored: a row anything else was written into by hand is refused.
ALTER TABLE gateway.experiment_permissions
    ADD CONSTRAINT experiment_permissions_known CHECK (permission IN ('READ', 'EDIT', 'MANAGE', 'NO_PERMISSIONS'));
ALTER TABLE gateway.registered_model_permissions
    ADD CONSTRAINT registered_model_permissions_known CHECK (permission IN ('READ', 'EDIT', 'MANAGE', 'NO_PERMISSIONS'));
ALTER TABLE gateway.sessions
    ADD CONSTRAINT sessions_group_default_known CHECK (group_default IS NULL OR group_default IN ('READ', 'EDIT', 'MANAGE', 'NO_PERMISSIONS'));

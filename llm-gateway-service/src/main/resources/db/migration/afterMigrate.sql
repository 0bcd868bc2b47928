-- Flyway runs this after every migrate, as the schema's owner. The service's own role (placeholder
-- app_user, from skein.db.user) gets data access only: it can read and write rows but cannot create,
-- alter or drop anything, nor touch Flyway's history. When both are one role, nothing changes.
DO $$
DECLARE
    app text := '${app_user}';
BEGIN
    IF app = current_user THEN
        RETURN;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA llmgateway TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA llmgateway TO %I', app);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA llmgateway TO %I', app);
    EXECUTE format('REVOKE ALL ON llmgateway.flyway_schema_history FROM %I', app);
END
$$;

-- Flyway runs this after every migrate, as the schema's owner. The gateway's own role (placeholder
-- app_user, from skein.db.user) gets data access only; when both are one role, nothing changes.
DO $$
DECLARE
    app text := '${app_user}';
BEGIN
    IF app = current_user THEN
        RETURN;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA gateway TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA gateway TO %I', app);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA gateway TO %I', app);
    EXECUTE format('REVOKE ALL ON gateway.flyway_schema_history FROM %I', app);
END
$$;

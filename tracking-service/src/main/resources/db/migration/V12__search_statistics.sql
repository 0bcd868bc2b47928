-- Statistics kept current where writes come in bulk. The planner chooses how to run a search from
-- the tables' statistics; right after a bulk load, before autovacuum has analysed them (it looks
-- once a minute, then queues), they describe a far smaller table and searches take the wrong plan.
-- tracking-service calls this every few seconds (skein.tracking.statistics.*). ANALYZE needs the
-- table's owner and the service's role only reads and writes rows, hence SECURITY DEFINER, fixed to
-- these four tables. A table whose lock is not free within 100 ms (autovacuum at work on it, whose
-- own analysis then follows) is left for the next call: a lock request waiting longer than
-- deadlock_timeout (1 s) would cancel autovacuum. Whatever its caller asks, a table is analysed only
-- once at least 100 rows and 1% of it changed. Returns the tables analysed.
CREATE FUNCTION analyze_search_tables(min_changes bigint, changed_fraction double precision)
    RETURNS text[]
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET lock_timeout = '100ms'
AS $$
DECLARE
    t text;
    analysed text[] := '{}';
BEGIN
    FOR t IN
        SELECT s.relname FROM pg_stat_user_tables s
        WHERE s.schemaname = 'tracking'
          AND s.relname IN ('runs', 'latest_metrics', 'params', 'tags')
          AND s.n_mod_since_analyze >= greatest(min_changes, 100)
          AND s.n_mod_since_analyze >= greatest(changed_fraction, 0.01) * greatest(s.n_live_tup, 1)
        ORDER BY s.relname
    LOOP
        BEGIN
            EXECUTE format('ANALYZE tracking.%I', t);
            analysed := analysed || t;
        EXCEPTION WHEN lock_not_available THEN
            NULL;
        END;
    END LOOP;
    RETURN analysed;
END
$$;
REVOKE ALL ON FUNCTION analyze_search_tables(bigint, double precision) FROM PUBLIC;

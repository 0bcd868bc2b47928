-- Trace search indexes, checked with EXPLAIN ANALYZE over 2,000,000 spans (200,000 traces in 10
-- experiments) and run by `./skein bench traces` over 1,000,000 spans.
--
-- Built in the migration's transaction: trace and span writes wait while they are built (seconds per
-- million spans). An installation with many traces builds them beforehand, without blocking writes
-- (tracking-service's README, "Upgrading"): CREATE INDEX CONCURRENTLY with these names; IF NOT EXISTS
-- then skips them here. (Flyway's transactional lock would make CONCURRENTLY wait for ever here.)

-- span.status filters (span.status = 'ERROR': the traces of an experiment that have a failed span)
-- as one range of this index, as span.name and span.type filters use V7's. Without it the filter
-- reads every span of the table (a parallel sequential scan, 436 ms, against 15 ms with it).
CREATE INDEX IF NOT EXISTS spans_experiment_status ON spans (experiment_id, status, trace_id);

-- An experiment's traces in MLflow's order: newest first, then trace id in byte order. A search
-- reads them straight from this index and stops at the end of its page (a span filter probing each
-- trace on its way); V4's index, ascending and in the database's collation, made PostgreSQL read and
-- sort all of the experiment's traces for every page (135 ms against 1 ms for a 20,000-trace
-- experiment). Ranges on timestamp_ms (deletion of old traces) read it as well.
CREATE INDEX IF NOT EXISTS trace_info_experiment_newest ON trace_info (experiment_id, timestamp_ms DESC, request_id COLLATE "C");
DROP INDEX IF EXISTS trace_info_experiment_time;

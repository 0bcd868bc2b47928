-- An experiment's runs in MLflow's default search order: newest start first with runs lacking a start
-- time last, then run id. A search without order_by (or ordered by start time descending) reads them
-- straight from this index and stops at the end of its page, a filter probing each run on its way.
-- V1's index (start_time DESC, i.e. NULLS FIRST) did not match the search's NULLS LAST, so every page
-- read and sorted all of the experiment's matching runs.
--
-- Built in the migration's transaction: run writes wait while it is built (about a second per
-- 1,000,000 runs). An installation with many runs builds it beforehand, without blocking writes
-- (tracking-service's README, "Upgrading"): CREATE INDEX CONCURRENTLY with this name; IF NOT EXISTS
-- then skips it here; dropping V1's index (beforehand too: DROP INDEX CONCURRENTLY) takes an exclusive
-- lock on runs for a moment. A lock not granted within 5 s (a long search or bulk read holding the
-- table) fails the migration, and so the service's start, rather than queue every run read and write
-- behind it: the start is retried.
SET LOCAL lock_timeout = '5s';
CREATE INDEX IF NOT EXISTS runs_experiment_newest ON runs (experiment_id, start_time DESC NULLS LAST, run_uuid);
DROP INDEX IF EXISTS runs_experiment_start_idx;

-- get-history-bulk answers each run's points by timestamp, then step and value (MLflow's order) and
-- stops at max_results. Without an index in that order every listed run's whole history was read and
-- sorted before the limit; with it each run is an index-only range read of the points it answers.
-- The index costs every metric write one more B-tree insert (bench/RESULTS.md, ingest).
CREATE INDEX metrics_time_idx ON metrics (run_uuid, key, timestamp, step, value);

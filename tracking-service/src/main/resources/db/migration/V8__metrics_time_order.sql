-- get-history-bulk answers each run's points by timestamp, then step and value (MLflow's order) and
-- stops at max_results. Without an index in that order every listed run's whole history was read and
-- sorted before the limit; with it each run is an index-only range read of the points it answers.
-- It costs every metric write one more B-tree insert (see the README: history in bulk).
CREATE INDEX metrics_time_idx ON metrics (run_uuid, key, timestamp, step, value);

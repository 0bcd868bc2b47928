-- Metric points no longer carry a foreign key to their run. A foreign key is checked row by row
-- (a trigger and a lookup per point): about a quarter of the cost of inserting a 1,000-point
-- log-batch. Integrity is kept by the writers instead: every metric write locks its run's row
-- FOR KEY SHARE in its transaction (once per batch, as the foreign key did per row) after checking
-- the run is active, and purging runs deletes their points in the same transaction as the runs.
ALTER TABLE metrics DROP CONSTRAINT metrics_run_uuid_fkey;
ALTER TABLE latest_metrics DROP CONSTRAINT latest_metrics_run_uuid_fkey;

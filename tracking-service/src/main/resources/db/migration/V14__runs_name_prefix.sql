-- Searches with `attributes.run_name LIKE 'prefix%'` give the names' range in this index as well
-- (RunSearchSql): without it such a search walks the experiment's runs newest first until its page is
-- full, every run of the experiment where few names match (seconds at 1,000,000 runs). A name can
-- exceed an index row, so only its first 200 characters are indexed, in byte order.
--
-- Built in the migration's transaction: run writes wait while it is built (seconds per 1,000,000
-- runs). An installation with many runs builds it beforehand, without blocking writes
-- (tracking-service's README, "Upgrading"); IF NOT EXISTS then skips it here. A lock not granted
-- within 5 s fails the migration and the service's start, which is retried.
-- The index's expression has no statistics until runs is analysed, and without them the planner
-- takes a name range for 0.5% of the runs: a prefix every run shares would be read and sorted whole
-- instead of walked newest first. ANALYZE samples the table (about a second per 1,000,000 runs) and
-- does not block writes.
SET LOCAL lock_timeout = '5s';
CREATE INDEX IF NOT EXISTS runs_experiment_name_prefix ON runs (experiment_id, (left(name, 200)) COLLATE "C");
ANALYZE runs;

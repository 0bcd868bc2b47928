-- Searches ordered by a param or a tag walk these in order and stop at the end of their page
-- (RunSearchSql), as searches ordered by a metric walk latest_metrics (key, value): without them every
-- run of the experiment had its value looked up and sorted (about 1 s at 100,000 runs). A value can
-- exceed an index row, so only its first 200 characters are indexed, in byte order (MLflow's order for
-- strings); ties in those are sorted by the whole value.
--
-- Built in the migration's transaction: param and tag writes wait while they are built (about 10 s per
-- 1,000,000 runs of 10 params and 5 tags). An installation with many runs builds them beforehand,
-- without blocking writes (tracking-service's README, "Upgrading"); IF NOT EXISTS then skips them here.
-- A lock not granted within 5 s (writes in long transactions) fails the migration and the service's
-- start, which is retried, rather than queue every param and tag write behind it.
SET LOCAL lock_timeout = '5s';
CREATE INDEX IF NOT EXISTS params_key_value_prefix ON params (key, (left(value, 200)) COLLATE "C");
CREATE INDEX IF NOT EXISTS tags_key_value_prefix ON tags (key, (left(value, 200)) COLLATE "C");

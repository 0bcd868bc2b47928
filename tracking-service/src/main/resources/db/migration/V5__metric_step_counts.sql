-- How many distinct steps each (run, key) has logged. get-history-bulk-interval samples over the
-- list of logged steps, as MLflow does; a run whose step_count equals max(step) - min(step) + 1 has
-- logged every step in between, so its list is known from three index probes instead of a read of its
-- whole history. Kept exact by every metric write, under the latest_metrics row lock (RunDataRepository).
ALTER TABLE latest_metrics ADD COLUMN step_count BIGINT NOT NULL DEFAULT 0;

UPDATE latest_metrics lm
SET step_count = s.n
FROM (SELECT run_uuid, key, count(DISTINCT step) AS n FROM metrics GROUP BY run_uuid, key) s
WHERE lm.run_uuid = s.run_uuid AND lm.key = s.key;

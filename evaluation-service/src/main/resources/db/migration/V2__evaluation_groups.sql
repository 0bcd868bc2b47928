-- A prompt evaluation makes one run and one evaluation per endpoint; they share a group id (the first one's id).
ALTER TABLE evaluation.evaluations ADD COLUMN group_id uuid;
CREATE INDEX evaluations_group ON evaluation.evaluations (group_id) WHERE group_id IS NOT NULL;

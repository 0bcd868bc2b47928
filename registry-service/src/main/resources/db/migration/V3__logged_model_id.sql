-- MLflow 3: a version registered from a logged model (`models:/m-…`, or with `model_id`) keeps that
-- model's id, for lineage: version → logged model → its run. (`model_id` in this schema is the
-- registered model's own id, hence the name.)
ALTER TABLE model_versions ADD COLUMN logged_model_id TEXT;
CREATE INDEX model_versions_logged_model_idx ON model_versions (logged_model_id);

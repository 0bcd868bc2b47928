// Reading what MLflow keeps in a run's tags.

/** A tag's value on a run ('' when the run has no such tag). */
export function tagValue(run, key) {
  const found = (run?.data?.tags || []).find((t) => t.key === key);
  return found ? found.value : '';
}

/**
 * The models a run logged, as MLflow 2 records them in its `mlflow.log-model.history` tag
 * ([{artifact_path, flavors, …}]); a tag another client wrote in another shape reads as none.
 */
export function loggedModelHistory(run) {
  try {
    const history = JSON.parse(tagValue(run, 'mlflow.log-model.history') || '[]');
    return Array.isArray(history) ? history.filter((m) => m && m.artifact_path) : [];
  } catch {
    return [];
  }
}

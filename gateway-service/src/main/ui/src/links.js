// Links between screens, in MLflow's URL scheme, every segment encoded (names and ids come from data).

export const experimentHref = (experimentId) => `#/experiments/${encodeURIComponent(experimentId)}`;
export const runHref = (experimentId, runId) => `${experimentHref(experimentId)}/runs/${encodeURIComponent(runId)}`;
export const modelHref = (name) => `#/models/${encodeURIComponent(name)}`;
export const versionHref = (name, version) => `${modelHref(name)}/versions/${encodeURIComponent(version)}`;
export const auditHref = (name) => `#/audit?${new URLSearchParams({ model: name })}`;

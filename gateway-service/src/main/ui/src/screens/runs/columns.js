// The runs table's columns: the fixed ones every run has, and the metric, param and tag columns a
// user picks. A column's `order` is the identifier MLflow's order_by takes (null: not sortable).
import { dateTime } from '../../format.js';
import { loggedModelHistory, tagValue as tag } from '../../runData.js';

export const PARENT_TAG = 'mlflow.parentRunId';

/** The three kinds of chosen column, as order_by and the filter language prefix them. */
export const KINDS = [
  { prefix: 'metrics', title: 'Metrics', one: 'metric' },
  { prefix: 'params', title: 'Parameters', one: 'param' },
  { prefix: 'tags', title: 'Tags', one: 'tag' },
];

/**
 * A key as order_by names it: bare when the lexer reads it as part of one word (letters, digits,
 * `_` and `.`), else in backticks with backticks doubled (tracking-service's search Lexer).
 */
export function quoteKey(key) {
  return /^[A-Za-z0-9_.]+$/.test(key) ? key : `\`${key.replaceAll('`', '``')}\``;
}

/** A string as the filter language quotes it: single quotes, doubled inside. */
export function quoteValue(value) {
  return `'${String(value).replaceAll("'", "''")}'`;
}

/** `prefix.key` → {prefix, key}; the key may itself hold dots. */
export function splitId(id) {
  const dot = id.indexOf('.');
  return { prefix: id.slice(0, dot), key: id.slice(dot + 1) };
}

export { tagValue as tag } from '../../runData.js';

function entry(run, prefix, key) {
  const list = prefix === 'metrics' ? run.data?.metrics : prefix === 'params' ? run.data?.params : run.data?.tags;
  const found = (list || []).find((x) => x.key === key);
  return found ? String(found.value) : '';
}

function duration(info) {
  if (!info.start_time || !info.end_time) return '';
  const seconds = (Number(info.end_time) - Number(info.start_time)) / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** The run's datasets as MLflow's table shows them: name (digest), and the input's context. */
export function datasets(run) {
  return (run.inputs?.dataset_inputs || []).map((input) => {
    const d = input.dataset || {};
    const context = (input.tags || []).find((t) => t.key === 'mlflow.data.context');
    return `${d.name} (${d.digest})${context ? ` · ${context.value}` : ''}`;
  }).join(', ');
}

/** The run's models: those logged with it (`mlflow.log-model.history`) and its logged-model outputs. */
export function models(run) {
  const names = loggedModelHistory(run).map((m) => m.artifact_path);
  for (const m of run.outputs?.model_outputs || []) if (m.model_id) names.push(m.model_id);
  return [...new Set(names)].join(', ');
}

/** The fixed columns; `experiment` only when several experiments are shown. */
export function fixedColumns(experimentNames, several) {
  const columns = [
    { id: 'name', title: 'Run name', width: 220, order: 'attributes.run_name', text: (r) => r.info.run_name || r.info.run_id },
    { id: 'created', title: 'Created', width: 190, order: 'attributes.start_time', text: (r) => dateTime(r.info.start_time) },
    { id: 'duration', title: 'Duration', width: 90, order: null, text: (r) => duration(r.info) },
    { id: 'status', title: 'Status', width: 100, order: 'attributes.status', text: (r) => r.info.status || '' },
    { id: 'user', title: 'User', width: 120, order: 'attributes.user_id', text: (r) => r.info.user_id || tag(r, 'mlflow.user') },
    { id: 'source', title: 'Source', width: 150, order: `tags.${quoteKey('mlflow.source.name')}`, text: (r) => tag(r, 'mlflow.source.name') },
  ];
  if (several) {
    columns.push({
      id: 'experiment', title: 'Experiment', width: 160, order: null,
      text: (r) => experimentNames.get(r.info.experiment_id) || r.info.experiment_id,
    });
  }
  columns.push(
    { id: 'dataset', title: 'Dataset', width: 200, order: null, text: datasets },
    { id: 'models', title: 'Models', width: 150, order: null, text: models },
  );
  return columns;
}

/** A chosen metric, param or tag column from its id (`metrics.my loss`). */
export function chosenColumn(id) {
  const { prefix, key } = splitId(id);
  const kind = KINDS.find((k) => k.prefix === prefix);
  return {
    id, title: key, kind: kind.one, width: 140, order: `${prefix}.${quoteKey(key)}`,
    text: (r) => entry(r, prefix, key),
  };
}

/** A dataset's key in the choice and in the `<select>`: its name and digest, which no name holds. */
export function datasetKey(d) {
  return `${d.name}\u0000${d.digest}`;
}

/**
 * Adds a page's keys and datasets to what the chooser and the dataset choice offer (sets of ids
 * and a map keyed by {@link datasetKey}): only the new page is read, never all runs loaded. A
 * dataset without a digest is left out of the choice: the filter finds datasets by digest.
 */
export function collect(page, keys, found) {
  for (const run of page) {
    for (const m of run.data?.metrics || []) keys.add(`metrics.${m.key}`);
    for (const p of run.data?.params || []) keys.add(`params.${p.key}`);
    // MLflow's system tags are shown by the fixed columns (run name, user, source, parent, models)
    for (const t of run.data?.tags || []) if (!t.key.startsWith('mlflow.')) keys.add(`tags.${t.key}`);
    for (const input of run.inputs?.dataset_inputs || []) {
      const d = input.dataset;
      if (d && d.name !== undefined && typeof d.digest === 'string' && d.digest) {
        found.set(datasetKey(d), { name: d.name, digest: d.digest });
      }
    }
  }
}

/**
 * The filter clause that keeps runs with any of the chosen datasets. By digest alone: the digest
 * identifies the content, and the server reads each `dataset.*` comparison as a clause of its own
 * (name and digest may match two different datasets of a run), so a clause on the name too would
 * also keep runs that used none of the chosen datasets. The names stay on the chips.
 */
export function datasetClause(chosen) {
  const digests = [...new Set(chosen.map((d) => d.digest).filter((d) => typeof d === 'string' && d))];
  if (digests.length === 0) return '';
  if (digests.length === 1) return `dataset.digest = ${quoteValue(digests[0])}`;
  return `dataset.digest IN (${digests.map(quoteValue).join(', ')})`;
}

import { useEffect, useRef, useState } from 'preact/hooks';
import { call } from '../../api.js';
import { ArtifactPreview, previewKind } from '../../components/ArtifactPreview.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { dateTime, duration } from '../../format.js';
import { html } from '../../html.js';
import { useAction } from '../../hooks.js';
import { runEvaluations, UNFINISHED } from '../../evaluation.js';
import { tagValue } from '../../runData.js';

/** How often an unfinished evaluation is asked about again. */
const POLL_MILLIS = 1500;
// MLflow's text types evaluate without targets too (the metrics that need them are then not computed)
const TEXT_TYPES = ['question-answering', 'text-summarization', 'text'];
const MODEL_TYPES = ['classifier', 'regressor', 'retriever', ...TEXT_TYPES];
// MLflow's logged-table JSON: the per-row results, when the run has them
const RESULTS_TABLE = 'eval_results_table.json';

/** The evaluation's table of rows, when it is a path among the run's artifacts (not another URI). */
function dataPath(spec) {
  const data = spec?.data || '';
  return data && !/^[a-z][a-z0-9+.-]*:/i.test(data) ? data.replace(/^\/+/, '') : null;
}

const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);

function Status({ evaluation }) {
  const status = evaluation.status || 'PENDING';
  return html`<span class=${`eval-status eval-${status.toLowerCase()}`}>${status}</span>`;
}

/** What was asked: the model type, the table and its columns. */
function SpecFacts({ spec }) {
  const s = spec || {};
  return html`<dl class="overview eval-spec">
    <dt>Model type</dt><dd>${s.model_type || '—'}</dd>
    <dt>Data</dt><dd><code>${s.data || '—'}</code>${s.format ? ` (${s.format})` : ''}</dd>
    <dt>Targets</dt><dd><code>${s.targets || '—'}</code></dd>
    <dt>Predictions</dt><dd><code>${s.predictions || '—'}</code></dd>
    ${(s.probabilities || []).length ? html`<dt>Probabilities</dt><dd><code>${s.probabilities.join(', ')}</code></dd>` : null}
    ${s.pos_label ? html`<dt>Positive label</dt><dd><code>${s.pos_label}</code></dd>` : null}
    ${(s.label_list || []).length ? html`<dt>Labels</dt><dd><code>${s.label_list.join(', ')}</code></dd>` : null}
    ${s.average ? html`<dt>Average</dt><dd>${s.average}</dd>` : null}
    ${s.retriever_k ? html`<dt>Documents per query (k)</dt><dd>${s.retriever_k}</dd>` : null}
    ${s.sample_weights ? html`<dt>Sample weights</dt><dd><code>${s.sample_weights}</code></dd>` : null}
  </dl>`;
}

/** One evaluation: what it was asked, its metrics, its plots and its tables. */
function EvaluationDetail({ evaluation, runId, resultsTable }) {
  const images = (evaluation.artifacts || []).filter((p) => previewKind(p) === 'image');
  const data = dataPath(evaluation.spec);
  const tables = [
    ...(evaluation.artifacts || []).filter((p) => ['csv', 'tsv', 'json'].includes(previewKind(p))),
    ...(resultsTable && !(evaluation.artifacts || []).includes(RESULTS_TABLE) ? [RESULTS_TABLE] : []),
    ...(data && ['csv', 'tsv', 'json'].includes(previewKind(data)) ? [data] : []),
  ].filter((p, i, all) => all.indexOf(p) === i);
  const [table, setTable] = useState(null);
  const chosenTable = tables.includes(table) ? table : tables[0];
  const metrics = evaluation.metrics || [];
  const unavailable = evaluation.unavailable_metrics || [];

  return html`<div class="eval-detail">
    <h3>Evaluation of ${dateTime(evaluation.creation_time)} <${Status} evaluation=${evaluation} /></h3>
    ${evaluation.status === 'FAILED'
      ? html`<p class="error eval-reason"><strong>Failed:</strong> ${evaluation.status_message || 'no reason given'}</p>` : null}
    ${UNFINISHED.has(evaluation.status) ? html`<p class="muted" aria-live="polite">${evaluation.status === 'RUNNING' ? 'Running' : 'Waiting to run'} …</p>` : null}
    <${SpecFacts} spec=${evaluation.spec} />
    ${evaluation.status === 'SUCCEEDED' ? html`
      <h4>Metrics</h4>
      <table class="grid kv" aria-label="Metrics of the evaluation">
        <thead><tr><th scope="col">Metric</th><th scope="col">Value</th></tr></thead>
        <tbody>
          ${metrics.map((m) => html`<tr key=${m.key}><th scope="row">${m.key}</th><td class="value">${String(m.value)}</td></tr>`)}
          ${metrics.length === 0 ? html`<tr><td colspan="2" class="empty">None.</td></tr>` : null}
        </tbody>
      </table>
      ${unavailable.length ? html`<p class="muted">Not computed: ${unavailable.map((u, i) => html`${i ? '; ' : ''}<code>${u.key}</code> (${u.reason})`)}</p>` : null}
      ${images.length ? html`<h4>Plots</h4>
        <div class="eval-plots">${images.map((p) => html`<${ArtifactPreview} key=${`${evaluation.evaluation_id}/${p}`} runId=${runId} path=${p} />`)}</div>` : null}` : null}
    ${tables.length ? html`
      <h4>Tables</h4>
      ${tables.length > 1 ? html`<div class="row" role="group" aria-label="Tables of the evaluation">
        ${tables.map((p) => html`<button type="button" class=${p === chosenTable ? '' : 'quiet'}
          aria-pressed=${String(p === chosenTable)} onClick=${() => setTable(p)}>${p === data ? `Rows evaluated (${p})` : p}</button>`)}
      </div>` : null}
      <${ArtifactPreview} key=${`${evaluation.evaluation_id}/${chosenTable}`} runId=${runId} path=${chosenTable} />` : null}
  </div>`;
}

/** The spec of a new evaluation, started from the last one's or the run's `skein.evaluate.*` tags. */
function initialSpec(run, last) {
  const tag = (key) => tagValue(run, `skein.evaluate.${key}`);
  const s = last?.spec || {};
  return {
    data: s.data || tag('data'),
    model_type: s.model_type || tag('model_type') || 'classifier',
    targets: s.targets || tag('targets'),
    predictions: s.predictions || tag('predictions'),
    probabilities: (s.probabilities || []).join(', ') || tag('probabilities'),
    pos_label: s.pos_label || tag('pos_label'),
  };
}

/** Starts an evaluation of the run (POST skein/evaluations); `done(evaluation)` once it is accepted. */
function EvaluateForm({ run, last, done }) {
  const [spec, setSpec] = useState(() => initialSpec(run, last));
  const action = useAction();
  const field = (key, label, extra = {}) => html`<label><span class="label">${label}</span>
    <input value=${spec[key]} onInput=${(e) => setSpec({ ...spec, [key]: e.currentTarget.value })} ...${extra} /></label>`;
  const submit = (e) => {
    e.preventDefault();
    const body = { data: spec.data.trim(), model_type: spec.model_type, predictions: spec.predictions.trim() };
    if (spec.targets.trim()) body.targets = spec.targets.trim();
    if (list(spec.probabilities).length) body.probabilities = list(spec.probabilities);
    if (spec.pos_label.trim()) body.pos_label = spec.pos_label.trim();
    action.run(() => call('skein/evaluations', { body: { run_id: run.info.run_id, spec: body } }))
      .then((answer) => answer && done(answer.evaluation));
  };
  return html`<form class="eval-form" onSubmit=${submit} aria-label="Evaluate this run">
    <div class="row">
      ${field('data', 'Table of predictions (a path among the artifacts)', { placeholder: 'eval/predictions.csv', required: true })}
      <label><span class="label">Model type</span>
        <select value=${spec.model_type} onChange=${(e) => setSpec({ ...spec, model_type: e.currentTarget.value })}>
          ${MODEL_TYPES.map((t) => html`<option value=${t}>${t}</option>`)}
        </select></label>
      ${field('targets', 'Targets column', { required: !TEXT_TYPES.includes(spec.model_type) })}
      ${field('predictions', 'Predictions column', { required: true })}
      ${field('probabilities', 'Probability columns (comma-separated)')}
      ${field('pos_label', 'Positive label')}
      <button type="submit" disabled=${action.busy}>Evaluate</button>
    </div>
    <${ErrorMessage} error=${action.error} />
  </form>`;
}

/**
 * A run's evaluations (evaluation-service): each with its status (and a failure's reason), trigger,
 * rows and times, asked again while one is unfinished; the chosen one's spec, metrics, plots and its
 * tables (per-class metrics, MLflow's results table, the rows evaluated) filtered by a text; a form
 * that starts a new one.
 */
export function Evaluations({ run }) {
  const runId = run.info.run_id;
  const [evaluations, setEvaluations] = useState(null);
  const [error, setError] = useState(null);
  const [chosen, setChosen] = useState(null);
  const [resultsTable, setResultsTable] = useState(false);
  const [evaluating, setEvaluating] = useState(false);
  const [reads, setReads] = useState(0);
  const live = useRef(true);

  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
    };
  }, []);

  useEffect(() => {
    const stop = new AbortController();
    runEvaluations(runId, { signal: stop.signal })
      .then((found) => {
        setEvaluations(found);
        setError(null);
      })
      .catch((e) => e.name !== 'AbortError' && setError(e));
    return () => stop.abort();
  }, [runId, reads]);

  // an unfinished one is asked about again until it ends
  const unfinished = (evaluations || []).some((e) => UNFINISHED.has(e.status));
  useEffect(() => {
    if (!unfinished) return undefined;
    const timer = setTimeout(() => live.current && setReads((n) => n + 1), POLL_MILLIS);
    return () => clearTimeout(timer);
  }, [evaluations]);

  // MLflow's per-row results table, logged beside the evaluations by other clients
  useEffect(() => {
    call('mlflow/artifacts/list', { query: { run_id: runId } })
      .then((answer) => live.current && setResultsTable((answer.files || []).some((f) => f.path === RESULTS_TABLE)))
      .catch(() => {});
  }, [runId]);

  if (error && !evaluations) return html`<${ErrorMessage} error=${error} />`;
  if (!evaluations) return html`<p class="muted" aria-live="polite">Loading evaluations …</p>`;
  const selected = evaluations.find((e) => e.evaluation_id === chosen) || evaluations[0];

  return html`<div class="evaluations">
    <${ErrorMessage} error=${error} />
    <div class="row">
      ${evaluating ? null : html`<button type="button" class="quiet" onClick=${() => setEvaluating(true)}>Evaluate …</button>`}
    </div>
    ${evaluating ? html`<${EvaluateForm} run=${run} last=${selected} done=${(created) => {
      setEvaluating(false);
      setChosen(created.evaluation_id);
      setEvaluations([created, ...evaluations]);
      setReads((n) => n + 1);
    }} />` : null}
    ${evaluations.length === 0
      ? html`<p class="muted">Not evaluated. A run that finishes with the tags <code>skein.evaluate.data</code>,
          <code>…model_type</code>, <code>…targets</code> and <code>…predictions</code> is evaluated when it ends.</p>`
      : html`<table class="grid eval-list" aria-label="Evaluations">
        <thead><tr>
          <th scope="col">Created</th><th scope="col">Status</th><th scope="col">Model type</th><th scope="col">Data</th>
          <th scope="col">Trigger</th><th scope="col">Rows</th><th scope="col">Took</th><th scope="col">By</th>
        </tr></thead>
        <tbody>
          ${evaluations.map((e) => html`<tr key=${e.evaluation_id} data-evaluation=${e.evaluation_id}
            class=${e === selected ? 'chosen' : ''}>
            <th scope="row"><button type="button" class="link" aria-pressed=${String(e === selected)}
              onClick=${() => setChosen(e.evaluation_id)}>${dateTime(e.creation_time)}</button></th>
            <td><${Status} evaluation=${e} />${e.status === 'FAILED' && e.status_message
              ? html`<div class="eval-why">${e.status_message}</div>` : null}</td>
            <td>${e.spec?.model_type || ''}</td>
            <td><code>${e.spec?.data || ''}</code></td>
            <td>${e.trigger === 'RUN_FINISHED' ? 'run finished' : e.trigger === 'API' ? 'API' : (e.trigger || '')}</td>
            <td>${e.row_count !== undefined ? Number(e.row_count).toLocaleString('en') : ''}</td>
            <td>${duration(e) || '—'}</td>
            <td>${e.user_id || ''}</td>
          </tr>`)}
        </tbody>
      </table>`}
    ${selected ? html`<${EvaluationDetail} key=${selected.evaluation_id} evaluation=${selected} runId=${runId} resultsTable=${resultsTable} />` : null}
  </div>`;
}

import { useEffect, useState } from 'preact/hooks';
import { call } from '../../api.js';
import { ArtifactBrowser } from '../../components/ArtifactBrowser.js';
import { DescriptionEditor } from '../../components/DescriptionEditor.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { Sparkline } from '../../components/Sparkline.js';
import { TagTable } from '../../components/TagTable.js';
import { dateTime, duration } from '../../format.js';
import { html } from '../../html.js';
import { experimentHref, runHref, versionHref } from '../../links.js';
import { loggedModelHistory, tagValue } from '../../runData.js';
import { Evaluations } from './Evaluations.js';
import { RegisterModel } from './RegisterModel.js';
import './run.css';

const NOTE = 'mlflow.note.content';

function metricLink(run, key) {
  const runs = encodeURIComponent(JSON.stringify([run.info.run_id]));
  const experiments = encodeURIComponent(JSON.stringify([run.info.experiment_id]));
  return `#/metric/${encodeURIComponent(key)}?runs=${runs}&experiments=${experiments}`;
}

function Section({ id, title, children }) {
  return html`<section class="run-section" aria-labelledby=${id}><h2 id=${id} tabindex="-1">${title}</h2>${children}</section>`;
}

function KeyValues({ label, rows, filterFrom = 15 }) {
  const [filter, setFilter] = useState('');
  const shown = filter ? rows.filter((r) => r.key.toLowerCase().includes(filter.toLowerCase())) : rows;
  return html`<div>
    ${rows.length > filterFrom
      ? html`<label class="kv-filter"><span class="label">Find in ${label.toLowerCase()}</span>
          <input type="search" value=${filter} onInput=${(e) => setFilter(e.currentTarget.value)} /></label>`
      : null}
    <table class="grid kv" aria-label=${label}>
      <thead><tr><th scope="col">Key</th><th scope="col">Value</th></tr></thead>
      <tbody>
        ${shown.map((r) => html`<tr key=${r.key}><th scope="row">${r.key}</th><td class="value">${r.value}</td></tr>`)}
        ${rows.length === 0 ? html`<tr><td colspan="2" class="empty">None.</td></tr>` : null}
      </tbody>
    </table>
  </div>`;
}

function Datasets({ inputs }) {
  if (inputs.length === 0) return html`<p class="muted">No datasets.</p>`;
  return html`<ul class="datasets">
    ${inputs.map(({ dataset, tags }) => {
      const context = (tags || []).find((t) => t.key === 'mlflow.data.context')?.value;
      return html`<li key=${`${dataset.name}:${dataset.digest}`}>
        <strong>${dataset.name}</strong> <span class="muted">(${dataset.digest})</span>
        ${context ? html` <span class="badge">${context}</span>` : null}
        <div class="muted">${dataset.source_type}${dataset.source ? `: ${dataset.source}` : ''}</div>
        ${dataset.schema ? html`<details><summary>Schema</summary><pre class="preview-text">${pretty(dataset.schema)}</pre></details>` : null}
        ${dataset.profile ? html`<details><summary>Profile</summary><pre class="preview-text">${pretty(dataset.profile)}</pre></details>` : null}
      </li>`;
    })}
  </ul>`;
}

function pretty(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/**
 * One run (MLflow's `#/experiments/{id}/runs/{run_id}`): its overview, description, params, latest
 * metrics with their sparklines, its evaluations, tags (edited), datasets, models (logged, and the registered
 * versions made from it) and its artifacts, browsed and previewed through the artifact API.
 */
export function RunScreen({ params }) {
  const runId = params.runId;
  const [run, setRun] = useState(null);
  const [experiment, setExperiment] = useState(null);
  const [versions, setVersions] = useState([]);
  const [loggedModels, setLoggedModels] = useState([]);
  const [error, setError] = useState(null);
  const [actionError, setActionError] = useState(null);
  const [renaming, setRenaming] = useState(null);

  const reload = async () => {
    try {
      const answer = await call('mlflow/runs/get', { query: { run_id: runId } });
      setRun(answer.run);
      setError(null);
      return answer.run;
    } catch (e) {
      setError(e);
      return null;
    }
  };

  // the run's own id (as the API answered it, not the link's) goes into the filters below
  const readVersions = (id) => call('mlflow/model-versions/search', { query: { filter: `run_id='${id}'`, max_results: 100 } })
    .then((a) => setVersions(a.model_versions || []))
    .catch(() => setVersions([]));

  useEffect(() => {
    let live = true;
    reload().then((found) => {
      if (!live || !found) return;
      const id = found.info.run_id;
      call('mlflow/experiments/get', { query: { experiment_id: found.info.experiment_id } })
        .then((a) => live && setExperiment(a.experiment))
        .catch(() => {});
      call('mlflow/logged-models/search', {
        body: { experiment_ids: [found.info.experiment_id], filter: `source_run_id = '${id}'`, max_results: 50 },
      }).then((a) => live && setLoggedModels(a.models || [])).catch(() => {});
      readVersions(id);
    });
    return () => {
      live = false;
    };
  }, [runId]);

  // MLflow's `…/artifactPath/<path>` links land on the artifacts
  useEffect(() => {
    if (run && params.rest) document.getElementById('run-artifacts')?.scrollIntoView();
  }, [run !== null]);

  if (error && !run) {
    return html`<section><p class="crumbs"><a href=${experimentHref(params.id)}>Experiment ${params.id}</a></p>
      <h1>Run ${runId}</h1><${ErrorMessage} error=${error} /></section>`;
  }
  if (!run) return html`<section><h1>Run ${runId}</h1><p class="muted" aria-live="polite">Loading …</p></section>`;

  const info = run.info;
  const tags = run.data.tags || [];
  const metrics = [...(run.data.metrics || [])].sort((a, b) => a.key.localeCompare(b.key));
  const paramRows = [...(run.data.params || [])].sort((a, b) => a.key.localeCompare(b.key));
  const parent = tagValue(run, 'mlflow.parentRunId');
  const source = tagValue(run, 'mlflow.source.name');
  const commit = tagValue(run, 'mlflow.source.git.commit');
  const history = loggedModelHistory(run);

  const act = async (work) => {
    try {
      await work();
      setActionError(null);
      await reload();
    } catch (e) {
      setActionError(e);
    }
  };
  const setTag = (key, value) => call('mlflow/runs/set-tag', { body: { run_id: runId, key, value } }).then(reload);
  const deleteTag = (key) => call('mlflow/runs/delete-tag', { body: { run_id: runId, key } }).then(reload);
  const rename = (e) => {
    e.preventDefault();
    act(() => call('mlflow/runs/update', { body: { run_id: runId, run_name: renaming } })).then(() => setRenaming(null));
  };

  return html`<article class="run">
    <p class="crumbs"><a href="#/experiments">Experiments</a> › <a href=${experimentHref(info.experiment_id)}>
      ${experiment ? experiment.name : `Experiment ${info.experiment_id}`}</a></p>
    ${renaming === null
      ? html`<div class="title-row">
          <h1>${info.run_name || info.run_id}</h1>
          ${info.lifecycle_stage === 'deleted' ? html`<span class="badge">deleted</span>` : null}
          <button type="button" class="quiet" onClick=${() => setRenaming(info.run_name || '')}>Rename</button>
          ${info.lifecycle_stage === 'deleted'
            ? html`<button type="button" class="quiet" onClick=${() => act(() => call('mlflow/runs/restore', { body: { run_id: runId } }))}>Restore</button>`
            : html`<button type="button" class="quiet" onClick=${() => act(() => call('mlflow/runs/delete', { body: { run_id: runId } }))}>Delete</button>`}
        </div>`
      : html`<form class="inline title-row" onSubmit=${rename}>
          <input aria-label="Run name" value=${renaming} onInput=${(e) => setRenaming(e.currentTarget.value)} />
          <button type="submit">Save name</button>
          <button type="button" class="quiet" onClick=${() => setRenaming(null)}>Cancel</button>
        </form>`}
    <${ErrorMessage} error=${actionError} />

    <nav class="in-page" aria-label="Sections of the run">
      ${['Overview', 'Description', 'Parameters', 'Metrics', 'Evaluations', 'Tags', 'Datasets', 'Models', 'Artifacts']
        .map((s) => html`<a href=${runHref(params.id, runId)} onClick=${(e) => {
          e.preventDefault();
          // to the section, and the keyboard's focus with it
          document.getElementById(`run-${s.toLowerCase()}`)?.focus();
        }}>${s}</a>`)}
    </nav>

    <${Section} id="run-overview" title="Overview">
      <dl class="overview">
        <dt>Run ID</dt><dd><code>${info.run_id}</code></dd>
        <dt>Status</dt><dd>${info.status}</dd>
        <dt>Started</dt><dd>${dateTime(info.start_time)}</dd>
        <dt>Ended</dt><dd>${dateTime(info.end_time) || '—'}</dd>
        <dt>Duration</dt><dd>${duration(info) || '—'}</dd>
        <dt>User</dt><dd>${info.user_id || '—'}</dd>
        <dt>Source</dt><dd>${source || '—'}${commit ? html` <code>${commit.slice(0, 10)}</code>` : null}</dd>
        <dt>Parent run</dt><dd>${parent
          ? html`<a href=${runHref(info.experiment_id, parent)}>${parent}</a>` : '—'}</dd>
        <dt>Registered as</dt><dd>${versions.length === 0 ? '—' : versions.map((v) => html`<a class="chip"
          href=${versionHref(v.name, v.version)}>${v.name} v${v.version}</a>`)}</dd>
        <dt>Artifact location</dt><dd><code>${info.artifact_uri}</code></dd>
      </dl>
    <//>

    <${Section} id="run-description" title="Description">
      <${DescriptionEditor} description=${tagValue(run, NOTE) || ''} label=${info.run_name || info.run_id}
        save=${(text) => setTag(NOTE, text)} />
    <//>

    <${Section} id="run-parameters" title=${`Parameters (${paramRows.length})`}>
      <${KeyValues} label="Parameters" rows=${paramRows} />
    <//>

    <${Section} id="run-metrics" title=${`Metrics (${metrics.length})`}>
      <table class="grid kv" aria-label="Metrics">
        <thead><tr><th scope="col">Metric</th><th scope="col">Latest</th><th scope="col">Step</th><th scope="col">History</th></tr></thead>
        <tbody>
          ${metrics.map((m) => html`<tr key=${m.key}>
            <th scope="row"><a href=${metricLink(run, m.key)}>${m.key}</a></th>
            <td class="value">${m.value}</td><td>${m.step}</td>
            <td><${Sparkline} runId=${runId} metricKey=${m.key} /></td>
          </tr>`)}
          ${metrics.length === 0 ? html`<tr><td colspan="4" class="empty">None.</td></tr>` : null}
        </tbody>
      </table>
    <//>

    <${Section} id="run-evaluations" title="Evaluations">
      <${Evaluations} run=${run} />
    <//>

    <${Section} id="run-tags" title="Tags">
      <${TagTable} tags=${tags} label="Run tags" setTag=${setTag} deleteTag=${deleteTag}
        hidden=${(key) => key.startsWith('mlflow.')} />
    <//>

    <${Section} id="run-datasets" title="Datasets">
      <${Datasets} inputs=${run.inputs?.dataset_inputs || []} />
    <//>

    <${Section} id="run-models" title="Models">
      ${history.length === 0 && loggedModels.length === 0 && versions.length === 0
        ? html`<p class="muted">No models logged or registered from this run.</p>` : null}
      <ul class="models">
        ${loggedModels.map((m) => html`<li key=${m.info.model_id}>Logged model <strong>${m.info.name}</strong>
          <span class="muted">${m.info.model_id}</span></li>`)}
        ${history.map((m) => html`<li key=${m.artifact_path}>Logged at <code>${m.artifact_path}</code>
          <span class="muted">${Object.keys(m.flavors || {}).join(', ')}</span></li>`)}
        ${versions.map((v) => html`<li key=${`${v.name}/${v.version}`}>Registered:
          <a href=${versionHref(v.name, v.version)}>${v.name} version ${v.version}</a>
          ${v.current_stage && v.current_stage !== 'None' ? html` <span class="badge">${v.current_stage}</span>` : null}</li>`)}
      </ul>
    <//>

    <${Section} id="run-artifacts" title="Artifacts">
      <${ArtifactBrowser} runId=${runId} initialPath=${params.rest} actions=${({ path, isDir, files }) => (isDir && files.some((f) => f.path === `${path}/MLmodel`)
        ? html`<${RegisterModel} run=${run} path=${path} onRegistered=${() => readVersions(info.run_id)} />`
        : null)} />
    <//>
  </article>`;
}

import { useCallback, useEffect, useState } from 'preact/hooks';
import { call } from '../../api.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { dateTime } from '../../format.js';
import { DescriptionEditor } from '../../components/DescriptionEditor.js';
import { TagTable } from '../../components/TagTable.js';
import { html } from '../../html.js';
import { useAction } from '../../hooks.js';
import { loggedModelHistory } from '../../runData.js';
import {
  AliasBadge, AliasForm, auditHref, modelHref, removeAlias, runHref, runOf, StageBadge, StageForm,
} from './registry.js';
import { AuditPanel } from './Validation.js';

/**
 * The artifact path of the version's source inside its run: a `runs:/<run_id>/<path>` source, or one
 * under the run's artifact location (as the run page registers them); null for another source.
 */
function pathInRun(source, runId, run) {
  const m = /^runs:\/([^/]+)\/(.*)$/.exec(source || '');
  if (m && (!runId || m[1] === runId)) return m[2];
  const root = run?.info?.artifact_uri;
  if (root && source && source.startsWith(`${root}/`)) return source.slice(root.length + 1) || null;
  return null;
}

/** Where the version came from: the source run, its experiment, the model the run logged. */
function Lineage({ version }) {
  const [run, setRun] = useState(undefined); // undefined: asking; null: not readable
  const [experiment, setExperiment] = useState(null);
  useEffect(() => {
    let live = true;
    runOf(version.run_id).then((found) => {
      if (!live) return;
      setRun(found);
      if (found) {
        call('mlflow/experiments/get', { query: { experiment_id: found.info.experiment_id } })
          .then((answer) => live && setExperiment(answer.experiment))
          .catch(() => {});
      }
    });
    return () => {
      live = false;
    };
  }, [version.run_id]);

  const path = pathInRun(version.source, version.run_id, run);
  const logged = loggedModelHistory(run);
  return html`
    <section class="panel" aria-labelledby="lineage-heading">
      <h2 id="lineage-heading">Lineage</h2>
      ${!version.run_id ? html`<p class="muted">This version names no source run.</p>` : null}
      ${version.run_id && run === null
        ? html`<p class="muted">Source run <code>${version.run_id}</code> could not be read.</p>` : null}
      ${run ? html`
        <dl class="facts column">
          <div><dt>Experiment</dt><dd>
            <a href=${`#/experiments/${encodeURIComponent(run.info.experiment_id)}`}>
              ${experiment ? experiment.name : `Experiment ${run.info.experiment_id}`}</a></dd></div>
          <div><dt>Source run</dt><dd>
            <a href=${runHref(run.info.experiment_id, version.run_id)}>${run.info.run_name || version.run_id}</a>
            ${' '}<span class="muted">${run.info.status}</span></dd></div>
          ${path !== null ? html`<div><dt>Model path in the run</dt><dd><code>${path}</code></dd></div>` : null}
          ${logged.length > 0 ? html`<div><dt>Models the run logged</dt><dd>
            <ul class="plain">${logged.map((m) => html`<li key=${m.artifact_path}><code>${m.artifact_path}</code>
              ${m.flavors ? html` <span class="muted">${Object.keys(m.flavors).join(', ')}</span>` : null}</li>`)}</ul>
          </dd></div>` : null}
          ${version.model_id ? html`<div><dt>Logged model</dt><dd><code>${version.model_id}</code></dd></div>` : null}
          <div><dt>Artifacts</dt><dd>
            <a href=${path
              ? `${runHref(run.info.experiment_id, version.run_id)}/artifactPath/${path.split('/').map(encodeURIComponent).join('/')}`
              : runHref(run.info.experiment_id, version.run_id)}>The run's artifacts</a>
            ${' '}<span class="muted">${run.info.artifact_uri}</span></dd></div>
        </dl>` : null}
    </section>`;
}

/**
 * One model version (MLflow's #/models/{name}/versions/{version}): its state, its audit against the
 * model's validation rules, source and lineage;
 * description, tags, aliases and stage changed here.
 */
export function VersionScreen({ params }) {
  const { name, version } = params;
  const [mv, setMv] = useState(null);
  const [error, setError] = useState(null);
  const [transitioning, setTransitioning] = useState(false);
  const aliasAction = useAction();

  const reload = useCallback(async () => {
    try {
      const answer = await call('mlflow/model-versions/get', { query: { name, version } });
      setMv(answer.model_version);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [name, version]);

  useEffect(() => {
    reload();
  }, [reload]);

  const crumbs = html`<p class="crumbs"><a href="#/models">Registered models</a>${' › '}<a href=${modelHref(name)}>${name}</a> ›</p>`;

  if (error && !mv) {
    return html`<section class="registry">${crumbs}<h1>Version ${version}</h1><${ErrorMessage} error=${error} /></section>`;
  }
  if (!mv) return html`<section class="registry" aria-busy="true">${crumbs}<h1>Version ${version}</h1><p class="muted">Loading…</p></section>`;

  return html`
    <section class="registry version">
      ${crumbs}
      <div class="title">
        <h1>${name} · Version ${mv.version}</h1>
        <a href=${auditHref(name)}>Audit trail of ${name}</a>
      </div>
      <dl class="facts">
        <div><dt>Status</dt><dd>${mv.status}${mv.status_message ? html` <span class="muted">${mv.status_message}</span>` : null}</dd></div>
        <div><dt>Stage</dt><dd><${StageBadge} stage=${mv.current_stage} /></dd></div>
        <div><dt>Registered at</dt><dd>${dateTime(mv.creation_timestamp)}</dd></div>
        <div><dt>Last updated</dt><dd>${dateTime(mv.last_updated_timestamp)}</dd></div>
        ${mv.user_id ? html`<div><dt>Registered by</dt><dd>${mv.user_id}</dd></div>` : null}
        <div class="wide"><dt>Source</dt><dd><code class="break">${mv.source}</code></dd></div>
      </dl>
      <${ErrorMessage} error=${error} />
      <${AuditPanel} name=${name} version=${mv.version} created=${mv.creation_timestamp} />
      <section class="panel" aria-labelledby="stage-heading">
        <div class="panel-head">
          <h2 id="stage-heading">Stage</h2>
          ${transitioning ? null : html`<button type="button" class="quiet"
            onClick=${() => setTransitioning(true)}>Change stage</button>`}
        </div>
        <p><${StageBadge} stage=${mv.current_stage} /></p>
        ${transitioning ? html`<${StageForm} name=${name} version=${mv.version} stage=${mv.current_stage}
          cancel=${() => setTransitioning(false)}
          done=${(changed) => { setTransitioning(false); setMv(changed); }} />` : null}
      </section>
      <section class="panel" aria-labelledby="description-heading">
        <h2 id="description-heading">Description</h2>
        <${DescriptionEditor} description=${mv.description} label=${`version ${mv.version}`}
        save=${(text) => call('mlflow/model-versions/update', {
          method: 'PATCH', body: { name, version: mv.version, description: text },
        }).then((a) => setMv(a.model_version || { ...mv, description: text }))} />
      </section>
      <section class="panel" aria-labelledby="tags-heading">
        <h2 id="tags-heading">Tags</h2>
        <${TagTable} label="Tags" tags=${mv.tags || []}
          setTag=${(key, value) => call('mlflow/model-versions/set-tag', { body: { name, version: mv.version, key, value } }).then(reload)}
          deleteTag=${(key) => call('mlflow/model-versions/delete-tag', {
          method: 'DELETE', body: { name, version: mv.version, key },
        }).then(reload)} />
      </section>
      <section class="panel" aria-labelledby="aliases-heading">
        <h2 id="aliases-heading">Aliases</h2>
        ${(mv.aliases || []).length === 0 ? html`<p class="muted">No aliases point to this version.</p>` : html`
          <ul class="alias-list">
            ${mv.aliases.map((a) => html`
              <li key=${a} data-alias=${a}><${AliasBadge} alias=${a} />
                <button type="button" class="quiet small" disabled=${aliasAction.busy} aria-label=${`Remove alias ${a}`}
                  onClick=${() => aliasAction.run(() => removeAlias(name, a).then(reload))}>Remove</button>
              </li>`)}
          </ul>`}
        <${ErrorMessage} error=${aliasAction.error} />
        <${AliasForm} name=${name} fixedVersion=${mv.version} done=${reload} />
      </section>
      <${Lineage} version=${mv} />
    </section>`;
}

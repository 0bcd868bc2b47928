// What the registry screens share: links in MLflow's URL scheme, the run behind a version, and the
// editors of a description, of tags, of aliases and of a version's stage.
import { useEffect, useState } from 'preact/hooks';
import { call } from '../../api.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { html } from '../../html.js';
import { useAction } from '../../hooks.js';
import { runHref } from '../../links.js';
import './models.css';

export const STAGES = ['None', 'Staging', 'Production', 'Archived'];

export { auditHref, modelHref, runHref, versionHref } from '../../links.js';

/** MLflow's filter for the versions of one model: a string literal doubles its quotes. */
export const versionsOf = (name) => `name='${name.replace(/'/g, "''")}'`;

// a run's answer, asked once per page load: the versions of a model often share runs
const runs = new Map();

/** The run of `runs/get` (null when it does not exist or cannot be read: lineage is then unknown). */
export function runOf(runId) {
  if (!runId) return Promise.resolve(null);
  if (!runs.has(runId)) {
    runs.set(runId, call('mlflow/runs/get', { query: { run_id: runId } })
      .then((answer) => answer.run || null)
      .catch(() => {
        runs.delete(runId);
        return null;
      }));
  }
  return runs.get(runId);
}

/** run_id → the run (or null), for the distinct run ids given; filled in as the answers come. */
export function useRuns(runIds) {
  const [found, setFound] = useState({});
  const key = [...new Set(runIds.filter(Boolean))].sort().join(',');
  useEffect(() => {
    let live = true;
    for (const id of key ? key.split(',') : []) {
      runOf(id).then((run) => {
        if (live) setFound((shown) => (id in shown ? shown : { ...shown, [id]: run }));
      });
    }
    return () => {
      live = false;
    };
  }, [key]);
  return found;
}

/** The link to a version's source run: to the run page once its experiment is known. */
export function RunLink({ runId, run }) {
  if (!runId) return html`<span class="muted">—</span>`;
  const name = run?.info?.run_name || runId;
  return run
    ? html`<a href=${runHref(run.info.experiment_id, runId)}>${name}</a>`
    : html`<code title="the run could not be read">${runId}</code>`;
}

/**
 * A version's stage changed through model-versions/transition-stage; with Staging or Production,
 * the choice MLflow offers to archive the versions already in that stage.
 */
export function StageForm({ name, version, stage, done, cancel }) {
  const [target, setTarget] = useState(STAGES.find((s) => s !== stage) || 'None');
  const [archive, setArchive] = useState(false);
  const action = useAction();
  const archivable = target === 'Staging' || target === 'Production';
  const submit = (e) => {
    e.preventDefault();
    action.run(() => call('mlflow/model-versions/transition-stage', {
      body: { name, version, stage: target, archive_existing_versions: archivable && archive },
    })).then((answer) => answer && done(answer.model_version));
  };
  return html`
    <form class="stage-form" onSubmit=${submit} aria-label=${`Stage of version ${version}`}>
      <label><span class="label">New stage for version ${version}</span>
        <select value=${target} onChange=${(e) => setTarget(e.currentTarget.value)}>
          ${STAGES.map((s) => html`<option value=${s} disabled=${s === stage}>${s}</option>`)}
        </select>
      </label>
      <label class="check">
        <input type="checkbox" checked=${archivable && archive} disabled=${!archivable}
          onChange=${(e) => setArchive(e.currentTarget.checked)} />
        <span>Archive the versions now in ${archivable ? target : 'that stage'}</span>
      </label>
      <div class="buttons">
        <button type="submit" disabled=${action.busy}>Transition</button>
        ${cancel ? html`<button type="button" class="quiet" onClick=${cancel}>Cancel</button>` : null}
      </div>
      <${ErrorMessage} error=${action.error} />
    </form>`;
}

/** The stage as MLflow's UI shows it: a coloured badge per stage. */
export function StageBadge({ stage }) {
  const s = stage || 'None';
  return html`<span class=${`stage stage-${s.toLowerCase()}`}>${s}</span>`;
}

/** An alias as MLflow's UI shows it: `@ alias`. */
export function AliasBadge({ alias, version }) {
  return html`<span class="alias">@ ${alias}${version ? html`<span class="muted"> : v${version}</span>` : null}</span>`;
}

/** Sets an alias on a version (registered-models/alias POST); `versions` offers a choice, else one. */
export function AliasForm({ name, versions, fixedVersion, done }) {
  const [alias, setAlias] = useState('');
  const [version, setVersion] = useState(fixedVersion || '');
  const action = useAction();
  const chosen = fixedVersion || version || (versions && versions[0]) || '';
  const submit = (e) => {
    e.preventDefault();
    action.run(() => call('mlflow/registered-models/alias', {
      body: { name, alias: alias.trim(), version: chosen },
    })).then((ok) => {
      if (ok) {
        setAlias('');
        done();
      }
    });
  };
  return html`
    <form class="row" onSubmit=${submit} aria-label="Set an alias">
      <label><span class="label">Alias</span>
        <input value=${alias} placeholder="champion" onInput=${(e) => setAlias(e.currentTarget.value)} /></label>
      ${fixedVersion ? null : html`
        <label><span class="label">On version</span>
          ${versions && versions.length > 0
            ? html`<select value=${chosen} onChange=${(e) => setVersion(e.currentTarget.value)}>
                ${versions.map((v) => html`<option value=${v}>${v}</option>`)}
              </select>`
            : html`<input value=${version} inputmode="numeric" onInput=${(e) => setVersion(e.currentTarget.value)} />`}
        </label>`}
      <button type="submit" disabled=${action.busy || !alias.trim() || !chosen}>Set alias</button>
    </form>
    <${ErrorMessage} error=${action.error} />`;
}

/** Removes an alias (registered-models/alias DELETE, as MLflow's API takes it: a JSON body). */
export function removeAlias(name, alias) {
  return call('mlflow/registered-models/alias', { method: 'DELETE', body: { name, alias } });
}

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { call } from '../../api.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { dateTime } from '../../format.js';
import { DescriptionEditor } from '../../components/DescriptionEditor.js';
import { TagTable } from '../../components/TagTable.js';
import { html } from '../../html.js';
import { PermissionsPanel } from '../../components/PermissionsPanel.js';
import { allows, useMyPermissions } from '../../session.js';
import { useAction, usePagedSearch } from '../../hooks.js';
import {
  AliasBadge, AliasForm, auditHref, modelHref, removeAlias, RunLink, StageBadge, StageForm,
  useRuns, versionHref, versionsOf,
} from './registry.js';
import { RulesPanel } from './Validation.js';

const PAGE = 50;

/** The versions of one model (model-versions/search), newest first, a page at a time. */
function useVersions(name) {
  const read = useCallback(async (token) => {
    const page = await call('mlflow/model-versions/search', {
      query: { filter: versionsOf(name), max_results: PAGE, order_by: ['version_number DESC'], page_token: token },
    });
    return { items: page.model_versions || [], next: page.next_page_token };
  }, [name]);
  const { items: versions, setItems, next, loading, error, load } = usePagedSearch(read);
  // a change to one version is shown in place, without reading the pages again
  const replace = (changed) => setItems((shown) => shown.map((v) => (v.version === changed.version ? changed : v)));
  return { versions, next, loading, error, load, replace };
}

/** Rename and delete, each confirmed in the page. */
function ModelActions({ name }) {
  const [mode, setMode] = useState(null); // 'rename' | 'delete'
  const [newName, setNewName] = useState(name);
  const action = useAction();
  // the keyboard's focus goes to what opened: the new name, or the safe answer of the confirmation
  const opened = useRef(null);
  useEffect(() => {
    if (mode && opened.current) opened.current.focus();
  }, [mode]);
  const rename = (e) => {
    e.preventDefault();
    const target = newName.trim();
    action.run(() => call('mlflow/registered-models/rename', { body: { name, new_name: target } }))
      .then((ok) => {
        if (ok) window.location.hash = modelHref(target);
      });
  };
  const remove = () => action.run(() => call('mlflow/registered-models/delete', { method: 'DELETE', body: { name } }))
    .then((ok) => {
      if (ok) window.location.hash = '#/models';
    });
  return html`
    <div class="model-actions">
      ${mode === null ? html`
        <div class="buttons">
          <button type="button" class="quiet" onClick=${() => { setNewName(name); setMode('rename'); }}>Rename</button>
          <button type="button" class="quiet danger" onClick=${() => setMode('delete')}>Delete model</button>
        </div>` : null}
      ${mode === 'rename' ? html`
        <form class="row" onSubmit=${rename}>
          <label class="grow"><span class="label">New name for ${name}</span>
            <input ref=${opened} value=${newName} onInput=${(e) => setNewName(e.currentTarget.value)} /></label>
          <button type="submit" disabled=${action.busy || !newName.trim() || newName.trim() === name}>Save name</button>
          <button type="button" class="quiet" onClick=${() => { setMode(null); action.setError(null); }}>Cancel</button>
        </form>` : null}
      ${mode === 'delete' ? html`
        <div class="confirm" role="group" aria-labelledby="confirm-delete">
          <p id="confirm-delete"><strong>Delete ${name}?</strong> All its versions, tags and aliases go with it.
            This cannot be undone.</p>
          <div class="buttons">
            <button type="button" class="danger" disabled=${action.busy} onClick=${remove}>Delete ${name}</button>
            <button type="button" class="quiet" ref=${opened} onClick=${() => { setMode(null); action.setError(null); }}>Keep it</button>
          </div>
        </div>` : null}
      <${ErrorMessage} error=${action.error} />
    </div>`;
}

/** The audit's verdict the registry tagged the version with (skein.audit.status), when it has one. */
function AuditTag({ version }) {
  const status = (version.tags || []).find((t) => t.key === 'skein.audit.status')?.value;
  if (!status) return html`<span class="muted">—</span>`;
  return html`<span class=${`verdict verdict-${status === 'passed' ? 'passed' : 'audit_failed'}`}>${status === 'passed' ? 'Passed' : 'Failed'}</span>`;
}

function VersionsTable({ name, versions, runs, replace }) {
  const [transitioning, setTransitioning] = useState(null);
  return html`
    <table class="grid versions">
      <thead>
        <tr><th scope="col">Version</th><th scope="col">Registered at</th><th scope="col">Stage</th>
          <th scope="col">Aliases</th><th scope="col">Validation</th><th scope="col">Source run</th><th scope="col">Description</th></tr>
      </thead>
      <tbody>
        ${versions.map((v) => html`
          <tr key=${v.version} data-version=${v.version}>
            <td class="nowrap"><a href=${versionHref(name, v.version)}>Version ${v.version}</a></td>
            <td>${dateTime(v.creation_timestamp)}</td>
            <td>
              <${StageBadge} stage=${v.current_stage} />
              ${' '}<button type="button" class="quiet small" aria-label=${`Change stage of version ${v.version}`}
                aria-expanded=${transitioning === v.version ? 'true' : 'false'}
                onClick=${() => setTransitioning(transitioning === v.version ? null : v.version)}>Change</button>
              ${transitioning === v.version ? html`
                <${StageForm} name=${name} version=${v.version} stage=${v.current_stage}
                  cancel=${() => setTransitioning(null)}
                  done=${(changed) => { setTransitioning(null); replace(changed); }} />` : null}
            </td>
            <td>
              <ul class="chips">${(v.aliases || []).map((a) => html`<li key=${a}><${AliasBadge} alias=${a} /></li>`)}</ul>
            </td>
            <td><${AuditTag} version=${v} /></td>
            <td><${RunLink} runId=${v.run_id} run=${runs[v.run_id]} /></td>
            <td class="clip">${v.description || ''}</td>
          </tr>`)}
      </tbody>
    </table>`;
}

/**
 * One registered model (MLflow's #/models/{name}): description, tags and aliases edited here, its
 * versions with their stages and audit verdicts, its validation rules (edited by those who may), a rename or a deletion confirmed in the page, and its audit trail.
 */
export function ModelScreen({ params }) {
  const { name } = params;
  const [model, setModel] = useState(null);
  const [error, setError] = useState(null);
  const versions = useVersions(name);
  const aliasAction = useAction();
  // with authentication on: rename, delete and permissions are offered to those who may use them
  const mine = useMyPermissions('models', [name]);

  const reload = useCallback(async () => {
    try {
      const answer = await call('mlflow/registered-models/get', { query: { name } });
      setModel(answer.registered_model);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [name]);

  // (the versions' first page is read by useVersions)
  useEffect(() => {
    reload();
  }, [name]);

  const runs = useRuns(versions.versions.map((v) => v.run_id));

  if (error && !model) {
    return html`<section class="registry"><p class="crumbs"><a href="#/models">Registered models</a></p>
      <h1>${name}</h1><${ErrorMessage} error=${error} /></section>`;
  }
  if (!model) return html`<section class="registry" aria-busy="true"><h1>${name}</h1><p class="muted">Loading…</p></section>`;

  // aliases and latest versions change with the versions: read both again after such a change
  const refresh = () => Promise.all([reload(), versions.load(null)]);

  return html`
    <section class="registry model">
      <p class="crumbs"><a href="#/models">Registered models</a> ›</p>
      <div class="title">
        <h1>${model.name}</h1>
        <a href=${auditHref(model.name)}>Audit trail of ${model.name}</a>
      </div>
      <dl class="facts">
        <div><dt>Created</dt><dd>${dateTime(model.creation_timestamp)}</dd></div>
        <div><dt>Last modified</dt><dd>${dateTime(model.last_updated_timestamp)}</dd></div>
        ${model.user_id ? html`<div><dt>Creator</dt><dd>${model.user_id}</dd></div>` : null}
      </dl>
      ${allows(mine[model.name], 'DELETE') ? html`<${ModelActions} name=${model.name} />` : null}
      <${ErrorMessage} error=${error} />
      <section class="panel" aria-labelledby="description-heading">
        <h2 id="description-heading">Description</h2>
        <${DescriptionEditor} description=${model.description} label=${model.name}
        save=${(text) => call('mlflow/registered-models/update', {
          method: 'PATCH', body: { name, description: text },
        }).then((a) => setModel(a.registered_model || { ...model, description: text }))} />
      </section>
      <section class="panel" aria-labelledby="tags-heading">
        <h2 id="tags-heading">Tags</h2>
        <${TagTable} label="Tags" tags=${model.tags || []}
          setTag=${(key, value) => call('mlflow/registered-models/set-tag', { body: { name, key, value } }).then(reload)}
          deleteTag=${(key) => call('mlflow/registered-models/delete-tag', { method: 'DELETE', body: { name, key } }).then(reload)} />
      </section>
      <section class="panel" aria-labelledby="aliases-heading">
        <h2 id="aliases-heading">Aliases</h2>
        ${(model.aliases || []).length === 0 ? html`<p class="muted">No aliases.</p>` : html`
          <ul class="alias-list">
            ${model.aliases.map((a) => html`
              <li key=${a.alias} data-alias=${a.alias}>
                <${AliasBadge} alias=${a.alias} /> →
                <a href=${versionHref(name, a.version)}>Version ${a.version}</a>
                <button type="button" class="quiet small" disabled=${aliasAction.busy} aria-label=${`Remove alias ${a.alias}`}
                  onClick=${() => aliasAction.run(() => removeAlias(name, a.alias).then(refresh))}>Remove</button>
              </li>`)}
          </ul>`}
        <${ErrorMessage} error=${aliasAction.error} />
        <${AliasForm} name=${name} versions=${versions.versions.map((v) => v.version)} done=${refresh} />
      </section>
      <${RulesPanel} name=${model.name} aliases=${model.aliases} editable=${allows(mine[model.name], 'UPDATE')} />
      <section class="panel" aria-labelledby="versions-heading">
        <h2 id="versions-heading">Versions</h2>
        <${ErrorMessage} error=${versions.error} />
        ${versions.versions.length > 0
          ? html`<${VersionsTable} name=${name} versions=${versions.versions} runs=${runs}
              replace=${(changed) => { versions.replace(changed); refresh(); }} />`
          : !versions.loading && !versions.error ? html`<p class="muted">No versions yet.</p>` : null}
        ${versions.next ? html`<button type="button" class="more" disabled=${versions.loading}
          onClick=${() => versions.load(versions.next)}>Load more</button>` : null}
      </section>
      ${mine[model.name] === 'MANAGE' ? html`<${PermissionsPanel} modelName=${model.name} />` : null}
    </section>`;
}

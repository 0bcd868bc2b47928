import { useCallback, useEffect, useState } from 'preact/hooks';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { dateTime } from '../../format.js';
import { html } from '../../html.js';
import { useAction, usePagedSearch } from '../../hooks.js';
import {
  createVersion, diffVersions, engineeringHref, getPrompt, listVersions, promptsHref, removeAlias, setAlias, templateText,
} from './promptApi.js';
import { hasTemplate, TemplateEditor, templateOf } from './TemplateEditor.js';
import './prompts.css';

const MARK = { INSERT: '+', DELETE: '−', EQUAL: ' ' };
const OP_WORD = { INSERT: 'added', DELETE: 'removed', EQUAL: 'unchanged' };

/** A version's template as written: a text, or a chat's messages each under its role. */
function Template({ version }) {
  const messages = version.template?.messages || [];
  if (messages.length) {
    return html`<ol class="chat-template">${messages.map((m, i) => html`<li key=${i}>
      <span class="badge">${m.role}</span><pre class="template">${m.content}</pre></li>`)}</ol>`;
  }
  return html`<pre class="template">${version.template?.text || ''}</pre>`;
}

/** The diff of any two versions (Skein's diff API), chosen in two lists; lines added and removed marked. */
function DiffPanel({ name, versions }) {
  const numbers = versions.map((v) => v.version);
  const [from, setFrom] = useState(numbers[1] || numbers[0] || '');
  const [to, setTo] = useState(numbers[0] || '');
  const [diff, setDiff] = useState(null);
  const action = useAction();
  useEffect(() => {
    if (!from && numbers.length) setFrom(numbers[1] || numbers[0]);
    if (!to && numbers.length) setTo(numbers[0]);
  }, [numbers.join(',')]);
  const show = (e) => {
    e.preventDefault();
    action.run(async () => setDiff({ ...(await diffVersions(name, from, to)), from, to }));
  };
  const choose = (label, value, set) => html`<label><span class="label">${label}</span>
    <select value=${value} onChange=${(e) => set(e.currentTarget.value)}>
      ${numbers.map((n) => html`<option value=${n}>Version ${n}</option>`)}
    </select></label>`;
  return html`
    <section class="panel" aria-labelledby="diff-heading">
      <h2 id="diff-heading">Compare versions</h2>
      <form class="row" onSubmit=${show} aria-label="Compare versions">
        ${choose('From version', from, setFrom)}
        ${choose('To version', to, setTo)}
        <button type="submit" disabled=${action.busy || !from || !to}>Show diff</button>
      </form>
      <${ErrorMessage} error=${action.error} />
      ${diff ? html`
        <p class="diff-summary" role="status">${`Version ${diff.from} → version ${diff.to}: ${diff.added || 0} line${
          diff.added === 1 ? '' : 's'} added, ${diff.removed || 0} removed`}</p>
        <table class="diff" aria-label=${`Diff of version ${diff.from} and version ${diff.to}`}>
          <thead><tr><th scope="col">v${diff.from}</th><th scope="col">v${diff.to}</th><th scope="col"><span class="visually-hidden">Change</span></th><th scope="col">Line</th></tr></thead>
          <tbody>${(diff.lines || []).map((l, i) => html`
            <tr key=${i} class=${`op-${(l.op || 'EQUAL').toLowerCase()}`} data-op=${l.op}>
              <td class="num">${l.from_line || ''}</td><td class="num">${l.to_line || ''}</td>
              <td class="mark"><span aria-hidden="true">${MARK[l.op] || ' '}</span><span class="visually-hidden">${OP_WORD[l.op] || ''}</span></td>
              <td><code>${l.text}</code></td>
            </tr>`)}
          </tbody>
        </table>` : null}
    </section>`;
}

/** Aliases: each → its version, removed here; one set or moved (MLflow's alias call moves an alias that exists). */
function AliasesPanel({ name, aliases, numbers, changed }) {
  const [alias, setAliasName] = useState('');
  const [version, setVersion] = useState('');
  const action = useAction();
  const chosen = version || numbers[0] || '';
  const submit = (e) => {
    e.preventDefault();
    action.run(() => setAlias(name, alias.trim(), chosen)).then((ok) => {
      if (ok) {
        setAliasName('');
        changed();
      }
    });
  };
  return html`
    <section class="panel" aria-labelledby="aliases-heading">
      <h2 id="aliases-heading">Aliases</h2>
      ${aliases.length === 0 ? html`<p class="muted">No aliases.</p>` : html`
        <ul class="alias-list">${aliases.map((a) => html`
          <li key=${a.alias} data-alias=${a.alias} data-version=${a.version}>
            <span class="alias">@ ${a.alias}</span> → Version ${a.version}
            <button type="button" class="quiet small" disabled=${action.busy} aria-label=${`Remove alias ${a.alias}`}
              onClick=${() => action.run(() => removeAlias(name, a.alias)).then((ok) => ok && changed())}>Remove</button>
          </li>`)}
        </ul>`}
      <form class="row" onSubmit=${submit} aria-label="Set an alias">
        <label><span class="label">Alias</span>
          <input value=${alias} placeholder="production" onInput=${(e) => setAliasName(e.currentTarget.value)} /></label>
        <label><span class="label">On version</span>
          <select value=${chosen} onChange=${(e) => setVersion(e.currentTarget.value)}>
            ${numbers.map((n) => html`<option value=${n}>${n}</option>`)}
          </select></label>
        <button type="submit" disabled=${action.busy || !alias.trim() || !chosen}>Set alias</button>
      </form>
      <p class="muted">Setting an alias that exists moves it to the version chosen.</p>
      <${ErrorMessage} error=${action.error} />
    </section>`;
}

/** A new version: the latest template (text or chat) to start from, and a commit message. */
function NewVersion({ name, latest, created }) {
  const [open, setOpen] = useState(false);
  const [template, setTemplate] = useState({ kind: 'text', text: '', messages: [] });
  const [message, setMessage] = useState('');
  const action = useAction();
  const start = () => {
    const messages = latest?.template?.messages || [];
    setTemplate({ kind: messages.length ? 'chat' : 'text', text: latest?.template?.text || '', messages: messages.map((m) => ({ ...m })) });
    setMessage('');
    setOpen(true);
  };
  const submit = (e) => {
    e.preventDefault();
    action.run(() => createVersion({ name, template: templateOf(template), commitMessage: message.trim() })).then((v) => {
      if (v) {
        setOpen(false);
        created(v);
      }
    });
  };
  if (!open) return html`<p><button type="button" onClick=${start}>New version</button></p>`;
  return html`
    <form class="stack" onSubmit=${submit} aria-label="New version">
      <${TemplateEditor} value=${template} onChange=${setTemplate} idPrefix="new-version" />
      <label><span class="label">Commit message</span>
        <input value=${message} onInput=${(e) => setMessage(e.currentTarget.value)} /></label>
      <div class="buttons">
        <button type="submit" disabled=${action.busy || !hasTemplate(templateOf(template))}>Create version</button>
        <button type="button" class="quiet" onClick=${() => { setOpen(false); action.setError(null); }}>Cancel</button>
      </div>
      <${ErrorMessage} error=${action.error} />
    </form>`;
}

/**
 * One prompt: its versions (template, commit message, aliases, who and when), a diff of any two, its aliases set,
 * moved and removed, a new version, and each text version opened in the prompt engineering screen.
 */
export function PromptScreen({ params }) {
  const { name } = params;
  const [prompt, setPrompt] = useState(null);
  const [error, setError] = useState(null);
  const read = useCallback((token) => listVersions(name, token), [name]);
  const versions = usePagedSearch(read);
  const reload = useCallback(() => getPrompt(name).then((p) => { setPrompt(p); setError(null); }, setError), [name]);
  useEffect(() => {
    reload();
  }, [name]);
  const refresh = () => Promise.all([reload(), versions.load(null)]);

  if (error && !prompt) {
    return html`<section class="prompts"><p class="crumbs"><a href=${promptsHref()}>Prompts</a> ›</p>
      <h1>${name}</h1><${ErrorMessage} error=${error} /></section>`;
  }
  if (!prompt) return html`<section class="prompts" aria-busy="true"><h1>${name}</h1><p class="muted">Loading…</p></section>`;
  const list = versions.items;
  return html`
    <section class="prompts prompt">
      <p class="crumbs"><a href=${promptsHref()}>Prompts</a> ›</p>
      <h1>${prompt.name}</h1>
      <dl class="facts">
        <div><dt>Created</dt><dd>${dateTime(prompt.creation_timestamp)}</dd></div>
        <div><dt>Last modified</dt><dd>${dateTime(prompt.last_updated_timestamp)}</dd></div>
        ${prompt.description ? html`<div class="wide"><dt>Description</dt><dd>${prompt.description}</dd></div>` : null}
      </dl>
      <${AliasesPanel} name=${name} aliases=${prompt.aliases || []} numbers=${list.map((v) => v.version)} changed=${refresh} />
      <section class="panel" aria-labelledby="versions-heading">
        <h2 id="versions-heading">Versions</h2>
        <${NewVersion} name=${name} latest=${list[0]} created=${refresh} />
        <${ErrorMessage} error=${versions.error} />
        <table class="grid prompt-versions" aria-label="Versions" aria-busy=${versions.loading ? 'true' : 'false'}>
          <thead><tr>
            <th scope="col">Version</th><th scope="col">Template</th><th scope="col">Commit message</th>
            <th scope="col">Aliases</th><th scope="col">Created by</th><th scope="col">Created</th><th scope="col"><span class="visually-hidden">Actions</span></th>
          </tr></thead>
          <tbody>${list.map((v) => html`
            <tr key=${v.version} data-version=${v.version}>
              <th scope="row">Version ${v.version}${v.type === 'chat' ? html` <span class="badge">chat</span>` : null}</th>
              <td class="template-cell"><${Template} version=${v} />
                ${(v.variables || []).length ? html`<p class="muted">Variables: ${v.variables.map((x) => `{{${x}}}`).join(', ')}</p>` : null}</td>
              <td>${v.commit_message || html`<span class="muted">—</span>`}</td>
              <td><ul class="chips">${(v.aliases || []).map((a) => html`<li key=${a}><span class="alias">@ ${a}</span></li>`)}</ul></td>
              <td>${v.user_id || html`<span class="muted">—</span>`}</td>
              <td class="nowrap">${dateTime(v.creation_timestamp)}</td>
              <td class="nowrap">${v.type === 'chat'
                ? html`<span class="muted" title=${templateText(v)}>chat prompt</span>`
                : html`<a href=${engineeringHref({ prompt: name, version: v.version })}
                    aria-label=${`Open in prompt engineering: version ${v.version}`}>Open in prompt engineering</a>`}</td>
            </tr>`)}
          </tbody>
        </table>
        ${versions.next ? html`<button type="button" class="more" disabled=${versions.loading}
          onClick=${() => versions.load(versions.next)}>Load more</button>` : null}
      </section>
      ${list.length > 0 ? html`<${DiffPanel} name=${name} versions=${list} />` : null}
    </section>`;
}

import { useCallback, useState } from 'preact/hooks';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { dateTime } from '../../format.js';
import { html } from '../../html.js';
import { useAction, usePagedSearch } from '../../hooks.js';
import { createPrompt, engineeringHref, promptHref, searchPrompts } from './promptApi.js';
import { hasTemplate, TemplateEditor, templateOf } from './TemplateEditor.js';
import './prompts.css';

/** The newest version a search answer names (MLflow's latest_versions: one per stage). */
const latest = (model) => Math.max(0, ...(model.latest_versions || []).map((v) => Number(v.version)));

/** A new prompt: its name, its first version's template (a text or a chat) and commit message. */
function CreatePrompt() {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [template, setTemplate] = useState({ kind: 'text', text: '', messages: [] });
  const [message, setMessage] = useState('');
  const action = useAction();
  const submit = (e) => {
    e.preventDefault();
    const chosen = name.trim();
    action.run(() => createPrompt({ name: chosen, template: templateOf(template), commitMessage: message.trim() })).then((ok) => {
      if (ok) window.location.hash = promptHref(chosen);
    });
  };
  if (!open) {
    return html`<p><button type="button" onClick=${() => setOpen(true)}>New prompt</button>
      ${' '}<a href=${engineeringHref()}>Prompt engineering</a></p>`;
  }
  return html`
    <form class="stack create-prompt" onSubmit=${submit} aria-label="New prompt">
      <label><span class="label">Name</span>
        <input value=${name} onInput=${(e) => setName(e.currentTarget.value)} placeholder="letters, digits, _ - ." /></label>
      <${TemplateEditor} value=${template} onChange=${setTemplate} idPrefix="new-prompt" />
      <label><span class="label">Commit message</span>
        <input value=${message} onInput=${(e) => setMessage(e.currentTarget.value)} /></label>
      <div class="buttons">
        <button type="submit" disabled=${action.busy || !name.trim() || !hasTemplate(templateOf(template))}>Create prompt</button>
        <button type="button" class="quiet" onClick=${() => { setOpen(false); action.setError(null); }}>Cancel</button>
      </div>
      <${ErrorMessage} error=${action.error} />
    </form>`;
}

/**
 * Prompts (MLflow's prompt registry): registered models tagged `mlflow.prompt.is_prompt`, searched by name (any
 * case), most recently changed first, a page at a time; a new prompt made here.
 */
export function PromptsScreen() {
  const [text, setText] = useState('');
  const [searched, setSearched] = useState('');
  const read = useCallback((token) => searchPrompts(searched, token), [searched]);
  const { items, next, loading, error, load } = usePagedSearch(read);
  return html`
    <section class="prompts">
      <h1>Prompts</h1>
      <form class="row" role="search" onSubmit=${(e) => { e.preventDefault(); setSearched(text.trim()); }}>
        <label class="grow"><span class="label">Search prompts</span>
          <input type="search" value=${text} placeholder="part of a name" onInput=${(e) => setText(e.currentTarget.value)} /></label>
        <button type="submit">Search</button>
      </form>
      <${ErrorMessage} error=${error} />
      <${CreatePrompt} />
      <table class="grid prompts-table" aria-label="Prompts" aria-busy=${loading ? 'true' : 'false'}>
        <thead><tr>
          <th scope="col">Name</th><th scope="col">Latest version</th><th scope="col">Aliases</th>
          <th scope="col">Last modified</th><th scope="col">Description</th>
        </tr></thead>
        <tbody>${items.map((p) => html`
          <tr key=${p.name} data-prompt=${p.name}>
            <td><a class="name" href=${promptHref(p.name)}>${p.name}</a></td>
            <td>${latest(p) ? `Version ${latest(p)}` : html`<span class="muted">—</span>`}</td>
            <td><ul class="chips">${(p.aliases || []).map((a) => html`<li key=${a.alias}><span class="alias">@ ${a.alias}<span class="muted"> : v${a.version}</span></span></li>`)}</ul></td>
            <td>${dateTime(p.last_updated_timestamp)}</td>
            <td class="clip">${p.description || ''}</td>
          </tr>`)}
        </tbody>
      </table>
      ${!loading && !error && items.length === 0
        ? html`<p class="empty">${searched ? `No prompt's name contains “${searched}”.` : 'No prompts yet.'}</p>` : null}
      ${next ? html`<button type="button" class="more" disabled=${loading} onClick=${() => load(next)}>Load more</button>` : null}
    </section>`;
}

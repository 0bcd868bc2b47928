import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { useAction } from '../hooks.js';
import { ErrorMessage } from './ErrorMessage.js';

/**
 * Tags as a table, each edited or deleted in place, new ones added below. `setTag(key, value)` and
 * `deleteTag(key)` return promises (the API calls); their errors are shown under the table.
 * `hidden(key)` tags (MLflow's own `mlflow.*` ones, say) are left out unless the user shows them.
 */
export function TagTable({ tags, setTag, deleteTag, hidden = () => false, label = 'Tags' }) {
  const [showAll, setShowAll] = useState(false);
  // the tag being edited in its row ({key, value}) and the one being added below the table
  const [edit, setEdit] = useState(null);
  const [fresh, setFresh] = useState({ key: '', value: '' });
  const action = useAction();
  const editField = useRef(null);
  const editing = edit ? edit.key : null;
  useEffect(() => {
    if (editing !== null) editField.current?.focus();
  }, [editing]);
  const shown = tags.filter((t) => showAll || !hidden(t.key));
  const hiddenCount = tags.filter((t) => hidden(t.key)).length;

  const saveEdit = (e) => {
    e.preventDefault();
    action.run(() => setTag(edit.key, edit.value)).then((ok) => ok && setEdit(null));
  };
  const add = (e) => {
    e.preventDefault();
    const key = fresh.key.trim();
    if (key) action.run(() => setTag(key, fresh.value)).then((ok) => ok && setFresh({ key: '', value: '' }));
  };

  return html`
    <div class="tags">
      <table class="grid kv" aria-label=${label}>
        <thead><tr>
          <th scope="col">Key</th><th scope="col">Value</th>
          <th scope="col"><span class="visually-hidden">Actions</span></th>
        </tr></thead>
        <tbody>
          ${shown.map((t) => html`<tr key=${t.key} data-tag=${t.key}>
            <th scope="row"><code>${t.key}</code></th>
            <td>${edit && edit.key === t.key
              ? html`<form class="inline" onSubmit=${saveEdit}>
                  <input ref=${editField} aria-label=${`Value of tag ${t.key}`} value=${edit.value}
                    onInput=${(e) => setEdit({ key: t.key, value: e.currentTarget.value })} />
                  <button type="submit" disabled=${action.busy}>Save</button>
                  <button type="button" class="quiet" onClick=${() => setEdit(null)}>Cancel</button>
                </form>`
              : html`<span class="value">${t.value}</span>`}</td>
            <td class="actions">
              <button type="button" class="quiet" disabled=${action.busy} aria-label=${`Edit tag ${t.key}`}
                onClick=${() => setEdit({ key: t.key, value: t.value })}>Edit</button>
              <button type="button" class="quiet" disabled=${action.busy} aria-label=${`Delete tag ${t.key}`}
                onClick=${() => action.run(() => deleteTag(t.key))}>Delete</button>
            </td>
          </tr>`)}
          ${shown.length === 0 ? html`<tr><td colspan="3" class="empty">No tags.</td></tr>` : null}
        </tbody>
      </table>
      ${hiddenCount > 0
        ? html`<button type="button" class="quiet small" onClick=${() => setShowAll(!showAll)}>
            ${showAll ? 'Hide' : 'Show'} ${hiddenCount} system tag${hiddenCount === 1 ? '' : 's'}</button>`
        : null}
      <form class="row add-tag" onSubmit=${add} aria-label="Add a tag">
        <label><span class="label">Tag key</span>
          <input value=${fresh.key} onInput=${(e) => setFresh({ ...fresh, key: e.currentTarget.value })} /></label>
        <label class="grow"><span class="label">Tag value</span>
          <input value=${fresh.value} onInput=${(e) => setFresh({ ...fresh, value: e.currentTarget.value })} /></label>
        <button type="submit" disabled=${action.busy || !fresh.key.trim()}>Add tag</button>
      </form>
      <${ErrorMessage} error=${action.error} />
    </div>`;
}

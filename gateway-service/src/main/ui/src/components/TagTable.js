import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { ErrorMessage } from './ErrorMessage.js';

/**
 * Tags as a table with add, edit and delete. `onSet(key, value)` and `onDelete(key)` return
 * promises (the API calls); their errors are shown under the table. `hidden(key)` tags (MLflow's
 * own `mlflow.*` ones, say) are left out unless the user shows them.
 */
export function TagTable({ tags, onSet, onDelete, hidden = () => false, label = 'Tags' }) {
  const [showAll, setShowAll] = useState(false);
  // the tag being edited in its row ({key, value}) and the one being added below the table
  const [edit, setEdit] = useState(null);
  const [fresh, setFresh] = useState({ key: '', value: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const shown = tags.filter((t) => showAll || !hidden(t.key));
  const hiddenCount = tags.filter((t) => hidden(t.key)).length;

  const act = async (work) => {
    setBusy(true);
    try {
      await work();
      setError(null);
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const saveEdit = async (e) => {
    e.preventDefault();
    if (await act(() => onSet(edit.key, edit.value))) setEdit(null);
  };

  const add = async (e) => {
    e.preventDefault();
    const key = fresh.key.trim();
    if (key && await act(() => onSet(key, fresh.value))) setFresh({ key: '', value: '' });
  };

  return html`
    <div class="tags">
      <table class="grid kv" aria-label=${label}>
        <thead><tr>
          <th scope="col">Key</th><th scope="col">Value</th>
          <th scope="col"><span class="visually-hidden">Actions</span></th>
        </tr></thead>
        <tbody>
          ${shown.map((t) => html`<tr key=${t.key}>
            <th scope="row">${t.key}</th>
            <td>${edit && edit.key === t.key
              ? html`<form class="inline" onSubmit=${saveEdit}>
                  <input aria-label=${`Value of ${t.key}`} value=${edit.value}
                    onInput=${(e) => setEdit({ key: t.key, value: e.currentTarget.value })} />
                  <button type="submit" disabled=${busy}>Save</button>
                  <button type="button" class="quiet" onClick=${() => setEdit(null)}>Cancel</button>
                </form>`
              : html`<span class="value">${t.value}</span>`}</td>
            <td class="actions">
              <button type="button" class="quiet" disabled=${busy} aria-label=${`Edit tag ${t.key}`}
                onClick=${() => setEdit({ key: t.key, value: t.value })}>Edit</button>
              <button type="button" class="quiet" disabled=${busy} aria-label=${`Delete tag ${t.key}`}
                onClick=${() => act(() => onDelete(t.key))}>Delete</button>
            </td>
          </tr>`)}
          ${shown.length === 0 ? html`<tr><td colspan="3" class="empty">No tags.</td></tr>` : null}
        </tbody>
      </table>
      ${hiddenCount > 0
        ? html`<button type="button" class="quiet small" onClick=${() => setShowAll(!showAll)}>
            ${showAll ? 'Hide' : 'Show'} ${hiddenCount} system tag${hiddenCount === 1 ? '' : 's'}</button>`
        : null}
      <form class="inline add-tag" onSubmit=${add}>
        <input aria-label="New tag key" placeholder="key" value=${fresh.key}
          onInput=${(e) => setFresh({ ...fresh, key: e.currentTarget.value })} />
        <input aria-label="New tag value" placeholder="value" value=${fresh.value}
          onInput=${(e) => setFresh({ ...fresh, value: e.currentTarget.value })} />
        <button type="submit" disabled=${busy || !fresh.key.trim()}>Add tag</button>
      </form>
      <${ErrorMessage} error=${error} />
    </div>`;
}

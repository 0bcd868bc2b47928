import { useCallback, useRef, useState } from 'preact/hooks';
import { call } from '../../api.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { SearchForm } from '../../components/SearchForm.js';
import { dateTime } from '../../format.js';
import { html } from '../../html.js';
import { usePagedSearch } from '../../hooks.js';
import { allows, useMyPermissions } from '../../session.js';

const PAGE = 100;

/**
 * Experiments: searched with MLflow's filter language (its errors shown under the box), a page at a
 * time, newest change first; created, renamed, deleted and restored through the API.
 */
export function ExperimentsScreen() {
  const [filter, setFilter] = useState('');
  const [query, setQuery] = useState({ filter: '', view: 'ACTIVE_ONLY' });
  const [actionError, setActionError] = useState(null);
  const [newName, setNewName] = useState('');
  const [editing, setEditing] = useState(null); // { id, name }

  const read = useCallback(async (token) => {
    const page = await call('mlflow/experiments/search', {
      body: {
        max_results: PAGE,
        filter: query.filter,
        view_type: query.view,
        order_by: ['last_update_time DESC'],
        ...(token ? { page_token: token } : {}),
      },
    });
    return { items: page.experiments || [], next: page.next_page_token };
  }, [query]);
  const { items: experiments, next, loading, error: searchError, load: search } = usePagedSearch(read);
  // with authentication on: rename, delete and restore are offered where the user may use them
  const mine = useMyPermissions('experiments', experiments.map((x) => x.experiment_id));

  // an action ends by searching again with the query shown then, not the one of its click
  const current = useRef(search);
  current.current = search;
  const [busy, setBusy] = useState(false);

  const act = async (work) => {
    setBusy(true);
    try {
      await work();
      setActionError(null);
      await current.current(null);
      return true;
    } catch (e) {
      setActionError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const create = (event) => {
    event.preventDefault();
    const name = newName.trim();
    act(() => call('mlflow/experiments/create', { body: { name } })).then((ok) => ok && setNewName(''));
  };

  const rename = (event) => {
    event.preventDefault();
    act(() => call('mlflow/experiments/update', {
      body: { experiment_id: editing.id, new_name: editing.name.trim() },
    })).then((ok) => ok && setEditing(null));
  };

  return html`
    <section class="experiments">
      <h1>Experiments</h1>
      <${SearchForm} label="Filter" placeholder="name LIKE 'sweep-%' and tags.team = 'vision'"
        filter=${filter} setFilter=${setFilter} query=${query} setQuery=${setQuery} />
      <${ErrorMessage} error=${searchError} />
      <form class="row" onSubmit=${create}>
        <label class="grow">
          <span class="label">New experiment</span>
          <input value=${newName} onInput=${(e) => setNewName(e.currentTarget.value)} placeholder="name" />
        </label>
        <button type="submit" disabled=${busy || !newName.trim()}>Create</button>
      </form>
      <${ErrorMessage} error=${actionError} />
      <table class="grid" aria-busy=${loading ? 'true' : 'false'}>
        <thead>
          <tr><th scope="col">Name</th><th scope="col">ID</th><th scope="col">Created</th>
            <th scope="col">Last updated</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
        </thead>
        <tbody>
          ${experiments.map((x) => html`
            <tr key=${x.experiment_id} data-experiment-id=${x.experiment_id}>
              <td>
                ${editing && editing.id === x.experiment_id
                  ? html`<form class="inline" onSubmit=${rename}>
                      <input aria-label=${`New name for ${x.name}`} value=${editing.name}
                        onInput=${(e) => setEditing({ ...editing, name: e.currentTarget.value })} />
                      <button type="submit" disabled=${busy}>Save</button>
                      <button type="button" class="quiet" onClick=${() => setEditing(null)}>Cancel</button>
                    </form>`
                  : html`<a class="name" href=${`#/experiments/${encodeURIComponent(x.experiment_id)}`}>${x.name}</a>
                      ${x.lifecycle_stage === 'deleted' ? html` <span class="badge">deleted</span>` : null}`}
              </td>
              <td>${x.experiment_id}</td>
              <td>${dateTime(x.creation_time)}</td>
              <td>${dateTime(x.last_update_time)}</td>
              <td class="actions">
                ${!allows(mine[x.experiment_id], 'UPDATE') ? null : x.lifecycle_stage === 'deleted'
                  ? allows(mine[x.experiment_id], 'DELETE') && html`<button type="button" disabled=${busy} aria-label=${`Restore ${x.name}`}
                      onClick=${() => act(() => call('mlflow/experiments/restore', { body: { experiment_id: x.experiment_id } }))}>Restore</button>`
                  : html`<button type="button" class="quiet" aria-label=${`Rename ${x.name}`}
                        onClick=${() => setEditing({ id: x.experiment_id, name: x.name })}>Rename</button>
                      ${allows(mine[x.experiment_id], 'DELETE') && html`<button type="button" class="quiet" disabled=${busy} aria-label=${`Delete ${x.name}`}
                        onClick=${() => act(() => call('mlflow/experiments/delete', { body: { experiment_id: x.experiment_id } }))}>Delete</button>`}`}
              </td>
            </tr>`)}
        </tbody>
      </table>
      ${!loading && !searchError && experiments.length === 0 ? html`<p class="empty">No experiments match.</p>` : null}
      ${next ? html`<button type="button" class="more" disabled=${loading} onClick=${() => search(next)}>Load more</button>` : null}
    </section>
  `;
}

import { useCallback, useState } from 'preact/hooks';
import { call } from '../../api.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { dateTime } from '../../format.js';
import { html } from '../../html.js';
import { useAction, usePagedSearch } from '../../hooks.js';
import { AliasBadge, modelHref, StageBadge, versionHref } from './registry.js';

const PAGE = 100;

/** The sortable columns: MLflow's order_by field and the direction a first click asks for. */
const SORTS = {
  name: { field: 'name', first: 'ASC', label: 'Name' },
  last_updated_timestamp: { field: 'last_updated_timestamp', first: 'DESC', label: 'Last modified' },
};

function SortHeader({ column, sort, setSort }) {
  const { label, first } = SORTS[column];
  const active = sort.column === column;
  const next = active ? (sort.direction === 'ASC' ? 'DESC' : 'ASC') : first;
  return html`<th scope="col" aria-sort=${active ? (sort.direction === 'ASC' ? 'ascending' : 'descending') : 'none'}>
    <button type="button" class="sort" onClick=${() => setSort({ column, direction: next })}>
      ${label}${active ? (sort.direction === 'ASC' ? ' ▲' : ' ▼') : ''}
    </button>
  </th>`;
}

/**
 * Registered models: searched with MLflow's filter language (its errors shown under the box), a
 * page at a time, sorted by name or last change through order_by; a model created here.
 */
export function ModelsScreen() {
  const [filter, setFilter] = useState('');
  const [searched, setSearched] = useState('');
  const [sort, setSort] = useState({ column: 'last_updated_timestamp', direction: 'DESC' });
  const [newName, setNewName] = useState('');
  const create = useAction();

  const read = useCallback(async (token) => {
    const page = await call('mlflow/registered-models/search', {
      query: {
        filter: searched,
        max_results: PAGE,
        order_by: [`${SORTS[sort.column].field} ${sort.direction}`],
        page_token: token,
      },
    });
    return { items: page.registered_models || [], next: page.next_page_token };
  }, [searched, sort]);
  const { items: models, next, loading, error: searchError, load: search } = usePagedSearch(read);

  const submitCreate = (e) => {
    e.preventDefault();
    const name = newName.trim();
    create.run(() => call('mlflow/registered-models/create', { body: { name } })).then((ok) => {
      if (ok) window.location.hash = modelHref(name);
    });
  };

  return html`
    <section class="registry models">
      <h1>Registered models</h1>
      <form class="row" role="search" onSubmit=${(e) => { e.preventDefault(); setSearched(filter.trim()); }}>
        <label class="grow">
          <span class="label">Filter models</span>
          <input type="search" value=${filter} placeholder="name LIKE '%iris%' and tags.team = 'vision'"
            onInput=${(e) => setFilter(e.currentTarget.value)} />
        </label>
        <button type="submit">Search</button>
      </form>
      <${ErrorMessage} error=${searchError} />
      <form class="row" onSubmit=${submitCreate}>
        <label class="grow">
          <span class="label">New model</span>
          <input value=${newName} onInput=${(e) => setNewName(e.currentTarget.value)} placeholder="name" />
        </label>
        <button type="submit" disabled=${create.busy || !newName.trim()}>Create model</button>
      </form>
      <${ErrorMessage} error=${create.error} />
      <table class="grid models-table" aria-busy=${loading ? 'true' : 'false'}>
        <thead>
          <tr>
            <${SortHeader} column="name" sort=${sort} setSort=${setSort} />
            <th scope="col">Latest versions</th>
            <th scope="col">Aliases</th>
            <${SortHeader} column="last_updated_timestamp" sort=${sort} setSort=${setSort} />
            <th scope="col">Tags</th>
          </tr>
        </thead>
        <tbody>
          ${models.map((m) => html`
            <tr key=${m.name} data-model=${m.name}>
              <td><a class="name" href=${modelHref(m.name)}>${m.name}</a></td>
              <td>
                ${(m.latest_versions || []).length === 0 ? html`<span class="muted">—</span>` : null}
                <ul class="chips">
                  ${(m.latest_versions || []).map((v) => html`
                    <li key=${v.version}>
                      <a href=${versionHref(m.name, v.version)}>Version ${v.version}</a>
                      ${' '}<${StageBadge} stage=${v.current_stage} />
                    </li>`)}
                </ul>
              </td>
              <td>
                <ul class="chips">
                  ${(m.aliases || []).map((a) => html`<li key=${a.alias}><${AliasBadge} alias=${a.alias} version=${a.version} /></li>`)}
                </ul>
              </td>
              <td>${dateTime(m.last_updated_timestamp)}</td>
              <td>
                <ul class="chips">
                  ${(m.tags || []).map((t) => html`<li key=${t.key} class="tag"><span class="tag-key">${t.key}</span>: ${t.value}</li>`)}
                </ul>
              </td>
            </tr>`)}
        </tbody>
      </table>
      ${!loading && !searchError && models.length === 0 ? html`<p class="empty">No registered models match.</p>` : null}
      ${next ? html`<button type="button" class="more" disabled=${loading} onClick=${() => search(next)}>Load more</button>` : null}
    </section>
  `;
}

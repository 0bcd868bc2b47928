import { html } from '../html.js';

/** MLflow's lifecycle view types, as the search APIs name them. */
const VIEWS = [
  ['ACTIVE_ONLY', 'Active'],
  ['DELETED_ONLY', 'Deleted'],
  ['ALL', 'All'],
];

/**
 * The filter box (MLflow's filter language) and the lifecycle choice of a search screen. `filter`
 * is what is typed; `query` ({filter, view, …}) what is searched, replaced through `setQuery` on
 * submit (the typed filter) or at once (another view).
 */
export function SearchForm({ label, placeholder, filter, setFilter, query, setQuery }) {
  return html`
    <form class="row" role="search" onSubmit=${(e) => { e.preventDefault(); setQuery({ ...query, filter }); }}>
      <label class="grow">
        <span class="label">${label}</span>
        <input type="search" value=${filter} placeholder=${placeholder}
          onInput=${(e) => setFilter(e.currentTarget.value)} />
      </label>
      <label>
        <span class="label">Show</span>
        <select value=${query.view} onChange=${(e) => setQuery({ ...query, view: e.currentTarget.value })}>
          ${VIEWS.map(([value, text]) => html`<option value=${value}>${text}</option>`)}
        </select>
      </label>
      <button type="submit">Search</button>
    </form>`;
}

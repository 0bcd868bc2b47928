import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { call } from '../../api.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { SearchForm } from '../../components/SearchForm.js';
import { VirtualRows } from '../../components/VirtualRows.js';
import { dateTime } from '../../format.js';
import { html } from '../../html.js';

const PAGE = 100;
const ROW = 32;

/** The columns every run has; `key` is what order_by names. */
const COLUMNS = [
  { title: 'Run name', key: 'attributes.run_name', cell: (r) => r.info.run_name },
  { title: 'Created', key: 'attributes.start_time', cell: (r) => dateTime(r.info.start_time) },
  { title: 'Duration', key: null, cell: (r) => duration(r.info) },
  { title: 'Status', key: 'attributes.status', cell: (r) => r.info.status },
  { title: 'User', key: 'attributes.user_id', cell: (r) => r.info.user_id },
  { title: 'Source', key: null, cell: (r) => tag(r, 'mlflow.source.name') },
];

function tag(run, key) {
  const found = (run.data?.tags || []).find((t) => t.key === key);
  return found ? found.value : '';
}

function duration(info) {
  if (!info.start_time || !info.end_time) return '';
  const seconds = (Number(info.end_time) - Number(info.start_time)) / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/**
 * The runs of one experiment (MLflow's `#/experiments/{id}`): filtered with MLflow's language (its
 * errors shown under the box), by lifecycle, sorted on a column through the API's order_by, read a
 * page of 100 at a time as the table is scrolled — never all at once — and only the rows in view
 * rendered, so 100,000 runs scroll like 100.
 */
export function RunsScreen({ params }) {
  const experimentId = params.id;
  const [experiment, setExperiment] = useState(null);
  const [filter, setFilter] = useState('');
  const [query, setQuery] = useState({ filter: '', view: 'ACTIVE_ONLY', order: 'attributes.start_time DESC' });
  const [runs, setRuns] = useState([]);
  const [next, setNext] = useState(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);
  const [experimentError, setExperimentError] = useState(null);
  const [generation, setGeneration] = useState(0);
  const latest = useRef(0);
  const pending = useRef(false);
  // the token of the page after the last one shown, read when the table nears its end: a ref, so
  // that a page is never asked for twice nor with the token of an earlier query
  const nextToken = useRef(null);

  useEffect(() => {
    let live = true;
    call('mlflow/experiments/get', { query: { experiment_id: experimentId } })
      .then((answer) => live && setExperiment(answer.experiment))
      .catch((e) => live && setExperimentError(e));
    return () => {
      live = false;
    };
  }, [experimentId]);

  const search = useCallback(async (token) => {
    if (token && token !== nextToken.current) return;
    const ticket = ++latest.current;
    nextToken.current = null;
    pending.current = true;
    setLoading(true);
    if (!token) {
      setNext(null);
      setGeneration((g) => g + 1);
    }
    try {
      const page = await call('mlflow/runs/search', {
        body: {
          experiment_ids: [experimentId],
          filter: query.filter,
          run_view_type: query.view,
          order_by: [query.order],
          max_results: PAGE,
          ...(token ? { page_token: token } : {}),
        },
      });
      if (ticket !== latest.current) return;
      setRuns((shown) => {
        if (!token) return page.runs || [];
        const seen = new Set(shown.map((r) => r.info.run_id));
        return shown.concat((page.runs || []).filter((r) => !seen.has(r.info.run_id)));
      });
      nextToken.current = page.next_page_token || null;
      setNext(nextToken.current);
      setError(null);
    } catch (e) {
      if (ticket !== latest.current) return;
      setError(e);
      // a page that failed is asked for again when the table is next scrolled
      if (token) nextToken.current = token;
      if (!token) {
        setRuns([]);
        setNext(null);
      }
    } finally {
      if (ticket === latest.current) {
        pending.current = false;
        setLoading(false);
      }
    }
  }, [experimentId, query]);

  useEffect(() => {
    search(null);
  }, [search]);

  const more = () => {
    if (nextToken.current && !pending.current) search(nextToken.current);
  };

  const sortBy = (key) => {
    const [current, direction] = query.order.split(' ');
    const order = current === key && direction === 'ASC' ? `${key} DESC` : `${key} ASC`;
    setQuery({ ...query, order });
  };

  const [orderKey, orderDirection] = query.order.split(' ');
  const header = html`<tr>
    ${COLUMNS.map((c) => {
      if (!c.key) return html`<th scope="col">${c.title}</th>`;
      const sorted = c.key === orderKey;
      return html`<th scope="col" aria-sort=${sorted ? (orderDirection === 'ASC' ? 'ascending' : 'descending') : 'none'}>
        <button type="button" class="sort" onClick=${() => sortBy(c.key)}>
          ${c.title}${sorted ? html`<span aria-hidden="true">${orderDirection === 'ASC' ? ' ▲' : ' ▼'}</span>` : ''}
        </button>
      </th>`;
    })}
  </tr>`;

  return html`
    <section class="runs">
      <p class="crumbs"><a href="#/experiments">Experiments</a></p>
      <h1>${experiment ? experiment.name : `Experiment ${experimentId}`}</h1>
      <${SearchForm} label="Filter runs" placeholder="metrics.rmse < 1 and params.model = 'tree'"
        filter=${filter} setFilter=${setFilter} query=${query} setQuery=${setQuery} />
      <${ErrorMessage} error=${experimentError} />
      <${ErrorMessage} error=${error} />
      <p class="count" aria-live="polite">
        ${runs.length} run${runs.length === 1 ? '' : 's'} loaded${next ? ', more as you scroll' : ''}${loading ? ' …' : ''}
      </p>
      <${VirtualRows}
        resetKey=${generation}
        label="Runs"
        rows=${runs}
        rowHeight=${ROW}
        height=${Math.max(240, window.innerHeight - 260)}
        columns=${header}
        onNearEnd=${more}
        renderRow=${(run) => html`<tr key=${run.info.run_id} data-run-id=${run.info.run_id} style=${`height:${ROW}px`}>
          ${COLUMNS.map((c) => html`<td>${c.cell(run)}</td>`)}
        </tr>`} />
      ${!loading && !error && runs.length === 0 ? html`<p class="empty">No runs match.</p>` : null}
    </section>`;
}

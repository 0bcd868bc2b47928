import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { call } from '../../api.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { SearchForm } from '../../components/SearchForm.js';
import { VirtualRows } from '../../components/VirtualRows.js';
import { html } from '../../html.js';
import { PermissionsPanel } from '../../components/PermissionsPanel.js';
import { useMyPermissions } from '../../session.js';
import { MAX_RUNS } from '../metric/runQuery.js';
import { engineeringHref } from '../prompts/promptApi.js';
import { ColumnChooser } from './ColumnChooser.js';
import { chosenColumn, collect, datasetClause, datasetKey, fixedColumns } from './columns.js';
import { addPage, emptyTree, flatten } from './tree.js';
import './runs.css';

const PAGE = 100;
const ROW = 32;
const SELECT_WIDTH = 40;
const INDENT = 16;
// deeper runs are indented no further: a chain of thousands must not push its names out of the cell
const MAX_INDENT_DEPTH = 12;
const DEFAULT_ORDER = { key: 'attributes.start_time', asc: false };
const CHOSEN_ID = /^(metrics|params|tags)\..+/;
/** The most experiments one link shows: their names are read one call each. */
const MAX_EXPERIMENTS = 100;
/** Calls made at once for a list (names of experiments, runs deleted): the machine is shared. */
const AT_ONCE = 8;

/**
 * The experiments a runs screen shows: `#/experiments/{id}`, or MLflow's
 * `#/compare-experiments/s?experiments=["1","2"]`; null when the address holds no list of ids.
 */
function experimentIds(params, query) {
  if (params.id !== undefined) return [params.id];
  try {
    const ids = JSON.parse(query?.get('experiments') || '');
    if (Array.isArray(ids) && ids.length > 0 && ids.every((x) => typeof x === 'string' || typeof x === 'number')) {
      return [...new Set(ids.map(String))];
    }
  } catch {
    // not JSON: told below
  }
  return null;
}

/**
 * The runs of one experiment (MLflow's `#/experiments/{id}`) or of several
 * (`#/compare-experiments/s?experiments=[…]`).
 */
export function RunsScreen({ params, query }) {
  const ids = experimentIds(params, query);
  if (!ids) {
    return html`<section class="runs">
      <p class="crumbs"><a href="#/experiments">Experiments</a></p>
      <h1>Runs</h1>
      <${ErrorMessage} error=${{
        code: 'INVALID_PARAMETER_VALUE',
        message: 'The address names no experiments: expected experiments=["1","2"] (a JSON list of ids).',
      }} />
    </section>`;
  }
  if (ids.length > MAX_EXPERIMENTS) {
    return html`<section class="runs">
      <p class="crumbs"><a href="#/experiments">Experiments</a></p>
      <h1>Runs</h1>
      <${ErrorMessage} error=${{
        code: 'INVALID_PARAMETER_VALUE',
        message: `The address names ${ids.length.toLocaleString('en')} experiments: at most ${MAX_EXPERIMENTS} are shown together.`,
      }} />
    </section>`;
  }
  return html`<${RunsTable} key=${ids.join(',')} ids=${ids} />
    ${ids.length === 1 && html`<${ExperimentPermissions} id=${ids[0]} />`}`;
}

/** Who may do what with the experiment, for those who manage it (with authentication on). */
function ExperimentPermissions({ id }) {
  const mine = useMyPermissions('experiments', [id]);
  return mine[id] === 'MANAGE' ? html`<${PermissionsPanel} experimentId=${id} />` : null;
}

/** The columns chosen and pinned for these experiments, as last saved; each id once. */
function plural(n) {
  return `${n.toLocaleString('en')} run${n === 1 ? '' : 's'}`;
}

/** How many of the runs a confirmation names are out of view, under a collapsed parent. */
function hiddenNote(hidden, total) {
  if (hidden === 0) return '';
  const under = hidden === 1 ? 'is hidden under a collapsed parent' : 'are hidden under collapsed parents';
  if (hidden === total) return total === 1 ? `It ${under}.` : `All of them ${under}.`;
  return `${hidden.toLocaleString('en')} of them ${under}.`;
}

function loadLayout(storageKey) {
  try {
    const saved = JSON.parse(window.localStorage.getItem(storageKey) || 'null');
    return {
      columns: Array.isArray(saved?.columns) ? [...new Set(saved.columns.filter((c) => typeof c === 'string' && CHOSEN_ID.test(c)))] : [],
      pinned: Array.isArray(saved?.pinned) ? [...new Set(saved.pinned.filter((c) => typeof c === 'string'))] : ['name'],
    };
  } catch {
    return { columns: [], pinned: ['name'] };
  }
}

function saveLayout(storageKey, layout) {
  try {
    window.localStorage.setItem(storageKey, JSON.stringify(layout));
  } catch {
    // storage full or refused: the choice lasts as long as the page
  }
}

/**
 * Runs `work` on each id, {@link AT_ONCE} at a time, and stops after the first batch in which one
 * failed (the others would most likely fail the same way). Resolves to how many succeeded and the
 * first failure, null when none.
 */
async function each(ids, work) {
  let done = 0;
  for (let i = 0; i < ids.length; i += AT_ONCE) {
    const results = await Promise.allSettled(ids.slice(i, i + AT_ONCE).map(work));
    done += results.filter((r) => r.status === 'fulfilled').length;
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) return { done, failure: failed.reason };
  }
  return { done, failure: null };
}

/**
 * Filtered with MLflow's language (its errors shown under the box) and by dataset, by lifecycle,
 * sorted on any column through the API's order_by, read a page of 100 at a time as the table is
 * scrolled — never all at once — and only the rows in view rendered, so 100,000 runs scroll like
 * 100. Nested runs sit under their parent; columns are chosen, pinned and remembered per
 * experiment; selected runs are compared, deleted or restored.
 */
function RunsTable({ ids }) {
  const several = ids.length > 1;
  const storageKey = `skein.runs.columns.${[...ids].sort().join(',')}`;
  const [experiments, setExperiments] = useState(new Map());
  const [filter, setFilter] = useState('');
  const [query, setQuery] = useState({ filter: '', view: 'ACTIVE_ONLY', order: DEFAULT_ORDER });
  const [chosenDatasets, setChosenDatasets] = useState([]);
  const [next, setNext] = useState(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);
  const [experimentError, setExperimentError] = useState(null);
  // what the last delete or restore left undone: "k of N deleted; the first error: …"
  const [actionError, setActionError] = useState(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [generation, setGeneration] = useState(0);
  const [keys, setKeys] = useState(new Set());
  const [datasetsFound, setDatasetsFound] = useState(new Map());
  const [layout, setLayout] = useState(() => loadLayout(storageKey));
  // saved only when the user changes it: opening the screen writes nothing
  const changeLayout = (next) => {
    const cleaned = { columns: [...new Set(next.columns)], pinned: [...new Set(next.pinned)] };
    setLayout(cleaned);
    saveLayout(storageKey, cleaned);
  };
  const [collapsed, setCollapsed] = useState(new Set());
  const [selected, setSelected] = useState(new Set());
  const latest = useRef(0);
  const pending = useRef(false);
  // the token of the page after the last one shown, read when the table nears its end: a ref, so
  // that a page is never asked for twice nor with the token of an earlier query
  const nextToken = useRef(null);
  // what the chooser and the dataset choice offer: the keys and datasets of every page read, each
  // page read once as it arrives
  const seenKeys = useRef(new Set());
  const seenDatasets = useRef(new Map());
  // the runs loaded and their parent/children maps, grown with each page (never rebuilt from all
  // the runs loaded); `version` counts the pages read into it, a new tree included, so that what is
  // derived from the runs is recomputed once a page, and only then
  const tree = useRef(emptyTree());
  const [version, setVersion] = useState(0);
  const runs = tree.current.runs;

  useEffect(() => {
    let live = true;
    (async () => {
      const found = new Map();
      let failure = null;
      for (let i = 0; i < ids.length && live; i += AT_ONCE) {
        const answers = await Promise.allSettled(ids.slice(i, i + AT_ONCE)
          .map((id) => call('mlflow/experiments/get', { query: { experiment_id: id } })));
        answers.forEach((a) => a.status === 'fulfilled' && found.set(a.value.experiment.experiment_id, a.value.experiment));
        failure = failure || answers.find((a) => a.status === 'rejected')?.reason || null;
      }
      if (!live) return;
      setExperiments(found);
      setExperimentError(failure);
    })();
    return () => {
      live = false;
    };
  }, []);

  const sentFilter = [query.filter.trim(), datasetClause(chosenDatasets)].filter(Boolean).join(' and ');
  const orderBy = `${query.order.key} ${query.order.asc ? 'ASC' : 'DESC'}`;

  const search = useCallback(async (token) => {
    if (token && token !== nextToken.current) return;
    const ticket = ++latest.current;
    nextToken.current = null;
    pending.current = true;
    setLoading(true);
    if (!token) {
      setNext(null);
      setSelected(new Set());
      setConfirming(false);
      setGeneration((g) => g + 1);
    }
    try {
      const page = await call('mlflow/runs/search', {
        body: {
          experiment_ids: ids,
          filter: sentFilter,
          run_view_type: query.view,
          order_by: [orderBy],
          max_results: PAGE,
          ...(token ? { page_token: token } : {}),
        },
      });
      if (ticket !== latest.current) return;
      if (!token) tree.current = emptyTree();
      const fresh = addPage(tree.current, page.runs || []);
      setVersion((v) => v + 1);
      const keyCount = seenKeys.current.size;
      const datasetCount = seenDatasets.current.size;
      collect(fresh, seenKeys.current, seenDatasets.current);
      if (seenKeys.current.size !== keyCount) setKeys(new Set(seenKeys.current));
      if (seenDatasets.current.size !== datasetCount) setDatasetsFound(new Map(seenDatasets.current));
      nextToken.current = page.next_page_token || null;
      setNext(nextToken.current);
      setError(null);
    } catch (e) {
      if (ticket !== latest.current) return;
      setError(e);
      // a page that failed is asked for again when the table is next scrolled
      if (token) nextToken.current = token;
      if (!token) {
        tree.current = emptyTree();
        setVersion((v) => v + 1);
        setNext(null);
      }
    } finally {
      if (ticket === latest.current) {
        pending.current = false;
        setLoading(false);
      }
    }
  }, [sentFilter, orderBy, query.view]);

  useEffect(() => {
    search(null);
  }, [search]);

  // an action ends by searching again with the query shown then, not the one of its click
  const current = useRef(search);
  current.current = search;

  const more = () => {
    if (nextToken.current && !pending.current) search(nextToken.current);
  };

  const sortBy = (key) => {
    const { key: now, asc } = query.order;
    setQuery({ ...query, order: { key, asc: !(now === key && asc) } });
  };

  const names = useMemo(() => new Map([...experiments].map(([id, x]) => [id, x.name])), [experiments]);
  const fixed = useMemo(() => fixedColumns(names, several), [names]);
  const columns = useMemo(() => {
    const all = fixed.concat(layout.columns.map(chosenColumn));
    const pins = layout.pinned.map((id) => all.find((c) => c.id === id)).filter(Boolean);
    let left = SELECT_WIDTH;
    const pinnedColumns = pins.map((c, i) => {
      const placed = { ...c, left, edge: i === pins.length - 1 };
      left += c.width;
      return placed;
    });
    return pinnedColumns.concat(all.filter((c) => !layout.pinned.includes(c.id)));
  }, [fixed, layout]);
  const tableWidth = columns.reduce((sum, c) => sum + c.width, SELECT_WIDTH);

  const rows = useMemo(() => flatten(tree.current, collapsed), [version, collapsed]);

  const toggleOpen = (id) => {
    const nextSet = new Set(collapsed);
    if (nextSet.has(id)) nextSet.delete(id);
    else nextSet.add(id);
    setCollapsed(nextSet);
  };

  const select = (id, on) => {
    const nextSet = new Set(selected);
    if (on) nextSet.add(id);
    else nextSet.delete(id);
    setSelected(nextSet);
  };
  const allSelected = runs.length > 0 && selected.size === runs.length;
  const selectAll = useRef(null);
  useEffect(() => {
    if (selectAll.current) selectAll.current.indeterminate = selected.size > 0 && !allSelected;
  });

  // in the order loaded; read again only when the selection or the runs change, not every render
  const { chosenRuns, deletable, restorable } = useMemo(() => {
    const chosen = selected.size ? runs.filter((r) => selected.has(r.info.run_id)) : [];
    return {
      chosenRuns: chosen,
      deletable: chosen.filter((r) => r.info.lifecycle_stage !== 'deleted').map((r) => r.info.run_id),
      restorable: chosen.filter((r) => r.info.lifecycle_stage === 'deleted').map((r) => r.info.run_id),
    };
  }, [selected, version]);

  /** Deletes or restores the runs, a batch at a time; stops at the first batch that fails, and says so. */
  const bulk = async (runIds, path, past) => {
    setConfirming(false);
    setBusy(true);
    const { done, failure } = await each(runIds, (run_id) => call(path, { body: { run_id } }));
    setActionError(failure
      ? `${done} of ${runIds.length} ${past}; the first error: ${failure.code ? `${failure.code} ` : ''}${failure.message || failure}`
      : null);
    setBusy(false);
    await current.current(null);
  };

  // the confirmation names the runs it would delete that are not in view: under a collapsed parent
  const hiddenChosen = useMemo(() => {
    if (!confirming) return 0;
    const shown = new Set(rows.map((r) => r.run.info.run_id));
    return deletable.filter((id) => !shown.has(id)).length;
  }, [confirming, rows, deletable]);
  const deleteButton = useRef(null);
  const keepButton = useRef(null);
  useEffect(() => {
    if (confirming) keepButton.current?.focus();
  }, [confirming]);
  const cancelDelete = () => {
    setConfirming(false);
    deleteButton.current?.focus();
  };

  const tooMany = chosenRuns.length > MAX_RUNS;
  const compare = () => {
    const runIds = chosenRuns.map((r) => r.info.run_id);
    const experimentList = [...ids].sort();
    window.location.hash = `#/compare-runs?runs=${encodeURIComponent(JSON.stringify(runIds))}`
      + `&experiments=${encodeURIComponent(JSON.stringify(experimentList))}`;
  };

  const heading = ids.map((id) => names.get(id) || `Experiment ${id}`).join(', ');
  const chosenKeys = new Set(chosenDatasets.map(datasetKey));
  const datasetOptions = [...datasetsFound.values()]
    .filter((d) => !chosenKeys.has(datasetKey(d)))
    .sort((a, b) => `${a.name} ${a.digest}`.localeCompare(`${b.name} ${b.digest}`));

  const stick = (c) => (c.left !== undefined ? `left:${c.left}px` : '');
  const cellClass = (c, extra) => [extra, c.left !== undefined ? 'pinned' : '', c.edge ? 'edge' : ''].filter(Boolean).join(' ');

  const header = html`<tr aria-rowindex="1">
    <th scope="col" class="select pinned" style=${`width:${SELECT_WIDTH}px;left:0`}>
      <input type="checkbox" ref=${selectAll} aria-label="Select all loaded runs" checked=${allSelected}
        disabled=${runs.length === 0}
        onChange=${(e) => setSelected(e.currentTarget.checked ? new Set(runs.map((r) => r.info.run_id)) : new Set())} />
    </th>
    ${columns.map((c) => {
      const style = `width:${c.width}px;${stick(c)}`;
      const title = c.kind ? html`<span class="kind">${c.kind}</span> ${c.title}` : c.title;
      if (!c.order) return html`<th scope="col" class=${cellClass(c)} style=${style} title=${c.title}>${title}</th>`;
      const sorted = c.order === query.order.key;
      return html`<th scope="col" class=${cellClass(c)} style=${style} title=${c.title} data-column=${c.id}
        aria-sort=${sorted ? (query.order.asc ? 'ascending' : 'descending') : 'none'}>
        <button type="button" class="sort" onClick=${() => sortBy(c.order)}>
          ${title}${sorted ? html`<span aria-hidden="true">${query.order.asc ? ' ▲' : ' ▼'}</span>` : ''}
        </button>
      </th>`;
    })}
  </tr>`;

  const nameCell = (row, c) => {
    const { run, depth } = row;
    const name = c.text(run);
    return html`<td class=${cellClass(c, 'name')} style=${`${stick(c)};padding-left:${8 + Math.min(depth, MAX_INDENT_DEPTH) * INDENT}px`} title=${name}>
      ${row.children
        ? html`<button type="button" class="twisty" aria-expanded=${row.open ? 'true' : 'false'}
            aria-label=${`Child runs of ${name} (${row.children})`} onClick=${() => toggleOpen(run.info.run_id)}>
            <span aria-hidden="true">${row.open ? '▾' : '▸'}</span>
          </button>`
        : html`<span class="twisty-space"></span>`}
      <a href=${`#/experiments/${encodeURIComponent(run.info.experiment_id)}/runs/${encodeURIComponent(run.info.run_id)}`}>${name}</a>
    </td>`;
  };

  const renderRow = (row, index) => {
    const { run } = row;
    const id = run.info.run_id;
    const name = run.info.run_name || id;
    return html`<tr key=${id} data-run-id=${id} data-depth=${row.depth} aria-rowindex=${index + 2}
      class=${selected.has(id) ? 'chosen' : ''} style=${`height:${ROW}px`}>
      <td class="select pinned" style="left:0">
        <input type="checkbox" aria-label=${`Select ${name}`} checked=${selected.has(id)}
          onChange=${(e) => select(id, e.currentTarget.checked)} />
      </td>
      ${columns.map((c) => {
        if (c.id === 'name') return nameCell(row, c);
        const text = c.text(run);
        return html`<td class=${cellClass(c)} style=${stick(c)} title=${text} data-column=${c.id}>${text}</td>`;
      })}
    </tr>`;
  };

  return html`
    <section class="runs">
      <p class="crumbs"><a href="#/experiments">Experiments</a></p>
      <h1>${heading}</h1>
      ${ids.length === 1 ? html`<p class="experiment-links"><a href=${engineeringHref({ experimentId: ids[0] })}>Prompt engineering</a></p>` : null}
      <${SearchForm} label="Filter runs" placeholder="metrics.rmse < 1 and params.model = 'tree'"
        filter=${filter} setFilter=${setFilter} query=${query} setQuery=${setQuery} />
      <div class="row tools">
        <label>
          <span class="label">Dataset</span>
          <select value="" disabled=${datasetOptions.length === 0} onChange=${(e) => {
            // the option's value is the dataset's key, not its place in a list rebuilt every render
            const d = datasetsFound.get(e.currentTarget.value);
            if (d && !chosenKeys.has(datasetKey(d))) setChosenDatasets(chosenDatasets.concat(d));
          }}>
            <option value="">${datasetOptions.length ? 'Only runs with dataset…' : 'No other dataset in the runs loaded'}</option>
            ${datasetOptions.map((d) => html`<option key=${datasetKey(d)} value=${datasetKey(d)}>${d.name} (${d.digest})</option>`)}
          </select>
        </label>
        ${chosenDatasets.length ? html`<ul class="chips" aria-label="Dataset filters">
          ${chosenDatasets.map((d) => html`<li key=${datasetKey(d)}>
            Dataset: ${d.name} (${d.digest})
            <button type="button" class="quiet" aria-label=${`Remove dataset filter ${d.name} (${d.digest})`}
              onClick=${() => setChosenDatasets(chosenDatasets.filter((c) => c !== d))}>×</button>
          </li>`)}
        </ul>` : null}
        <span class="grow"></span>
        <${ColumnChooser} keys=${keys} chosen=${layout.columns} fixed=${fixed} pinned=${layout.pinned}
          setChosen=${(list) => changeLayout({ ...layout, columns: list, pinned: layout.pinned.filter((p) => !CHOSEN_ID.test(p) || list.includes(p)) })}
          setPinned=${(list) => changeLayout({ ...layout, pinned: list })} />
      </div>
      <${ErrorMessage} error=${experimentError} />
      <${ErrorMessage} error=${error} />
      <div class="row selection">
        <span aria-live="polite">${selected.size} selected</span>
        <button type="button" disabled=${busy || selected.size < 2 || tooMany} onClick=${compare}
          aria-describedby=${tooMany ? 'compare-limit' : undefined}>Compare</button>
        ${tooMany ? html`<span id="compare-limit" class="limit">
          Compare takes at most ${MAX_RUNS.toLocaleString('en')} runs: ${chosenRuns.length.toLocaleString('en')} selected.</span>` : null}
        ${query.view !== 'DELETED_ONLY'
          ? html`<button type="button" class="quiet" ref=${deleteButton} disabled=${busy || deletable.length === 0}
              aria-expanded=${confirming && deletable.length > 0 ? 'true' : 'false'}
              onClick=${() => setConfirming(true)}>Delete</button>`
          : null}
        ${query.view !== 'ACTIVE_ONLY'
          ? html`<button type="button" class="quiet" disabled=${busy || restorable.length === 0}
              onClick=${() => bulk(restorable, 'mlflow/runs/restore', 'restored')}>Restore</button>`
          : null}
        ${selected.size ? html`<button type="button" class="quiet" onClick=${() => setSelected(new Set())}>Clear selection</button>` : null}
      </div>
      ${confirming && deletable.length > 0 && query.view !== 'DELETED_ONLY' ? html`
        <div class="confirm" role="group" aria-labelledby="confirm-delete-runs"
          onKeyDown=${(e) => { if (e.key === 'Escape') { e.stopPropagation(); cancelDelete(); } }}>
          <p id="confirm-delete-runs"><strong>Delete ${plural(deletable.length)}?</strong>
            ${hiddenNote(hiddenChosen, deletable.length)} ${deletable.length === 1 ? 'It' : 'They'} can be restored from Deleted.</p>
          <div class="buttons">
            <button type="button" class="danger" disabled=${busy}
              onClick=${() => bulk(deletable, 'mlflow/runs/delete', 'deleted')}>Delete ${plural(deletable.length)}</button>
            <button type="button" class="quiet" ref=${keepButton} onClick=${cancelDelete}>Cancel</button>
          </div>
        </div>` : null}
      ${actionError ? html`<p class="error" role="alert">${actionError}</p>` : null}
      <p class="count" aria-live="polite">
        ${runs.length} run${runs.length === 1 ? '' : 's'} loaded${next ? ', more as you scroll' : ''}${loading ? ' …' : ''}
      </p>
      <${VirtualRows}
        resetKey=${generation}
        label="Runs"
        rows=${rows}
        rowHeight=${ROW}
        height=${Math.max(240, window.innerHeight - 320)}
        rowCount=${next ? -1 : rows.length + 1}
        tableStyle=${`width:${tableWidth}px`}
        columns=${header}
        onNearEnd=${more}
        loaded=${version}
        renderRow=${renderRow} />
      ${!loading && !error && runs.length === 0 ? html`<p class="empty">No runs match.</p>` : null}
    </section>`;
}

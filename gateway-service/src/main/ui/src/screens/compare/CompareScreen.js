import { useEffect, useMemo } from 'preact/hooks';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { formatValue } from '../../components/MetricChart.js';
import { VirtualRows } from '../../components/VirtualRows.js';
import { html } from '../../html.js';
import { experimentHref, runHref as linkToRun } from '../../links.js';
import { listParam, loadRuns, MAX_RUNS, useLinkState } from '../metric/runQuery.js';
import { EvaluationsCompare } from './EvaluationsCompare.js';
import { numeric, ParallelCoordinates, Scatter } from './plots.js';
import './compare.css';

/** Past this many runs the table turns: a row per run (rendered as scrolled), a column per key. */
const RUNS_AS_COLUMNS = 8;
const ROW = 32;
const DEFAULT_AXES = 5;

/** Each run's params and metrics by key, made once per run read. */
const LOOKUPS = new WeakMap();

const runName = (run) => run.info.run_name || run.info.run_id;
const runHref = (run) => linkToRun(run.info.experiment_id, run.info.run_id);

/** The keys compared: every param and every metric (its latest value) any of the runs has. */
function columnsOf(runs) {
  const params = new Set();
  const metrics = new Set();
  for (const run of runs) {
    (run.data?.params || []).forEach((p) => params.add(p.key));
    (run.data?.metrics || []).forEach((m) => metrics.add(m.key));
  }
  const lookup = (run, list, key) => {
    let cache = LOOKUPS.get(run);
    if (!cache) {
      cache = {
        params: new Map((run.data?.params || []).map((p) => [p.key, p.value])),
        metrics: new Map((run.data?.metrics || []).map((m) => [m.key, m.value])),
      };
      LOOKUPS.set(run, cache);
    }
    return cache[list].get(key);
  };
  return [
    ...[...params].sort().map((key) => ({
      id: `params.${key}`, label: key, kind: 'Param', value: (run) => lookup(run, 'params', key),
    })),
    ...[...metrics].sort().map((key) => ({
      id: `metrics.${key}`, label: key, kind: 'Metric', value: (run) => lookup(run, 'metrics', key),
    })),
  ].map((c) => ({ ...c, title: `${c.kind === 'Param' ? 'params' : 'metrics'}.${c.label}` }));
}

/** True when the runs do not all hold the same value (a missing value counts as one). */
function differs(column, runs) {
  if (runs.length < 2) return false;
  const first = column.value(runs[0]);
  return runs.some((r) => column.value(r) !== first);
}

function show(column, run) {
  const v = column.value(run);
  if (v === undefined || v === null) return '';
  return column.kind === 'Metric' ? formatValue(Number(v)) : String(v);
}

/**
 * Runs side by side (MLflow's `#/compare-runs?runs=[…]&experiments=[…]`), up to a thousand: read
 * 100 at a time through runs/search; their params and metrics in a table whose differing values are
 * marked (and, on request, the only ones shown) — keys as rows and runs as columns for a few runs,
 * turned into a scrolled row per run past that; the metrics of each run's newest succeeded
 * evaluation side by side; parallel coordinates of chosen values, a scatter of
 * any two, and a link to the metric charts of these runs.
 */
export function CompareScreen({ query }) {
  const link = query.toString();
  const runIds = useMemo(() => listParam(query, 'runs'), [link]);
  const experimentIds = useMemo(() => listParam(query, 'experiments'), [link]);
  // what was read for this link and the choices made on its values: another link starts afresh
  const [read, setRead] = useLinkState(link, { runs: null, missing: [], beyond: 0, error: null });
  const [loaded, setLoaded] = useLinkState(link, 0);
  const [onlyDiff, setOnlyDiff] = useLinkState(link, false);
  const [axes, setAxes] = useLinkState(link, null);
  const [scatterX, setScatterX] = useLinkState(link, null);
  const [scatterY, setScatterY] = useLinkState(link, null);
  const [chartKey, setChartKey] = useLinkState(link, null);
  const { runs, missing, beyond, error } = read;
  const compared = Math.min(runIds.length, MAX_RUNS);

  useEffect(() => {
    if (runIds.length === 0) {
      setRead({ runs: [], missing: [], beyond: 0, error: null });
      return undefined;
    }
    const reading = new AbortController();
    loadRuns(runIds, experimentIds, { onProgress: (n) => !reading.signal.aborted && setLoaded(n), signal: reading.signal })
      .then((answer) => setRead({ ...answer, error: null }))
      .catch((e) => e.name !== 'AbortError' && setRead({ runs: [], missing: [], beyond: 0, error: e }));
    return () => reading.abort();
  }, [runIds, experimentIds]);

  const all = runs || [];
  const columns = useMemo(() => columnsOf(all), [runs]);
  const differing = useMemo(() => new Set(columns.filter((c) => differs(c, all)).map((c) => c.id)), [columns]);
  const shown = onlyDiff ? columns.filter((c) => differing.has(c.id)) : columns;
  const numericColumns = useMemo(
    () => columns.filter((c) => all.some((r) => numeric(c.value(r)) !== null)), [columns]);
  const byId = new Map(columns.map((c) => [c.id, c]));
  const metricKeys = columns.filter((c) => c.kind === 'Metric').map((c) => c.label);

  // the plots start on the values that differ: params first, then metrics
  const axisIds = axes || columns.filter((c) => differing.has(c.id)).slice(0, DEFAULT_AXES).map((c) => c.id);
  const xId = scatterX || numericColumns.find((c) => c.kind === 'Param' && differing.has(c.id))?.id
    || numericColumns[0]?.id;
  const yId = scatterY || numericColumns.find((c) => c.kind === 'Metric' && c.id !== xId)?.id
    || numericColumns.find((c) => c.id !== xId)?.id;
  const metricForCharts = chartKey || metricKeys[0];
  const chartsHref = metricForCharts
    ? `#/metric/${encodeURIComponent(metricForCharts)}?runs=${encodeURIComponent(JSON.stringify(all.map((r) => r.info.run_id)))}`
      + `&experiments=${encodeURIComponent(JSON.stringify([...new Set(all.map((r) => r.info.experiment_id))]))}`
    : null;

  const diffMark = (column) => (differing.has(column.id)
    ? html`<span class="diff-mark" title="Values differ">≠<span class="visually-hidden"> (values differ)</span></span>` : null);

  const keyRows = () => html`
    <div class="compare-table-box" role="region" aria-label="Params and metrics of the runs" tabindex="0">
      <table class="grid compare-table">
        <thead><tr>
          <th scope="col">Key</th>
          ${all.map((run) => html`<th scope="col" data-run-id=${run.info.run_id}><a href=${runHref(run)}>${runName(run)}</a></th>`)}
        </tr></thead>
        ${['Param', 'Metric'].map((kind) => {
          const rows = shown.filter((c) => c.kind === kind);
          return html`<tbody>
            <tr class="compare-section"><th scope="rowgroup" colspan=${all.length + 1}>${kind === 'Param' ? 'Parameters' : 'Metrics'}</th></tr>
            ${rows.length === 0 ? html`<tr><td class="empty" colspan=${all.length + 1}>${onlyDiff ? 'No differences.' : 'None.'}</td></tr>` : null}
            ${rows.map((c) => html`<tr key=${c.id} data-key=${c.id} class=${differing.has(c.id) ? 'differs' : ''}>
              <th scope="row">${c.label} ${diffMark(c)}</th>
              ${all.map((run) => html`<td>${show(c, run)}</td>`)}
            </tr>`)}
          </tbody>`;
        })}
      </table>
    </div>`;

  const runRows = () => html`
    <${VirtualRows}
      label="Params and metrics of the runs"
      rows=${all}
      rowHeight=${ROW}
      height=${Math.min(480, ROW * (all.length + 1) + 4)}
      resetKey=${`${runIds.join(',')}|${onlyDiff}`}
      columns=${html`<tr>
        <th scope="col">Run</th>
        ${shown.map((c) => html`<th scope="col" data-key=${c.id} class=${differing.has(c.id) ? 'differs' : ''}
          title=${c.title}>${c.label} <span class="badge">${c.kind}</span> ${diffMark(c)}</th>`)}
      </tr>`}
      renderRow=${(run) => html`<tr key=${run.info.run_id} data-run-id=${run.info.run_id} style=${`height:${ROW}px`}>
        <th scope="row"><a href=${runHref(run)}>${runName(run)}</a></th>
        ${shown.map((c) => html`<td class=${differing.has(c.id) ? 'differs' : ''}>${show(c, run)}</td>`)}
      </tr>`} />`;

  const options = (list) => list.map((c) => html`<option value=${c.id}>${c.title}</option>`);

  return html`
    <section class="compare">
      <p class="crumbs"><a href="#/experiments">Experiments</a>
        ${experimentIds.length === 1 ? html` / <a href=${experimentHref(experimentIds[0])}>Experiment ${experimentIds[0]}</a>` : null}</p>
      <h1>Comparing ${compared.toLocaleString('en')} run${compared === 1 ? '' : 's'}</h1>
      <${ErrorMessage} error=${error} />
      ${runIds.length === 0 ? html`<p class="empty">No runs given: the link names them as <code>runs=["id1","id2"]</code>.</p>` : null}
      ${beyond ? html`<p class="error" role="status">This link names ${runIds.length.toLocaleString('en')} runs: only the first ${MAX_RUNS.toLocaleString('en')} are compared.</p>` : null}
      ${runs === null ? html`<p class="count" aria-live="polite">Loaded ${loaded} of ${compared} runs …</p>` : null}
      ${missing.length ? html`<p class="error" role="alert">${missing.length} run${missing.length === 1 ? '' : 's'} not found: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}</p>` : null}
      ${runs && runs.length > 0 ? html`
        <div class="row compare-bar">
          <label class="check"><input type="checkbox" checked=${onlyDiff} onChange=${(e) => setOnlyDiff(e.currentTarget.checked)} /> Only differences</label>
          <span class="count">${differing.size} of ${columns.length} keys differ</span>
          <span class="grow"></span>
          ${metricKeys.length ? html`
            <label>
              <span class="label">Metric to chart</span>
              <select value=${metricForCharts} onChange=${(e) => setChartKey(e.currentTarget.value)}>
                ${metricKeys.map((k) => html`<option value=${k}>${k}</option>`)}
              </select>
            </label>
            <a class="compare-charts" href=${chartsHref}>Charts</a>` : null}
        </div>
        ${all.length <= RUNS_AS_COLUMNS ? keyRows() : runRows()}

        <h2>Evaluations</h2>
        <${EvaluationsCompare} runs=${all} />

        <h2>Parallel coordinates</h2>
        <div class="row">
          <label class="grow">
            <span class="label">Axes (params and metrics; hold Ctrl or Shift to choose several)</span>
            <select multiple size="5" onChange=${(e) => setAxes([...e.currentTarget.selectedOptions].map((o) => o.value))}>
              ${columns.map((c) => html`<option value=${c.id} selected=${axisIds.includes(c.id)}>${c.title}</option>`)}
            </select>
          </label>
        </div>
        <${ParallelCoordinates} runs=${all} columns=${axisIds.map((id) => byId.get(id)).filter(Boolean)} />

        <h2>Scatter</h2>
        <div class="row">
          <label><span class="label">X axis</span>
            <select value=${xId} onChange=${(e) => setScatterX(e.currentTarget.value)}>${options(numericColumns)}</select>
          </label>
          <label><span class="label">Y axis</span>
            <select value=${yId} onChange=${(e) => setScatterY(e.currentTarget.value)}>${options(numericColumns)}</select>
          </label>
        </div>
        <${Scatter} runs=${all} x=${byId.get(xId)} y=${byId.get(yId)} />` : null}
    </section>`;
}

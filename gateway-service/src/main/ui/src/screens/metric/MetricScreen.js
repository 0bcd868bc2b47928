import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { MetricChart, X_AXES } from '../../components/MetricChart.js';
import { html } from '../../html.js';
import { experimentHref, runHref } from '../../links.js';
import { listParam, loadRuns, MAX_RUNS, useLinkState } from './runQuery.js';
import './metric.css';

/** How long the smoothing slider rests before the charts follow it (it is also followed on release). */
const SMOOTHING_PAUSE_MS = 150;

/**
 * Metric histories of one or many runs (MLflow's `#/metric/{key}?runs=[…]&experiments=[…]&
 * plot_metric_keys=[…]`, and `#/metric?runs=…&metric=…`): one chart per metric key, sharing the
 * x axis, smoothing, log scale and band choices made here; a chart is drawn when scrolled into view.
 * What the link names (runs, keys) is read anew whenever it changes, back and forward included.
 */
export function MetricScreen({ params, query }) {
  const link = `${params.metric || ''}?${query.toString()}`;
  const runIds = useMemo(() => listParam(query, 'runs'), [link]);
  const experimentIds = useMemo(() => listParam(query, 'experiments'), [link]);
  const linkKeys = useMemo(() => {
    const plotted = listParam(query, 'plot_metric_keys');
    const keys = plotted.length ? plotted : params.metric ? [params.metric] : [];
    return [...new Set([...keys, ...listParam(query, 'metric')])];
  }, [link]);
  // the runs read for this link (null while reading) and the charts added to its keys
  const [read, setRead] = useLinkState(link, { runs: null, missing: [], beyond: 0, error: null });
  const [added, setAdded] = useLinkState(link, []);
  const [adding, setAdding] = useLinkState(link, '');
  const keys = useMemo(() => [...linkKeys, ...added.filter((k) => !linkKeys.includes(k))], [linkKeys, added]);
  const { runs, missing, beyond, error } = read;
  const [xAxis, setXAxis] = useState('step');
  const [smoothingShown, setSmoothingShown] = useState(0);
  const [smoothing, setSmoothing] = useState(0);
  const [logY, setLogY] = useState(false);
  const [bands, setBands] = useState(true);
  const smoothingTimer = useRef(0);
  useEffect(() => () => clearTimeout(smoothingTimer.current), []);
  // the slider's number follows every move; the charts (a smoothing of every run) once it rests
  const slide = (value, done) => {
    setSmoothingShown(value);
    clearTimeout(smoothingTimer.current);
    if (done) setSmoothing(value);
    else smoothingTimer.current = setTimeout(() => setSmoothing(value), SMOOTHING_PAUSE_MS);
  };

  useEffect(() => {
    if (runIds.length === 0) {
      setRead({ runs: [], missing: [], beyond: 0, error: null });
      return undefined;
    }
    const reading = new AbortController();
    loadRuns(runIds, experimentIds, { signal: reading.signal })
      .then((answer) => setRead({ ...answer, error: null }))
      .catch((e) => e.name !== 'AbortError' && setRead({ runs: null, missing: [], beyond: 0, error: e }));
    return () => reading.abort();
  }, [runIds, experimentIds]);

  const chartRuns = useMemo(() => (runs || []).map((r) => ({
    run_id: r.info.run_id, run_name: r.info.run_name, experiment_id: r.info.experiment_id,
  })), [runs]);
  // the metrics these runs logged (their latest values say which), to add a chart of another
  const otherKeys = useMemo(() => {
    const all = new Set();
    (runs || []).forEach((r) => (r.data?.metrics || []).forEach((m) => all.add(m.key)));
    return [...all].filter((k) => !keys.includes(k)).sort();
  }, [runs, keys]);
  const experiments = [...new Set((runs || []).map((r) => r.info.experiment_id))];

  return html`
    <section class="metric-screen">
      <p class="crumbs">
        <a href="#/experiments">Experiments</a>
        ${experiments.length === 1 ? html` / <a href=${experimentHref(experiments[0])}>Experiment ${experiments[0]}</a>` : null}
        ${chartRuns.length === 1 ? html` / <a href=${runHref(chartRuns[0].experiment_id, chartRuns[0].run_id)}>${chartRuns[0].run_name || chartRuns[0].run_id}</a>` : null}
      </p>
      <h1>${keys.length === 1 ? keys[0] : 'Metrics'}</h1>
      <${ErrorMessage} error=${error} />
      ${runIds.length === 0 ? html`<p class="empty">No runs given: the link names them as <code>runs=["id1","id2"]</code>.</p>` : null}
      ${beyond ? html`<p class="error" role="status">This link names ${(runIds.length).toLocaleString('en')} runs: only the first ${MAX_RUNS.toLocaleString('en')} are charted.</p>` : null}
      ${missing.length ? html`<p class="error" role="alert">${missing.length} run${missing.length === 1 ? '' : 's'} not found: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}</p>` : null}
      <form class="row metric-controls" onSubmit=${(e) => e.preventDefault()} aria-label="Chart options">
        <label>
          <span class="label">X axis</span>
          <select value=${xAxis} onChange=${(e) => setXAxis(e.currentTarget.value)}>
            ${X_AXES.map(([value, text]) => html`<option value=${value}>${text}</option>`)}
          </select>
        </label>
        <label class="metric-smoothing">
          <span class="label">Smoothing</span>
          <input type="range" id="metric-smoothing" min="0" max="0.99" step="0.01" value=${smoothingShown}
            onInput=${(e) => slide(Number(e.currentTarget.value), false)}
            onChange=${(e) => slide(Number(e.currentTarget.value), true)} />
        </label>
        <output for="metric-smoothing" class="metric-smoothing-value">${smoothingShown.toFixed(2)}</output>
        <label class="check"><input type="checkbox" checked=${logY} onChange=${(e) => setLogY(e.currentTarget.checked)} /> Log scale</label>
        <label class="check"><input type="checkbox" checked=${bands} onChange=${(e) => setBands(e.currentTarget.checked)} /> Min/max band when smoothed</label>
        ${otherKeys.length ? html`
          <label>
            <span class="label">Add a chart</span>
            <select value=${adding} onChange=${(e) => setAdding(e.currentTarget.value)}>
              <option value="">Metric…</option>
              ${otherKeys.map((k) => html`<option value=${k}>${k}</option>`)}
            </select>
          </label>
          <button type="button" disabled=${!adding} onClick=${() => { setAdded([...added, adding]); setAdding(''); }}>Add</button>` : null}
      </form>
      ${runs === null && !error ? html`<p class="count" aria-live="polite">Loading ${Math.min(runIds.length, MAX_RUNS)} run${runIds.length === 1 ? '' : 's'} …</p>` : null}
      ${runs && keys.length === 0 ? html`<p class="empty">No metric chosen: add a chart above.</p>` : null}
      ${runs && runs.length > 0 ? keys.map((key) => html`
        <${MetricChart} key=${key} runs=${chartRuns} metricKey=${key} xAxis=${xAxis}
          smoothing=${smoothing} logY=${logY} bands=${bands} />`) : null}
    </section>`;
}

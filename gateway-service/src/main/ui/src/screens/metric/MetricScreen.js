import { useEffect, useMemo, useState } from 'preact/hooks';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { MetricChart, X_AXES } from '../../components/MetricChart.js';
import { html } from '../../html.js';
import { listParam, loadRuns } from './runQuery.js';
import './metric.css';

/**
 * Metric histories of one or many runs (MLflow's `#/metric/{key}?runs=[…]&experiments=[…]&
 * plot_metric_keys=[…]`, and `#/metric?runs=…&metric=…`): one chart per metric key, sharing the
 * x axis, smoothing, log scale and band choices made here; a chart is drawn when scrolled into view.
 */
export function MetricScreen({ params, query }) {
  const runIds = useMemo(() => listParam(query, 'runs'), [query.toString()]);
  const experimentIds = useMemo(() => listParam(query, 'experiments'), [query.toString()]);
  const initialKeys = useMemo(() => {
    const plotted = listParam(query, 'plot_metric_keys');
    const keys = plotted.length ? plotted : params.metric ? [params.metric] : [];
    return [...new Set([...keys, ...listParam(query, 'metric')])];
  }, [query.toString(), params.metric]);
  const [keys, setKeys] = useState(initialKeys);
  const [runs, setRuns] = useState(null);
  const [missing, setMissing] = useState([]);
  const [error, setError] = useState(null);
  const [xAxis, setXAxis] = useState('step');
  const [smoothing, setSmoothing] = useState(0);
  const [logY, setLogY] = useState(false);
  const [bands, setBands] = useState(true);
  const [adding, setAdding] = useState('');

  useEffect(() => {
    let live = true;
    if (runIds.length === 0) {
      setRuns([]);
      return undefined;
    }
    loadRuns(runIds, experimentIds)
      .then((answer) => {
        if (!live) return;
        setRuns(answer.runs);
        setMissing(answer.missing);
      })
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
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
        ${experiments.length === 1 ? html` / <a href=${`#/experiments/${experiments[0]}`}>Experiment ${experiments[0]}</a>` : null}
        ${chartRuns.length === 1 ? html` / <a href=${`#/experiments/${chartRuns[0].experiment_id}/runs/${chartRuns[0].run_id}`}>${chartRuns[0].run_name || chartRuns[0].run_id}</a>` : null}
      </p>
      <h1>${keys.length === 1 ? keys[0] : 'Metrics'}</h1>
      <${ErrorMessage} error=${error} />
      ${runIds.length === 0 ? html`<p class="empty">No runs given: the link names them as <code>runs=["id1","id2"]</code>.</p>` : null}
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
          <input type="range" id="metric-smoothing" min="0" max="0.99" step="0.01" value=${smoothing}
            onInput=${(e) => setSmoothing(Number(e.currentTarget.value))} />
        </label>
        <output for="metric-smoothing" class="metric-smoothing-value">${smoothing.toFixed(2)}</output>
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
          <button type="button" disabled=${!adding} onClick=${() => { setKeys([...keys, adding]); setAdding(''); }}>Add</button>` : null}
      </form>
      ${runs === null && !error ? html`<p class="count" aria-live="polite">Loading ${runIds.length} run${runIds.length === 1 ? '' : 's'} …</p>` : null}
      ${runs && keys.length === 0 ? html`<p class="empty">No metric chosen: add a chart above.</p>` : null}
      ${runs && runs.length > 0 ? keys.map((key) => html`
        <${MetricChart} key=${key} runs=${chartRuns} metricKey=${key} xAxis=${xAxis}
          smoothing=${smoothing} logY=${logY} bands=${bands} />`) : null}
    </section>`;
}

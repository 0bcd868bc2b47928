import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { historyInterval } from '../api.js';
import { html } from '../html.js';
import { useSeen, useTheme } from '../hooks.js';
import { runHref } from '../links.js';
import { ErrorMessage } from './ErrorMessage.js';
import './MetricChart.css';

/** get-history-bulk-interval takes at most 100 run ids and answers at most 2,500 steps per run. */
const RUNS_PER_CALL = 100;
const MAX_STEPS = 2500;
/**
 * Points one chart asks for in all (its runs share them): enough for a line per pixel of a wide
 * chart when few runs are shown, and a bounded canvas and answer size (the tracking service refuses
 * answers past its memory share) when a hundred runs or more are. A zoom asks again, for the window.
 */
const POINT_BUDGET = 20000;
const MIN_STEPS = 20;
const HEIGHT = 300;
/**
 * At most this many x positions on one chart: about one per pixel of a wide chart. uPlot's aligned
 * data gives every run a value (or a gap) at every x, so the runs' own x values are used when all of
 * them together are this few, else they are rounded onto this many evenly spaced ones (a chart of a
 * thousand runs holds runs × 2,000 values, not runs × the union of their timestamps).
 */
const GRID = 2000;

/** Colours told apart on both themes' backgrounds (Tableau 10). */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7',
  '#9c755f', '#bab0ac'];

export const X_AXES = [
  ['step', 'Step'],
  ['wall', 'Wall time'],
  ['relative', 'Relative time'],
];

/** The theme's colours, as the CSS variables of styles.css hold them now. */
export function themeColors() {
  const style = getComputedStyle(document.documentElement);
  const get = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  return {
    bg: get('--bg', '#fff'), fg: get('--fg', '#000'), muted: get('--muted', '#666'), line: get('--line', '#ddd'),
    accent: get('--accent', '#1f5fbf'),
  };
}

/** A metric value as a person reads it: up to 5 significant digits, exponents when very large or small. */
export function formatValue(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-4)) return v.toExponential(3);
  return String(Number(v.toPrecision(5)));
}

/**
 * MLflow's smoothing of a metric line (its charts' exponential moving average, as TensorBoard's):
 * each value is weighted `1 - weight`, the average before it `weight`, and the average debiased by
 * `1 - weight^n` so the line starts at the first value rather than at 0. Non-finite values stay
 * as they are and do not enter the average. Weight 0 is the raw line.
 */
export function ema(values, weight) {
  if (!(weight > 0) || values.length < 2) return values.slice();
  const out = new Array(values.length);
  let last = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n += 1;
    out[i] = last / (1 - weight ** n);
  }
  return out;
}

/**
 * The min/max band of a smoothed line: at each point, the lowest and highest raw value among the
 * points the moving average mostly stands for — the point and the ones before it within the
 * average's effective span, 1/(1 - weight) points (a weight of 0.9 spans 10). So the band is the
 * raw values' envelope the smoothing hid, drawn behind the smoothed line; without smoothing there
 * is no band (the line is the raw values).
 */
export function envelope(values, weight) {
  const span = Math.max(1, Math.round(1 / (1 - weight)));
  const lo = new Array(values.length);
  const hi = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let min = Infinity;
    let max = -Infinity;
    for (let j = Math.max(0, i - span + 1); j <= i; j++) {
      const v = values[j];
      if (Number.isFinite(v)) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    lo[i] = min === Infinity ? null : min;
    hi[i] = max === -Infinity ? null : max;
  }
  return { lo, hi };
}

function stepsPerRun(runCount) {
  return Math.max(MIN_STEPS, Math.min(MAX_STEPS, Math.floor(POINT_BUDGET / Math.max(1, runCount))));
}

/**
 * The sampled history of one metric of many runs, through get-history-bulk-interval only (never
 * the full histories): runs 100 to a call, `maxResults` steps each, in [start, end] when a window
 * is given (at most two such reads from the page at once, asked again while the service has too many
 * running: `historyInterval`). An answer refused as too large for the service's memory share is asked
 * again with half the steps. Resolves to a Map run id → points ordered by step, then timestamp;
 * rejects with an AbortError once `signal` aborts (the reads still queued are not sent).
 */
export async function sampledHistories(runIds, metricKey, { startStep, endStep, signal } = {}) {
  const byRun = new Map(runIds.map((id) => [id, []]));
  for (let i = 0; i < runIds.length; i += RUNS_PER_CALL) {
    const chunk = runIds.slice(i, i + RUNS_PER_CALL);
    let maxResults = stepsPerRun(runIds.length);
    for (;;) {
      try {
        const answer = await historyInterval({
          run_ids: chunk,
          metric_key: metricKey,
          start_step: startStep,
          end_step: endStep,
          max_results: maxResults,
        }, { signal });
        for (const m of answer.metrics || []) byRun.get(m.run_id)?.push(m);
        break;
      } catch (e) {
        if (e.code === 'INVALID_PARAMETER_VALUE' && /would answer more/.test(e.message) && maxResults > MIN_STEPS) {
          maxResults = Math.max(MIN_STEPS, Math.floor(maxResults / 2));
        } else {
          throw e;
        }
      }
    }
  }
  for (const points of byRun.values()) {
    points.sort((a, b) => Number(a.step) - Number(b.step) || Number(a.timestamp) - Number(b.timestamp));
  }
  return byRun;
}

/** The x of a point: its step, its wall time (seconds, as uPlot's time scale) or seconds since `origin`. */
function xOf(point, xAxis, origin) {
  if (xAxis === 'wall') return Number(point.timestamp) / 1000;
  if (xAxis === 'relative') return (Number(point.timestamp) - origin) / 1000;
  return Number(point.step);
}

/**
 * Each run's points as the x axis places them, ordered by x (wall and relative time need not rise
 * with the step: lines go left to right): {xs, raw, steps}. A run that logged an x twice is drawn at
 * its last value of it. Depends on the data and the axis only, not on smoothing or scale.
 */
function runPoints(runs, byRun, xAxis, origins) {
  return runs.map((run) => {
    const points = byRun.get(run.run_id) || [];
    const xs = [];
    const raw = [];
    const steps = [];
    for (const p of points) {
      const x = xOf(p, xAxis, origins.get(run.run_id) ?? 0);
      const v = Number(p.value);
      if (xs.length && xs[xs.length - 1] === x) {
        raw[raw.length - 1] = v;
        continue;
      }
      xs.push(x);
      raw.push(v);
      steps.push(Number(p.step));
    }
    if (xAxis !== 'step') {
      const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
      return { xs: order.map((i) => xs[i]), raw: order.map((i) => raw[i]), steps: order.map((i) => steps[i]) };
    }
    return { xs, raw, steps };
  });
}

/** Each run's line over its own points: smoothed when asked, with the raw values' envelope. */
function smoothRuns(perRun, smoothing, bands) {
  return perRun.map((r) => ({
    values: ema(r.raw, smoothing),
    band: smoothing > 0 && bands ? envelope(r.raw, smoothing) : null,
  }));
}

/**
 * What the chart draws: one x array shared by all runs (uPlot's aligned data, a run's gaps spanned)
 * and each run's y values and band on it. The x array is the union of the runs' x values when it
 * holds at most GRID of them (the step axis, usually), else GRID evenly spaced values from the first
 * x to the last, each point going to the nearest one (the time axes, where runs share no
 * timestamps). Where several of a run's points meet at one x the last of them (in x order) is drawn
 * — a point of the already smoothed line, so smoothing still averages every point held — and its
 * band spans all of theirs. Each line also keeps its own points (`xs`, `values`) for the legend's
 * value at the cursor and `steps` for a zoom's step window.
 */
function align(perRun, smoothed, logY) {
  const all = new Set();
  let min = Infinity;
  let max = -Infinity;
  for (const r of perRun) {
    if (!r.xs.length) continue;
    min = Math.min(min, r.xs[0]);
    max = Math.max(max, r.xs[r.xs.length - 1]);
    if (all.size <= GRID) r.xs.forEach((x) => all.add(x));
  }
  let x;
  let place;
  if (all.size <= GRID) {
    x = Float64Array.from(all).sort();
    const index = new Map();
    x.forEach((v, i) => index.set(v, i));
    place = (v) => index.get(v);
  } else {
    const width = (max - min) / (GRID - 1);
    x = new Float64Array(GRID);
    for (let i = 0; i < GRID; i++) x[i] = min + i * width;
    x[GRID - 1] = max;
    place = (v) => Math.min(GRID - 1, Math.round((v - min) / width));
  }
  let hidden = 0;
  const shownOnLog = (v) => (logY && !(v > 0) ? null : v);
  const lines = perRun.map((r, k) => {
    const { values, band } = smoothed[k];
    const y = new Array(x.length).fill(null);
    const lo = band ? new Array(x.length).fill(null) : null;
    const hi = band ? new Array(x.length).fill(null) : null;
    const drawn = new Array(values.length);
    for (let i = 0; i < r.xs.length; i++) {
      const at = place(r.xs[i]);
      let v = values[i];
      if (logY && !(v > 0)) {
        hidden += 1;
        v = null;
      }
      drawn[i] = Number.isFinite(v) ? v : null;
      y[at] = drawn[i];
      if (band) {
        const l = shownOnLog(band.lo[i]);
        const h = shownOnLog(band.hi[i]);
        if (l !== null) lo[at] = lo[at] === null ? l : Math.min(lo[at], l);
        if (h !== null) hi[at] = hi[at] === null ? h : Math.max(hi[at], h);
      }
    }
    let last = null;
    for (let i = values.length - 1; i >= 0; i--) {
      if (Number.isFinite(values[i])) {
        last = values[i];
        break;
      }
    }
    return { y, lo, hi, last, count: r.xs.length, steps: r.steps, xs: r.xs, values: drawn };
  });
  return { x, lines, hidden, points: lines.reduce((n, l) => n + l.count, 0) };
}

/**
 * A line's value at x (a cursor's): the one drawn at the aligned index when it has one, else that
 * of its last point at or before x; none outside the line's own range.
 */
function valueAt(m, line, idx) {
  if (line.y[idx] !== null) return line.y[idx];
  const xv = m.x[idx];
  const { xs } = line;
  if (!xs.length || xv < xs[0] || xv > xs[xs.length - 1]) return null;
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (xs[mid] <= xv) lo = mid;
    else hi = mid - 1;
  }
  return line.values[lo];
}

/**
 * Writes the legend's values — each run's value at the cursor's index, or its last value — straight
 * into the value cells (`list` is the legend's <ul>): a mouse move changes these texts only, not the
 * legend's items, and a thousand runs' legend follows the cursor at the frame rate.
 */
function writeLegend(list, m, idx) {
  if (!list || !m) return;
  const atCursor = idx !== null && idx !== undefined && idx < m.x.length;
  const cells = list.querySelectorAll('.metric-legend-value');
  cells.forEach((cell, r) => {
    const line = m.lines[r];
    if (!line) return;
    const value = atCursor ? valueAt(m, line, idx) : line.last;
    const text = line.count === 0 ? 'no values' : formatValue(value);
    if (cell.textContent !== text) cell.textContent = text;
    cell.dataset.value = value ?? '';
    cell.title = atCursor ? 'Value at the cursor' : 'Last value';
  });
}

/** The step window [start, end] covering the x range [x0, x1]: one held point more on each side. */
function stepWindow(m, x0, x1, xAxis) {
  if (xAxis === 'step') return { startStep: Math.max(0, Math.floor(x0)), endStep: Math.max(0, Math.ceil(x1)) };
  let start = Infinity;
  let end = -Infinity;
  for (const line of m.lines) {
    for (let i = 0; i < line.xs.length; i++) {
      if (line.xs[i] >= x0 && line.xs[i] <= x1) {
        const before = line.steps[Math.max(0, i - 1)];
        const after = line.steps[Math.min(line.steps.length - 1, i + 1)];
        start = Math.min(start, before, line.steps[i]);
        end = Math.max(end, after, line.steps[i]);
      }
    }
  }
  return start === Infinity ? null : { startStep: Math.max(0, start), endStep: Math.max(0, end) };
}

function xLabel(xAxis) {
  return xAxis === 'wall' ? 'Wall time' : xAxis === 'relative' ? 'Relative time (s)' : 'Step';
}

function xRangeText(x0, x1, xAxis) {
  if (xAxis === 'wall') {
    return `${new Date(x0 * 1000).toLocaleString()} – ${new Date(x1 * 1000).toLocaleString()}`;
  }
  if (xAxis === 'relative') return `${formatValue(x0)} s – ${formatValue(x1)} s`;
  return `steps ${Math.round(x0)}–${Math.round(x1)}`;
}

/** Draws each run's min/max band behind the lines (uPlot's drawAxes hook runs before the series). */
function drawBands(u, m) {
  if (!m || !m.lines.some((l) => l.lo)) return;
  const { ctx } = u;
  ctx.save();
  ctx.beginPath();
  ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
  ctx.clip();
  ctx.globalAlpha = 0.18;
  m.lines.forEach((line, r) => {
    if (!line.lo || !u.series[r + 1]?.show) return;
    ctx.fillStyle = PALETTE[r % PALETTE.length];
    const [i0, i1] = [0, m.x.length - 1];
    let upper = [];
    let lower = [];
    const flush = () => {
      if (upper.length > 1) {
        ctx.beginPath();
        ctx.moveTo(upper[0][0], upper[0][1]);
        for (const [px, py] of upper) ctx.lineTo(px, py);
        for (let k = lower.length - 1; k >= 0; k--) ctx.lineTo(lower[k][0], lower[k][1]);
        ctx.closePath();
        ctx.fill();
      }
      upper = [];
      lower = [];
    };
    for (let i = i0; i <= i1; i++) {
      if (line.hi[i] === null || line.lo[i] === null) continue;
      const px = u.valToPos(m.x[i], 'x', true);
      upper.push([px, u.valToPos(line.hi[i], 'y', true)]);
      lower.push([px, u.valToPos(line.lo[i], 'y', true)]);
    }
    flush();
  });
  ctx.restore();
}

/**
 * A line chart of one metric of one or many runs (uPlot, on a canvas), fetching its own data:
 * MLflow's sampled histories (get-history-bulk-interval), never full histories, so a hundred runs of
 * a million points draw as fast as one. Dragging across the chart zooms into that range and asks for
 * finer samples of the steps in it; "Reset zoom" goes back. `runs` are `{run_id, run_name,
 * experiment_id}` (a name links to its run page); `xAxis` is step, wall or relative (seconds since
 * the run's first point); `smoothing` MLflow's moving-average weight (0–0.99) with the raw values'
 * min/max band behind the smoothed line when `bands`; `logY` a log scale (values ≤ 0 left out). The
 * chart mounts when scrolled into view, follows the theme, and is disposed on unmount; its reads not
 * yet answered are then withdrawn (as those of a zoom another zoom or a reset replaces).
 */
export function MetricChart({ runs, metricKey, xAxis = 'step', smoothing = 0, logY = false, bands = true,
  height = HEIGHT, title }) {
  const box = useRef(null);
  const plotBox = useRef(null);
  const legend = useRef(null);
  const plot = useRef(null);
  const current = useRef(null);
  const seen = useSeen(box);
  const theme = useTheme();
  // the runs by content, not identity: an embedding screen may pass a new array on every render
  const runsKey = runs.map((r) => `${r.run_id}\u0000${r.run_name || ''}\u0000${r.experiment_id || ''}`).join('\u0001');
  const runIds = useMemo(() => runs.map((r) => r.run_id), [runsKey]);
  // each answer is kept with what it answers, so one for other runs or another metric is never shown
  const [loaded, setLoaded] = useState(null);
  const [error, setError] = useState(null);
  const [zoom, setZoom] = useState(null);
  const [windowData, setWindowData] = useState(null);
  const [width, setWidth] = useState(0);
  const hoverIdx = useRef(null);
  const base = loaded && loaded.runIds === runIds && loaded.metricKey === metricKey ? loaded.byRun : null;
  const refining = !!(zoom && zoom.steps && windowData?.zoom !== zoom);

  useEffect(() => {
    if (!seen || runIds.length === 0) return undefined;
    const reading = new AbortController();
    setError(null);
    setZoom(null);
    setWindowData(null);
    sampledHistories(runIds, metricKey, { signal: reading.signal })
      .then((byRun) => setLoaded({ runIds, metricKey, byRun }))
      .catch((e) => e.name !== 'AbortError' && setError(e));
    // other runs, another metric or the chart gone: the reads still queued for these are not wanted
    return () => reading.abort();
  }, [seen, runIds, metricKey]);

  // a zoom asks for the steps of its window, sampled anew: finer than the whole history's sample;
  // a reset or another zoom takes the reads for this one out of the queue, and drops its answer
  useEffect(() => {
    if (!zoom || !zoom.steps) return undefined;
    const reading = new AbortController();
    sampledHistories(runIds, metricKey, { ...zoom.steps, signal: reading.signal })
      .then((byRun) => setWindowData({ zoom, byRun }))
      .catch((e) => {
        if (e.name === 'AbortError') return;
        setError(e);
        setWindowData({ zoom, byRun: null });
      });
    return () => reading.abort();
  }, [zoom]);

  // relative time counts from each run's first point of its whole (sampled) history, zoomed or not
  const origins = useMemo(() => {
    const out = new Map();
    if (base) {
      for (const [id, points] of base) {
        let first = Infinity;
        for (const p of points) first = Math.min(first, Number(p.timestamp));
        if (points.length) out.set(id, first);
      }
    }
    return out;
  }, [base]);

  // what is drawn, in three steps so that smoothing or the scale redo only their own part
  const data = (windowData?.zoom === zoom ? windowData.byRun : null) || base;
  const perRun = useMemo(() => (data ? runPoints(runs, data, xAxis, origins) : null), [data, runsKey, xAxis, origins]);
  const smoothed = useMemo(() => (perRun ? smoothRuns(perRun, smoothing, bands) : null), [perRun, smoothing, bands]);
  const shown = useMemo(() => (smoothed ? align(perRun, smoothed, logY) : null), [smoothed, logY]);
  current.current = shown;
  const zoomNow = useRef(null);
  zoomNow.current = zoom;

  useEffect(() => {
    const el = plotBox.current;
    if (!el) return undefined;
    const observer = new ResizeObserver(() => setWidth(Math.floor(el.clientWidth)));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // the uPlot instance: built anew when its axes or theme change, fed new data otherwise
  const structure = `${theme}|${xAxis}|${logY}|${runIds.join(',')}|${height}`;
  useEffect(() => {
    if (!shown || !plotBox.current || width === 0) return undefined;
    const colors = themeColors();
    const axis = { stroke: colors.muted, grid: { stroke: colors.line, width: 1 }, ticks: { stroke: colors.line, width: 1 } };
    // the legend follows the cursor once per frame at most, however often the mouse moves
    let frame = 0;
    const u = new uPlot({
      width,
      height,
      legend: { show: false },
      scales: {
        x: { time: xAxis === 'wall' },
        y: logY ? { distr: 3 } : {},
      },
      axes: [
        { ...axis, label: xLabel(xAxis), labelSize: 20 },
        { ...axis, label: metricKey, labelSize: 20, size: 64 },
      ],
      series: [
        {},
        ...runs.map((run, r) => ({
          label: run.run_name || run.run_id,
          stroke: PALETTE[r % PALETTE.length],
          width: 1.5,
          spanGaps: true,
          points: { show: false },
        })),
      ],
      cursor: {
        drag: { x: true, y: false, setScale: false },
        points: { show: runs.length <= 20 },
      },
      hooks: {
        drawAxes: [(self) => drawBands(self, current.current)],
        // what the chart shows, for anyone reading the page's markup (tests, extensions)
        setScale: [(self) => {
          const el = self.root.parentElement;
          if (!el) return;
          el.dataset.xMin = self.scales.x.min;
          el.dataset.xMax = self.scales.x.max;
          el.dataset.yScale = self.scales.y.distr === 3 ? 'log' : 'linear';
        }],
        setCursor: [(self) => {
          const idx = self.cursor.idx ?? null;
          if (idx === hoverIdx.current) return;
          hoverIdx.current = idx;
          if (!frame) {
            frame = requestAnimationFrame(() => {
              frame = 0;
              writeLegend(legend.current, current.current, hoverIdx.current);
            });
          }
        }],
        setSelect: [(self) => {
          const { left, width: w } = self.select;
          self.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
          if (w < 4) return;
          const x0 = self.posToVal(left, 'x');
          const x1 = self.posToVal(left + w, 'x');
          const steps = stepWindow(current.current, x0, x1, xAxis);
          setZoom({ x0, x1, steps });
        }],
      },
    }, [shown.x, ...shown.lines.map((l) => l.y)], plotBox.current);
    plot.current = u;
    plotBox.current.dataset.theme = theme;
    if (zoomNow.current) u.setScale('x', { min: zoomNow.current.x0, max: zoomNow.current.x1 });
    return () => {
      cancelAnimationFrame(frame);
      u.destroy();
      plot.current = null;
    };
  }, [structure, width > 0, !!shown]);

  useEffect(() => {
    const u = plot.current;
    if (!u || !shown) return;
    u.setData([shown.x, ...shown.lines.map((l) => l.y)], !zoom);
    if (zoom) u.setScale('x', { min: zoom.x0, max: zoom.x1 });
  }, [shown, zoom]);

  // new values: the legend shows the last ones until the cursor moves again
  useLayoutEffect(() => {
    hoverIdx.current = null;
    writeLegend(legend.current, shown, null);
  }, [shown]);

  useEffect(() => {
    if (plot.current && width > 0) plot.current.setSize({ width, height });
  }, [width]);

  // a new axis makes a zoom in the old one meaningless
  useEffect(() => setZoom(null), [xAxis]);

  const name = title || metricKey;
  const summary = shown
    ? `${name} by ${xLabel(xAxis).toLowerCase()}: ${runs.length} run${runs.length === 1 ? '' : 's'}, ${shown.points} point${shown.points === 1 ? '' : 's'} sampled${zoom ? `, zoomed to ${xRangeText(zoom.x0, zoom.x1, xAxis)}` : ''}${smoothing > 0 ? `, smoothed (${smoothing})${bands ? ' with the raw values\' min/max band' : ''}` : ''}${logY ? ', log scale' : ''}${shown.hidden ? `; ${shown.hidden} value${shown.hidden === 1 ? '' : 's'} ≤ 0 not on the log scale` : ''}.`
    : '';

  return html`
    <figure class="metric-chart" ref=${box} data-metric-key=${metricKey}
      data-points=${shown ? shown.points : ''} aria-label=${`Chart of ${name}`}>
      <div class="metric-chart-head">
        <h2 class="metric-chart-title">${name}</h2>
        <span class="metric-chart-status" aria-live="polite">
          ${!seen ? 'Shown when scrolled into view' : !base && !error ? 'Loading…' : refining ? 'Loading finer samples…' : ''}
        </span>
        <button type="button" class="quiet" disabled=${!zoom} onClick=${() => setZoom(null)}>Reset zoom</button>
      </div>
      <${ErrorMessage} error=${error} />
      <div class="metric-chart-plot" ref=${plotBox} style=${`min-height:${height}px`}
        role="img" aria-label=${summary || `Chart of ${name}`}></div>
      ${shown && shown.points === 0 ? html`<p class="empty">No values of ${metricKey} logged by these runs.</p>` : null}
      ${shown ? html`<figcaption class="metric-chart-caption">${summary} Drag across the chart to zoom.</figcaption>` : null}
      ${shown ? html`<ul class="metric-legend" ref=${legend} tabindex=${runs.length > 12 ? '0' : undefined}
        aria-label=${`Runs in the chart of ${name}`}>
        ${runs.map((run, r) => html`<li key=${run.run_id} data-run-id=${run.run_id}>
          <span class="swatch" aria-hidden="true" style=${`background:${PALETTE[r % PALETTE.length]}`}></span>
          ${run.experiment_id
            ? html`<a href=${runHref(run.experiment_id, run.run_id)}>${run.run_name || run.run_id}</a>`
            : html`<span>${run.run_name || run.run_id}</span>`}
          <span class="metric-legend-value"></span>
        </li>`)}
      </ul>` : null}
    </figure>`;
}

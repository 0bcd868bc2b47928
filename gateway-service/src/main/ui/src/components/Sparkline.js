import { useEffect, useRef, useState } from 'preact/hooks';
import { historyInterval } from '../api.js';
import { html } from '../html.js';
import { useSeen } from '../hooks.js';

const WIDTH = 120;
const HEIGHT = 24;

/**
 * A metric's history as a small line, sampled by the API (get-history-bulk-interval, 60 points),
 * read only once the line is scrolled into view.
 */
export function Sparkline({ runId, metricKey }) {
  const box = useRef(null);
  const visible = useSeen(box, '0px');
  const [points, setPoints] = useState(null);

  useEffect(() => {
    if (!visible) return undefined;
    const stop = new AbortController();
    historyInterval({ run_ids: [runId], metric_key: metricKey, max_results: 60 }, { signal: stop.signal })
      .then((answer) => setPoints((answer.metrics || []).map((m) => [Number(m.step), Number(m.value)])))
      .catch((e) => e.name !== 'AbortError' && setPoints([]));
    // a line that goes away (the page left) before its history is read gives up its place in the queue
    return () => stop.abort();
  }, [visible, runId, metricKey]);

  const finite = (points || []).filter(([, v]) => Number.isFinite(v));
  let line = null;
  if (finite.length > 1) {
    const xs = finite.map(([s]) => s);
    const ys = finite.map(([, v]) => v);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const x = (s) => (x1 === x0 ? WIDTH / 2 : ((s - x0) / (x1 - x0)) * (WIDTH - 2) + 1);
    const y = (v) => (y1 === y0 ? HEIGHT / 2 : HEIGHT - 1 - ((v - y0) / (y1 - y0)) * (HEIGHT - 2));
    line = finite.map(([s, v]) => `${x(s).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  }
  return html`<span ref=${box} class="sparkline" data-points=${points ? points.length : undefined}>
    ${line
      ? html`<svg width=${WIDTH} height=${HEIGHT} role="img" aria-label=${`${metricKey}: ${finite.length} points`}>
          <polyline points=${line} fill="none" stroke="currentColor" stroke-width="1.5" />
        </svg>`
      : null}
  </span>`;
}

import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { PALETTE, themeColors } from '../../components/MetricChart.js';
import { html } from '../../html.js';
import { useTheme } from '../../hooks.js';
import { count, usd } from './parts.js';

const HEIGHT = 220;

export const MEASURES = {
  requests: { label: 'Calls', format: count },
  tokens: { label: 'Tokens', format: count },
  cost_usd: { label: 'Cost (USD)', format: usd },
};

const dayText = (seconds) => new Date(seconds * 1000).toISOString().slice(0, 10);

/**
 * One bar per UTC day of a measure of the usage (`days`: [{day (epoch seconds), requests, tokens, cost_usd}], every
 * day of the period, empty ones at 0), drawn with uPlot; its figures also as text for those who cannot see it.
 */
export function UsageChart({ days, measure, name }) {
  const box = useRef(null);
  const theme = useTheme();
  const [width, setWidth] = useState(0);
  const { label, format } = MEASURES[measure];

  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const observer = new ResizeObserver(() => setWidth(Math.floor(el.clientWidth)));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    if (!box.current || width === 0) return undefined;
    const colors = themeColors();
    const axis = { stroke: colors.muted, grid: { stroke: colors.line, width: 1 }, ticks: { stroke: colors.line, width: 1 } };
    const u = new uPlot({
      width,
      height: HEIGHT,
      legend: { show: false },
      scales: {
        // half a day either side: the first and last bars whole
        x: { time: true, range: (self, min, max) => [min - 43200, max + 43200] },
        y: { range: (self, min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [
        { ...axis, values: (self, ticks) => ticks.map((t) => dayText(t).slice(5)) },
        {
          ...axis,
          label,
          labelSize: 20,
          size: 70,
          // calls and tokens are whole numbers: no ticks between them
          ...(measure === 'cost_usd' ? {} : { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7, 1e8, 1e9] }),
          values: (self, ticks) => ticks.map((t) => format(t)),
        },
      ],
      series: [
        {},
        {
          label,
          stroke: PALETTE[0],
          fill: `${PALETTE[0]}cc`,
          width: 0,
          paths: uPlot.paths.bars({ size: [0.7, 40] }),
          points: { show: false },
        },
      ],
      cursor: { drag: { x: false, y: false } },
      // which measure the canvas shows once drawn (for anyone reading the page's markup: tests, extensions)
      hooks: { draw: [() => { if (box.current) box.current.dataset.drawn = measure; }] },
    }, [days.map((d) => d.day), days.map((d) => d[measure])], box.current);
    return () => {
      u.destroy();
      if (box.current) delete box.current.dataset.drawn;
    };
  }, [width, theme, measure, days]);

  const total = days.reduce((sum, d) => sum + d[measure], 0);
  const busiest = days.reduce((best, d) => (d[measure] > (best?.[measure] ?? 0) ? d : best), null);
  const summary = `${label} per day of ${name} over ${days.length} days: ${format(total)} in all${
    busiest ? `, the most ${format(busiest[measure])} on ${dayText(busiest.day)}` : ''}.`;
  return html`<figure class="usage-chart" data-measure=${measure} data-total=${total}>
    <div class="usage-chart-plot" ref=${box} style=${`min-height:${HEIGHT}px`} role="img" aria-label=${summary}></div>
    <figcaption class="muted">${summary}</figcaption>
  </figure>`;
}

// The compare screen's canvas plots: parallel coordinates and a scatter of two values, drawn in the
// theme's colours (redrawn when it changes) at the device's pixel ratio.
import { useEffect, useRef, useState } from 'preact/hooks';
import { PALETTE, formatValue, themeColors } from '../../components/MetricChart.js';
import { useTheme } from '../../hooks.js';
import { html } from '../../html.js';

/** A canvas sized to its box's width and `height`, at the device's resolution; `draw(ctx, w, h)`. */
function useCanvas(height, draw, deps) {
  const canvas = useRef(null);
  const [width, setWidth] = useState(0);
  const theme = useTheme();
  useEffect(() => {
    const el = canvas.current?.parentElement;
    if (!el) return undefined;
    const observer = new ResizeObserver(() => setWidth(Math.floor(el.clientWidth)));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  useEffect(() => {
    const c = canvas.current;
    if (!c || width === 0) return;
    const ratio = window.devicePixelRatio || 1;
    c.width = width * ratio;
    c.height = height * ratio;
    c.style.width = `${width}px`;
    c.style.height = `${height}px`;
    const ctx = c.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = '12px system-ui, sans-serif';
    draw(ctx, width, height, themeColors());
  }, [width, height, theme, ...deps]);
  return canvas;
}

/** A number when the value is one (MLflow keeps params as strings), else null. */
export function numeric(v) {
  if (v === undefined || v === null || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

/** About `count` round values (1, 2 or 5 times a power of ten apart) within [min, max]. */
function niceTicks(min, max, count) {
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function clip(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * An axis of the parallel coordinates: numeric (min..max of the runs' values, every value a number)
 * or categorical (the distinct values, sorted, evenly spaced).
 */
function axisOf(column, runs) {
  const values = runs.map((r) => column.value(r)).filter((v) => v !== undefined && v !== null && v !== '');
  const numbers = values.map(numeric);
  if (values.length && numbers.every((n) => n !== null)) {
    let min = Math.min(...numbers);
    let max = Math.max(...numbers);
    if (min === max) {
      min -= 1;
      max += 1;
    }
    return { ...column, kind: 'numeric', min, max, pos: (v) => (numeric(v) - min) / (max - min) };
  }
  const categories = [...new Set(values.map(String))].sort();
  const at = new Map(categories.map((c, i) => [c, categories.length === 1 ? 0.5 : i / (categories.length - 1)]));
  return { ...column, kind: 'categorical', categories, pos: (v) => at.get(String(v)) };
}

/**
 * Parallel coordinates: one vertical axis per chosen column (a param or a metric), one line per run
 * through its values, coloured by the last axis (low to high as the palette's blue to orange). A run
 * without a value on some chosen axis is left out, and the caption counts it.
 */
export function ParallelCoordinates({ runs, columns, height = 320 }) {
  const axes = columns.map((c) => axisOf(c, runs));
  const complete = runs.filter((r) => axes.every((a) => {
    const v = a.value(r);
    return v !== undefined && v !== null && v !== '';
  }));
  const canvas = useCanvas(height, (ctx, w, h, colors) => {
    if (axes.length < 2) return;
    const top = 34;
    const bottom = h - 24;
    const left = 60;
    const right = w - 60;
    const xAt = (i) => left + (i * (right - left)) / (axes.length - 1);
    const yAt = (p) => bottom - p * (bottom - top);
    const last = axes[axes.length - 1];
    ctx.lineWidth = 1.2;
    ctx.globalAlpha = complete.length > 200 ? 0.35 : 0.8;
    complete.forEach((run, r) => {
      const p = last.pos(last.value(run));
      ctx.strokeStyle = last.kind === 'numeric' ? (p < 0.5 ? PALETTE[0] : p < 0.8 ? PALETTE[4] : PALETTE[1])
        : PALETTE[r % PALETTE.length];
      ctx.beginPath();
      axes.forEach((a, i) => {
        const y = yAt(a.pos(a.value(run)));
        if (i === 0) ctx.moveTo(xAt(i), y);
        else ctx.lineTo(xAt(i), y);
      });
      ctx.stroke();
    });
    ctx.globalAlpha = 1;
    axes.forEach((a, i) => {
      const x = xAt(i);
      ctx.strokeStyle = colors.muted;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
      ctx.stroke();
      ctx.fillStyle = colors.fg;
      ctx.textAlign = 'center';
      ctx.fillText(clip(a.label, 18), x, 14);
      ctx.fillStyle = colors.muted;
      if (a.kind === 'numeric') {
        ctx.fillText(formatValue(a.max), x, top - 6);
        ctx.fillText(formatValue(a.min), x, bottom + 16);
      } else {
        ctx.textAlign = i === axes.length - 1 ? 'right' : 'left';
        const step = Math.max(1, Math.ceil(a.categories.length / 12));
        a.categories.forEach((c, k) => {
          if (k % step === 0) ctx.fillText(clip(c, 14), x + (i === axes.length - 1 ? -4 : 4), yAt(a.pos(c)) + 4);
        });
      }
    });
  }, [runs, columns.map((c) => c.id).join('|')]);
  const without = runs.length - complete.length;
  const caption = axes.length < 2
    ? 'Choose at least two axes.'
    : `${complete.length} run${complete.length === 1 ? '' : 's'} plotted, ${without} without all ${axes.length} values.`;
  return html`<figure class="compare-plot" data-plotted=${axes.length < 2 ? 0 : complete.length}>
    <div class="compare-canvas"><canvas ref=${canvas} role="img"
      aria-label=${`Parallel coordinates of ${axes.map((a) => a.label).join(', ')}: ${caption}`}></canvas></div>
    <figcaption class="count">${caption}</figcaption>
  </figure>`;
}

/**
 * A scatter of two numeric values of the runs (a param or a metric on each axis). Hovering a point
 * names its run; a run without both values is left out, and the caption counts it (the count is
 * announced when it changes, the hovered run is not: it changes with every move of the mouse).
 */
export function Scatter({ runs, x, y, height = 320 }) {
  const points = [];
  if (x && y) {
    runs.forEach((run, i) => {
      const px = numeric(x.value(run));
      const py = numeric(y.value(run));
      if (px !== null && py !== null) points.push({ run, x: px, y: py, i });
    });
  }
  // the hovered run's id: points are made anew on every render, runs stay
  const [hoverId, setHoverId] = useState(null);
  const hover = hoverId === null ? null : points.find((p) => p.run.info.run_id === hoverId) || null;
  const frame = useRef(null);
  const box = { left: 64, right: 16, top: 12, bottom: 40 };
  const range = (vs) => {
    let min = Math.min(...vs);
    let max = Math.max(...vs);
    if (min === max) {
      min -= 1;
      max += 1;
    }
    const pad = (max - min) * 0.05;
    return [min - pad, max + pad];
  };
  const [x0, x1] = points.length ? range(points.map((p) => p.x)) : [0, 1];
  const [y0, y1] = points.length ? range(points.map((p) => p.y)) : [0, 1];
  const place = (p, w, h) => [
    box.left + ((p.x - x0) / (x1 - x0)) * (w - box.left - box.right),
    h - box.bottom - ((p.y - y0) / (y1 - y0)) * (h - box.top - box.bottom),
  ];
  const canvas = useCanvas(height, (ctx, w, h, colors) => {
    frame.current = { w, h };
    ctx.strokeStyle = colors.line;
    ctx.fillStyle = colors.muted;
    ctx.lineWidth = 1;
    ctx.strokeRect(box.left, box.top, w - box.left - box.right, h - box.top - box.bottom);
    if (!x || !y) return;
    ctx.textAlign = 'center';
    for (const vx of niceTicks(x0, x1, 5)) {
      const [px] = place({ x: vx, y: y0 }, w, h);
      ctx.fillText(formatValue(vx), px, h - box.bottom + 14);
    }
    ctx.textAlign = 'right';
    for (const vy of niceTicks(y0, y1, 5)) {
      const [, py] = place({ x: x0, y: vy }, w, h);
      ctx.fillText(formatValue(vy), box.left - 6, py + 4);
    }
    ctx.fillStyle = colors.fg;
    ctx.textAlign = 'center';
    ctx.fillText(clip(x.label, 60), box.left + (w - box.left - box.right) / 2, h - 6);
    ctx.save();
    ctx.translate(12, box.top + (h - box.top - box.bottom) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(clip(y.label, 40), 0, 0);
    ctx.restore();
    ctx.globalAlpha = points.length > 300 ? 0.6 : 0.9;
    for (const p of points) {
      const [px, py] = place(p, w, h);
      ctx.fillStyle = PALETTE[p.i % PALETTE.length];
      ctx.beginPath();
      ctx.arc(px, py, p === hover ? 6 : 4, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
  }, [runs, x?.id, y?.id, hoverId]);

  const onMove = (e) => {
    if (!frame.current || !points.length) return;
    const rect = e.currentTarget.getBoundingClientRect();
    const mx = e.clientX - rect.left;
    const my = e.clientY - rect.top;
    let best = null;
    let bestD = 100;
    for (const p of points) {
      const [px, py] = place(p, frame.current.w, frame.current.h);
      const d = (px - mx) ** 2 + (py - my) ** 2;
      if (d < bestD) {
        bestD = d;
        best = p;
      }
    }
    const id = best ? best.run.info.run_id : null;
    if (id !== hoverId) setHoverId(id);
  };
  const without = runs.length - points.length;
  const caption = x && y
    ? `${points.length} run${points.length === 1 ? '' : 's'} plotted, ${without} without both values.`
    : 'Choose two numeric values.';
  return html`<figure class="compare-plot" data-plotted=${points.length}>
    <div class="compare-canvas" onMouseMove=${onMove} onMouseLeave=${() => hoverId !== null && setHoverId(null)}>
      <canvas ref=${canvas} role="img"
        aria-label=${x && y ? `Scatter of ${y.label} against ${x.label}: ${caption}` : caption}></canvas>
    </div>
    <figcaption class="count"><span aria-live="polite">${caption}</span>
      ${hover ? html` <span class="compare-hover">${hover.run.info.run_name || hover.run.info.run_id}: ${x.label} ${formatValue(hover.x)}, ${y.label} ${formatValue(hover.y)}</span>` : null}
    </figcaption>
  </figure>`;
}

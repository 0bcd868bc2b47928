import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';

const OVERSCAN = 10;

/**
 * A table body of any length that renders only the rows in view (and a few either side): rows of a
 * fixed height in a scrolling box, spacer rows keeping the scroll height right. `onNearEnd` is
 * called when the view comes within a screen of the last row, to load the next page, and again
 * whenever `loaded` changes while it is there: a page may add no row in view (children of a
 * collapsed parent, runs shown already), and the view, still at the end, must ask for the next one.
 * `loaded` should change only when a page arrives, so that a page that failed is asked for again
 * only when the view next moves. A new `resetKey` scrolls back to the top. `rowCount` (optional) is the table's aria-rowcount — all its
 * rows, the header's included, or -1 while unknown — so that assistive technology counts the rows
 * not rendered; `renderRow` then gives each row its aria-rowindex. `tableStyle` sizes the table
 * (wider than the box: it scrolls sideways).
 */
export function VirtualRows({ rows, rowHeight, columns, renderRow, height, onNearEnd, loaded, label, resetKey, rowCount, tableStyle }) {
  const box = useRef(null);
  const [top, setTop] = useState(0);
  const [viewport, setViewport] = useState(height);

  // new results (resetKey changed) start at the top; the header, and its focus, stay
  useEffect(() => {
    if (box.current) box.current.scrollTop = 0;
    setTop(0);
  }, [resetKey]);

  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const measure = () => setViewport(el.clientHeight);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const first = Math.min(rows.length, Math.max(0, Math.floor(top / rowHeight) - OVERSCAN));
  const last = Math.min(rows.length, Math.ceil((top + viewport) / rowHeight) + OVERSCAN);

  useEffect(() => {
    if (onNearEnd && rows.length > 0 && (top + 2 * viewport) / rowHeight >= rows.length) onNearEnd();
  }, [top, viewport, rows.length, loaded]);

  return html`
    <div class="virtual" ref=${box} style=${`height:${height}px`} tabindex="0" role="region" aria-label=${label}
      onScroll=${(e) => setTop(e.currentTarget.scrollTop)}>
      <table class="grid" aria-rowcount=${rowCount} style=${tableStyle}>
        <thead>${columns}</thead>
        <tbody>
          ${first > 0 ? html`<tr aria-hidden="true" style=${`height:${first * rowHeight}px`}></tr>` : null}
          ${rows.slice(first, last).map((row, i) => renderRow(row, first + i))}
          ${last < rows.length
            ? html`<tr aria-hidden="true" style=${`height:${(rows.length - last) * rowHeight}px`}></tr>`
            : null}
        </tbody>
      </table>
    </div>`;
}

import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../../html.js';
import { KINDS, splitId } from './columns.js';

const SHOWN_PER_KIND = 200;

/**
 * The column chooser: a disclosure under a "Columns" button holding a filter box, a checkbox per
 * metric, param and tag key of the runs loaded so far, and a "pin" checkbox per shown column.
 * Escape (or a click elsewhere) closes it and gives the focus back to its button. With thousands of
 * keys only the first matches of each kind are listed: the filter box finds the others.
 */
export function ColumnChooser({ keys, chosen, setChosen, fixed, pinned, setPinned }) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const button = useRef(null);
  const panel = useRef(null);
  const filterBox = useRef(null);

  useEffect(() => {
    if (!open) return undefined;
    filterBox.current?.focus();
    const outside = (e) => {
      if (!panel.current?.contains(e.target) && !button.current?.contains(e.target)) {
        setOpen(false);
        setText('');
      }
    };
    document.addEventListener('mousedown', outside);
    return () => document.removeEventListener('mousedown', outside);
  }, [open]);

  const close = () => {
    setOpen(false);
    setText('');
    button.current?.focus();
  };

  const toggle = (id, on) => setChosen(on ? chosen.concat(id) : chosen.filter((c) => c !== id));
  const pin = (id, on) => setPinned(on ? pinned.concat(id) : pinned.filter((c) => c !== id));
  const needle = text.trim().toLowerCase();
  const matches = (s) => !needle || s.toLowerCase().includes(needle);

  const pinBox = (id, title) => html`<label class="pin">
    <input type="checkbox" checked=${pinned.includes(id)} aria-label=${`Pin ${title} to the left`}
      onChange=${(e) => pin(id, e.currentTarget.checked)} />
    <span aria-hidden="true">pin</span>
  </label>`;

  const group = (kind) => {
    const all = [];
    for (const id of keys) if (id.startsWith(`${kind.prefix}.`)) all.push(id);
    for (const id of chosen) if (id.startsWith(`${kind.prefix}.`) && !keys.has(id)) all.push(id);
    const found = all.filter((id) => matches(splitId(id).key)).sort();
    if (found.length === 0) return null;
    return html`<fieldset>
      <legend>${kind.title}</legend>
      ${found.slice(0, SHOWN_PER_KIND).map((id) => {
        const { key } = splitId(id);
        const on = chosen.includes(id);
        return html`<div class="choice" key=${id}>
          <label class="key" title=${key}>
            <input type="checkbox" checked=${on} onChange=${(e) => toggle(id, e.currentTarget.checked)} />
            <span class="visually-hidden">${kind.one} </span>${key}
          </label>
          ${on ? pinBox(id, `${kind.one} ${key}`) : null}
        </div>`;
      })}
      ${found.length > SHOWN_PER_KIND
        ? html`<p class="hint">${found.length - SHOWN_PER_KIND} more: narrow the filter to see them.</p>`
        : null}
    </fieldset>`;
  };

  const fixedShown = fixed.filter((c) => matches(c.title));
  const groups = KINDS.map(group).filter(Boolean);

  return html`<div class="chooser" onKeyDown=${(e) => { if (e.key === 'Escape' && open) { e.stopPropagation(); close(); } }}>
    <button type="button" class="quiet" ref=${button} aria-expanded=${open ? 'true' : 'false'}
      aria-controls="run-columns" onClick=${() => (open ? close() : setOpen(true))}>
      Columns${chosen.length ? ` (${chosen.length} chosen)` : ''}
    </button>
    ${open ? html`<div class="chooser-panel" id="run-columns" ref=${panel} role="group" aria-label="Choose columns">
      <label>
        <span class="label">Filter columns</span>
        <input type="search" ref=${filterBox} value=${text} onInput=${(e) => setText(e.currentTarget.value)}
          placeholder="key" />
      </label>
      ${fixedShown.length ? html`<fieldset>
        <legend>Always shown</legend>
        ${fixedShown.map((c) => html`<div class="choice" key=${c.id}><span class="key">${c.title}</span>${pinBox(c.id, c.title)}</div>`)}
      </fieldset>` : null}
      ${groups}
      ${keys.size === 0 && chosen.length === 0
        ? html`<p class="hint">The runs loaded so far have no metrics, parameters or tags.</p>`
        : groups.length === 0 && fixedShown.length === 0 ? html`<p class="hint">No column matches.</p>` : null}
      <button type="button" class="quiet" onClick=${close}>Done</button>
    </div>` : null}
  </div>`;
}

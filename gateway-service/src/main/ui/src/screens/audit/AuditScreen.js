import { useCallback, useMemo, useState } from 'preact/hooks';
import { call } from '../../api.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { dateTime } from '../../format.js';
import { html } from '../../html.js';
import { usePagedSearch } from '../../hooks.js';
import { describe, KINDS, kindLabel } from './changes.js';
import './audit.css';

const PAGE = 100;
const FILTERS = ['model', 'actor', 'type', 'since', 'until'];

/** The filters a location's query names (`#/audit?model=iris&since=…`); absent ones are ''. */
function filtersOf(query) {
  return Object.fromEntries(FILTERS.map((key) => [key, query.get(key) || '']));
}

/** Epoch milliseconds ↔ the value of a datetime-local input (local time, to the minute). */
function toLocalInput(millis) {
  if (!millis) return '';
  const d = new Date(Number(millis));
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function fromLocalInput(value, endOfMinute) {
  if (!value) return '';
  const t = new Date(value).getTime();
  if (Number.isNaN(t)) return '';
  // "until 10:42" includes the changes made during 10:42
  return String(endOfMinute ? t + 59_999 : t);
}

/** The filters form: what is typed is kept here until submitted into the location's query. */
function AuditFilters({ applied }) {
  const [form, setForm] = useState({
    ...applied, since: toLocalInput(applied.since), until: toLocalInput(applied.until),
  });
  const set = (key) => (e) => setForm({ ...form, [key]: e.currentTarget.value });
  const submit = (e) => {
    e.preventDefault();
    const next = {
      model: form.model.trim(),
      actor: form.actor.trim(),
      type: form.type,
      // a time left as it was shown keeps its exact value (inputs show minutes only)
      since: form.since === toLocalInput(applied.since) ? applied.since : fromLocalInput(form.since, false),
      until: form.until === toLocalInput(applied.until) ? applied.until : fromLocalInput(form.until, true),
    };
    const params = new URLSearchParams();
    for (const key of FILTERS) if (next[key]) params.set(key, next[key]);
    const text = params.toString();
    window.location.hash = text ? `#/audit?${text}` : '#/audit';
  };
  return html`
    <form class="audit-filters" role="search" aria-label="Filter the audit trail" onSubmit=${submit}>
      <label><span class="label">Model</span>
        <input value=${form.model} placeholder="model name" onInput=${set('model')} /></label>
      <label><span class="label">Actor</span>
        <input value=${form.actor} placeholder="user" onInput=${set('actor')} /></label>
      <label><span class="label">Kind</span>
        <select value=${form.type} onChange=${set('type')}>
          <option value="">Any kind</option>
          ${KINDS.map((k) => html`<option value=${k.type}>${k.label}</option>`)}
        </select>
      </label>
      <label><span class="label">Since</span>
        <input type="datetime-local" value=${form.since} onInput=${set('since')} /></label>
      <label><span class="label">Until</span>
        <input type="datetime-local" value=${form.until} onInput=${set('until')} /></label>
      <div class="buttons">
        <button type="submit">Apply filters</button>
        <a class="clear" href="#/audit">Clear</a>
      </div>
    </form>`;
}

function EventRow({ event }) {
  const c = event.change || {};
  const summary = describe(event);
  return html`
    <tr data-event-id=${c.event_id} data-kind=${c.kind}>
      <td class="time">${dateTime(c.time)}</td>
      <td><span class="kind">${kindLabel(event)}</span><br /><code class="type">${event.type}</code></td>
      <td>${c.model_name ? html`<a href=${`#/models/${encodeURIComponent(c.model_name)}`}>${c.model_name}</a>` : '—'}
        ${c.model_sequence ? html`<span class="seq" title="the change's number in this model's history">#${c.model_sequence}</span>` : null}</td>
      <td>${c.version && c.kind !== 'REGISTERED_MODEL_DELETED'
        ? html`<a href=${`#/models/${encodeURIComponent(c.model_name)}/versions/${encodeURIComponent(c.version)}`}>${c.version}</a>`
        : c.version || ''}</td>
      <td>${c.actor}</td>
      <td class="details">
        ${summary.length > 0 ? html`<ul class="summary">${summary.map((line) => html`<li>${line}</li>`)}</ul>` : null}
        <details>
          <summary>Change as recorded</summary>
          <pre tabindex="0">${JSON.stringify(c, null, 2)}</pre>
        </details>
      </td>
    </tr>`;
}

/**
 * The registry's audit trail (`GET /api/2.0/skein/audit/events`): every change, oldest first as
 * the API answers, a page at a time, filtered by model, actor, kind and time through the
 * location's query, so a filtered view can be linked to (the model page links `#/audit?model=`).
 */
export function AuditScreen({ query }) {
  const queryText = query ? query.toString() : '';
  const applied = useMemo(() => filtersOf(new URLSearchParams(queryText)), [queryText]);
  const read = useCallback(async (token) => {
    const page = await call('skein/audit/events', { query: { ...applied, max_results: PAGE, page_token: token } });
    return { items: page.events || [], next: page.next_page_token };
  }, [applied]);
  const { items: events, next, loading, error, load } = usePagedSearch(read);

  const active = FILTERS.filter((key) => applied[key]);
  return html`
    <section class="audit">
      <h1>Audit trail</h1>
      <p class="muted">Every change to the model registry, oldest first, as recorded when it was made.</p>
      <${AuditFilters} key=${queryText} applied=${applied} />
      <${ErrorMessage} error=${error} />
      <p class="count" aria-live="polite">
        ${loading && events.length === 0 ? 'Loading…' : `${events.length} ${events.length === 1 ? 'change' : 'changes'}${next ? ' so far' : ''}`}
        ${active.length > 0 ? ` · filtered by ${active.join(', ')}` : ''}
      </p>
      <table class="grid audit-table" aria-busy=${loading ? 'true' : 'false'}>
        <thead>
          <tr><th scope="col">Time</th><th scope="col">Kind</th><th scope="col">Model</th><th scope="col">Version</th>
            <th scope="col">Actor</th><th scope="col">Details</th></tr>
        </thead>
        <tbody>
          ${events.map((e) => html`<${EventRow} key=${e.change?.event_id} event=${e} />`)}
        </tbody>
      </table>
      ${!loading && !error && events.length === 0 ? html`<p class="empty">No changes match.</p>` : null}
      ${next ? html`<button type="button" class="more" disabled=${loading} onClick=${() => load(next)}>Load more</button>` : null}
    </section>`;
}

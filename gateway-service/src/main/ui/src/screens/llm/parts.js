// What the LLM screens share: how an endpoint's type, limits and usage read.
import { html } from '../../html.js';
import './llm.css';

/** MLflow's endpoint type as people say it: `llm/v1/chat` → chat. */
export function typeName(type) {
  return String(type || '').replace(/^llm\/v1\//, '') || '—';
}

export function count(n) {
  return Number(n || 0).toLocaleString('en-US');
}

/** A cost in USD: small amounts keep two significant digits (a call often costs a fraction of a cent). */
export function usd(n) {
  const v = Number(n || 0);
  if (v === 0) return '$0';
  if (Math.abs(v) < 0.01) return `$${Number(v.toPrecision(2))}`;
  return `$${v.toFixed(2)}`;
}

const per = (p) => (p === 'caller' ? 'for each caller' : 'for the endpoint');

/** MLflow's `limit` (counted per caller here: MLflow's is per client address). */
export function limitText(limit) {
  if (!limit) return null;
  return `${count(limit.calls)} call${Number(limit.calls) === 1 ? '' : 's'} per ${limit.renewal_period} for each caller`;
}

/** One of Skein's `limits`: calls and/or tokens per window. */
export function ruleText(rule) {
  const parts = [];
  if (rule.calls) parts.push(`${count(rule.calls)} call${rule.calls === 1 ? '' : 's'}`);
  if (rule.tokens) parts.push(`${count(rule.tokens)} token${rule.tokens === 1 ? '' : 's'}`);
  return `${parts.join(' and ')} per ${rule.renewal_period} ${per(rule.per)}`;
}

/** One of Skein's `budgets`. */
export function budgetText(budget) {
  const action = budget.on_exceed === 'ALERT' ? 'alert when reached' : 'calls refused once reached';
  return `${usd(budget.usd)} per ${budget.period} ${per(budget.per)} (${action})`;
}

/** Usage totals per caller (or per any key), busiest first. */
export function UsageTable({ totals, keyLabel, label }) {
  const rows = [...totals.entries()].sort((a, b) => b[1].requests - a[1].requests || String(a[0]).localeCompare(String(b[0])));
  if (rows.length === 0) return html`<p class="empty">No calls in this period.</p>`;
  return html`<table class="grid usage-table" aria-label=${label}>
    <thead><tr>
      <th scope="col">${keyLabel}</th><th scope="col" class="num">Calls</th><th scope="col" class="num">Errors</th>
      <th scope="col" class="num">Input tokens</th><th scope="col" class="num">Output tokens</th><th scope="col" class="num">Cost</th>
    </tr></thead>
    <tbody>${rows.map(([key, t]) => html`<tr key=${key} data-caller=${key}>
      <td>${key}</td><td class="num">${count(t.requests)}</td><td class="num">${count(t.errors)}</td>
      <td class="num">${count(t.input_tokens)}</td><td class="num">${count(t.output_tokens)}</td><td class="num">${usd(t.cost_usd)}</td>
    </tr>`)}</tbody>
  </table>`;
}

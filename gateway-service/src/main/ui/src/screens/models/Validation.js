// A registered model's validation rules (MLflow's MetricThresholds) and the audit of each new version
// against them (evaluation-service).
import { useEffect, useState } from 'preact/hooks';
import { call } from '../../api.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { dateTime } from '../../format.js';
import { html } from '../../html.js';
import { useAction } from '../../hooks.js';
import {
  AUDIT_VERDICT, ruleText, UNFINISHED, validationRules, versionAudits,
} from '../../evaluation.js';
import { versionHref } from '../../links.js';

const POLL_MILLIS = 1500;
// a version this young may not have its audit yet (it starts from the registry's event)
const AUDIT_GRACE_MILLIS = 60_000;

const shown = (v) => (v === undefined || v === null ? '—' : String(v));

function Verdict({ status }) {
  const s = status || 'AUDIT_PENDING';
  return html`<span class=${`verdict verdict-${s.toLowerCase()}`}>${AUDIT_VERDICT[s] || s}</span>`;
}

/**
 * The audit of one version: its verdict (asked again while pending, or while a version just created
 * has none yet), its report, the baseline it was held against, and each rule's outcome.
 */
export function AuditPanel({ name, version, created }) {
  const [audits, setAudits] = useState(null);
  const [error, setError] = useState(null);
  const [reads, setReads] = useState(0);

  useEffect(() => {
    let live = true;
    versionAudits(name, version)
      .then((found) => {
        if (!live) return;
        setAudits(found);
        setError(null);
      })
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [name, version, reads]);

  const audit = audits?.[0];
  const waiting = audits !== null && (audit
    ? UNFINISHED.has(audit.status)
    : Date.now() - Number(created || 0) < AUDIT_GRACE_MILLIS);
  useEffect(() => {
    if (!waiting) return undefined;
    const timer = setTimeout(() => setReads((n) => n + 1), POLL_MILLIS);
    return () => clearTimeout(timer);
  }, [audits]);

  const outcomes = audit?.outcomes || [];
  return html`
    <section class="panel audit" aria-labelledby="validation-heading">
      <h2 id="validation-heading">Validation</h2>
      <${ErrorMessage} error=${error} />
      ${audits === null && !error ? html`<p class="muted">Loading…</p>` : null}
      ${audits !== null && !audit ? html`<p class="muted" aria-live="polite">${waiting
        ? 'Not audited yet …' : 'This version has no audit.'}</p>` : null}
      ${audit ? html`
        <dl class="facts">
          <div><dt>Verdict</dt><dd data-verdict=${audit.status}><${Verdict} status=${audit.status} /></dd></div>
          <div><dt>Baseline</dt><dd>${audit.baseline_version
            ? html`<a href=${versionHref(name, audit.baseline_version)}>Version ${audit.baseline_version}</a>
                <span class="muted"> (@ ${audit.baseline_alias})</span>`
            : html`<span class="muted">none${audit.baseline_alias ? ` (no version holds @ ${audit.baseline_alias})` : ''}</span>`}</dd></div>
          <div><dt>Audited</dt><dd>${dateTime(audit.end_time || audit.creation_time)}</dd></div>
          ${audit.report ? html`<div class="wide"><dt>Report</dt><dd class="audit-report">${audit.report}</dd></div>` : null}
        </dl>
        ${outcomes.length > 0 ? html`
          <table class="grid" aria-label="Rule outcomes">
            <thead><tr>
              <th scope="col">Metric</th><th scope="col">Rule</th><th scope="col">Candidate</th>
              <th scope="col">Baseline</th><th scope="col">Outcome</th><th scope="col">Message</th>
            </tr></thead>
            <tbody>${outcomes.map((o) => html`<tr key=${o.metric} data-metric=${o.metric} class=${o.passed ? 'passed' : 'failed'}>
              <th scope="row">${o.metric}</th>
              <td>${ruleText(o.rule)}</td>
              <td>${shown(o.candidate_value)}</td>
              <td>${shown(o.baseline_value)}</td>
              <td><span class=${`verdict verdict-${o.passed ? 'passed' : 'audit_failed'}`}>${o.passed ? 'Passed' : 'Failed'}</span></td>
              <td class="audit-message">${o.message || ''}</td>
            </tr>`)}</tbody>
          </table>` : null}` : null}
    </section>`;
}

const blankRule = () => ({ metric: '', threshold: '', min_absolute_change: '', min_relative_change: '', greater_is_better: true });
const asText = (v) => (v === undefined || v === null ? '' : String(v));

/** The rules as the form edits them (numbers as text) and back as the API takes them. */
function toForm(rules) {
  return (rules.rules || []).map((r) => ({
    metric: r.metric || '',
    threshold: asText(r.threshold),
    min_absolute_change: asText(r.min_absolute_change),
    min_relative_change: asText(r.min_relative_change),
    greater_is_better: r.greater_is_better === true,
  }));
}

function fromForm(rows) {
  return rows.filter((r) => r.metric.trim()).map((r) => {
    const rule = { metric: r.metric.trim(), greater_is_better: r.greater_is_better };
    for (const key of ['threshold', 'min_absolute_change', 'min_relative_change']) {
      if (r[key].trim() !== '') rule[key] = Number(r[key]);
    }
    return rule;
  });
}

function RulesForm({ name, rules, done, cancel }) {
  const [rows, setRows] = useState(() => (toForm(rules).length ? toForm(rules) : [blankRule()]));
  const [alias, setAlias] = useState(rules.baseline_alias || 'champion');
  const action = useAction();
  const change = (i, key, value) => setRows(rows.map((r, j) => (j === i ? { ...r, [key]: value } : r)));
  const number = (i, key, label) => html`<input inputmode="decimal" aria-label=${`${label} of rule ${i + 1}`}
    value=${rows[i][key]} onInput=${(e) => change(i, key, e.currentTarget.value)} />`;
  const submit = (e) => {
    e.preventDefault();
    action.run(() => call('skein/evaluations/rules', { body: { name, rules: fromForm(rows), baseline_alias: alias.trim() } }))
      .then((answer) => answer && done(answer.rules));
  };
  return html`<form class="rules-form" onSubmit=${submit} aria-label="Validation rules">
    <table class="grid">
      <thead><tr><th scope="col">Metric</th><th scope="col">Threshold</th><th scope="col">Min. absolute change</th>
        <th scope="col">Min. relative change (0.05 = 5 %)</th><th scope="col">Higher is better</th>
        <th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${rows.map((r, i) => html`<tr key=${i}>
        <td><input aria-label=${`Metric of rule ${i + 1}`} value=${r.metric} onInput=${(e) => change(i, 'metric', e.currentTarget.value)} /></td>
        <td>${number(i, 'threshold', 'Threshold')}</td>
        <td>${number(i, 'min_absolute_change', 'Minimum absolute change')}</td>
        <td>${number(i, 'min_relative_change', 'Minimum relative change')}</td>
        <td><input type="checkbox" aria-label=${`Higher is better for rule ${i + 1}`} checked=${r.greater_is_better}
          onChange=${(e) => change(i, 'greater_is_better', e.currentTarget.checked)} /></td>
        <td><button type="button" class="quiet small" onClick=${() => setRows(rows.filter((_, j) => j !== i))}>Remove</button></td>
      </tr>`)}</tbody>
    </table>
    <div class="row">
      <button type="button" class="quiet" onClick=${() => setRows([...rows, blankRule()])}>Add a rule</button>
      <label><span class="label">Baseline alias</span>
        <input value=${alias} onInput=${(e) => setAlias(e.currentTarget.value)} /></label>
      <button type="submit" disabled=${action.busy}>Save rules</button>
      <button type="button" class="quiet" onClick=${cancel}>Cancel</button>
    </div>
    <${ErrorMessage} error=${action.error} />
  </form>`;
}

/**
 * A model's validation rules, against which every new version is audited: each rule in words, the
 * baseline alias and the version holding it; edited in place by those who may (`editable`).
 */
export function RulesPanel({ name, aliases, editable }) {
  const [rules, setRules] = useState(null);
  const [error, setError] = useState(null);
  const [editing, setEditing] = useState(false);

  useEffect(() => {
    let live = true;
    validationRules(name)
      .then((found) => live && setRules(found))
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [name]);

  const list = rules?.rules || [];
  const baseline = rules && (aliases || []).find((a) => a.alias === rules.baseline_alias);
  return html`
    <section class="panel" aria-labelledby="rules-heading">
      <div class="panel-head">
        <h2 id="rules-heading">Validation rules</h2>
        ${rules && editable && !editing ? html`<button type="button" class="quiet" onClick=${() => setEditing(true)}>Edit rules</button>` : null}
      </div>
      <${ErrorMessage} error=${error} />
      ${rules === null && !error ? html`<p class="muted">Loading…</p>` : null}
      ${rules && !editing ? html`
        <p class="muted">Every new version is audited against these rules (MLflow's metric thresholds) and tagged
          <code>skein.audit.status</code>.</p>
        ${list.length === 0 ? html`<p class="muted">No rules: new versions pass once their run has finished.</p>` : html`
          <table class="grid" aria-label="Validation rules">
            <thead><tr><th scope="col">Metric</th><th scope="col">Rule</th></tr></thead>
            <tbody>${list.map((r, i) => html`<tr key=${`${r.metric}/${i}`} data-metric=${r.metric}>
              <th scope="row">${r.metric}</th><td>${ruleText(r)}</td></tr>`)}</tbody>
          </table>`}
        <dl class="facts">
          <div><dt>Baseline</dt><dd><span class="alias">@ ${rules.baseline_alias || 'champion'}</span>
            ${baseline ? html` → <a href=${versionHref(name, baseline.version)}>Version ${baseline.version}</a>`
              : html` <span class="muted">(no version holds it)</span>`}</dd></div>
          ${rules.last_updated_timestamp ? html`<div><dt>Last changed</dt><dd>${dateTime(rules.last_updated_timestamp)}
            ${rules.user_id ? html` <span class="muted">by ${rules.user_id}</span>` : null}</dd></div>` : null}
        </dl>` : null}
      ${rules && editing ? html`<${RulesForm} name=${name} rules=${rules} cancel=${() => setEditing(false)}
        done=${(saved) => { setRules(saved || rules); setEditing(false); }} />` : null}
    </section>`;
}

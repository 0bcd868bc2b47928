import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { PermissionsPanel } from '../../components/PermissionsPanel.js';
import { html } from '../../html.js';
import { useMyPermissions } from '../../session.js';
import { DAY_MS, endpointDetail, llmEndpointHref, readUsage, totalsBy } from './llmApi.js';
import { UsageScope } from './LlmEndpointsScreen.js';
import { budgetText, count, limitText, ruleText, typeName, UsageTable, usd } from './parts.js';
import { TryIt } from './TryIt.js';
import { MEASURES, UsageChart } from './UsageChart.js';

const DAYS = 30;

function Fact({ label, children }) {
  return html`<div><dt>${label}</dt><dd>${children}</dd></div>`;
}

const none = html`<span class="muted">none</span>`;

/** An endpoint's configuration as llm-gateway-service describes it (never a secret). */
function Configuration({ e }) {
  const cfg = e.provider_config || {};
  const retries = e.retries || { max_attempts: 1 };
  return html`
    <dl class="facts">
      <${Fact} label="Type"><code>${e.endpoint_type}</code><//>
      <${Fact} label="Provider">${e.model?.provider}${cfg.api_type && cfg.api_type !== e.model?.provider ? ` (${cfg.api_type})` : ''}<//>
      <${Fact} label="Model"><code>${e.model?.name || '—'}</code><//>
      <${Fact} label="API base"><code class="break">${cfg.api_base}</code><//>
      ${cfg.deployment_name ? html`<${Fact} label="Deployment"><code>${cfg.deployment_name}</code><//>` : null}
      <${Fact} label="Invoked at"><code>/endpoints/${e.name}/invocations</code><//>
      <${Fact} label="Price">${e.price
        ? `${usd(e.price.input_per_million_tokens)} in, ${usd(e.price.output_per_million_tokens)} out per million tokens`
        : html`<span class="muted">none (its calls cost nothing here)</span>`}<//>
    </dl>
    <h3>Limits and budgets</h3>
    <ul class="plain limits">
      ${e.limit ? html`<li data-rule="limit">${limitText(e.limit)} <span class="badge">MLflow limit</span></li>` : null}
      ${(e.limits || []).map((r, i) => html`<li key=${`l${i}`} data-rule="limits">${ruleText(r)}</li>`)}
      ${(e.budgets || []).map((b, i) => html`<li key=${`b${i}`} data-rule="budget">${budgetText(b)}</li>`)}
      ${!e.limit && !(e.limits || []).length && !(e.budgets || []).length ? html`<li class="muted">No limits or budgets.</li>` : null}
    </ul>
    <h3>Retries and fallbacks</h3>
    <dl class="facts">
      <${Fact} label="Attempts">${retries.max_attempts > 1
        ? `up to ${retries.max_attempts}, backing off ${retries.initial_backoff} s to ${retries.max_backoff} s`
        : 'one (no retries)'}<//>
      <${Fact} label="Fallbacks">${(e.fallbacks || []).length
        ? html`<ol class="inline-list">${e.fallbacks.map((f) => html`<li key=${f}><a href=${llmEndpointHref(f)}>${f}</a></li>`)}</ol>`
        : none}<//>
      <${Fact} label="Traffic routes to it">${(e.traffic_routes || []).length
        ? html`<ul class="inline-list">${e.traffic_routes.map((r) => html`<li key=${r.name}>
            <a href=${llmEndpointHref(r.name)}>${r.name}</a> (${r.traffic_percentage} %)</li>`)}</ul>`
        : none}<//>
    </dl>`;
}

/** A traffic route: its destinations and their share of the calls. */
function Split({ route }) {
  return html`
    <dl class="facts">
      <${Fact} label="Type"><code>${route.task_type}</code><//>
      <${Fact} label="Routing">${route.routing_strategy}<//>
    </dl>
    <table class="grid split" aria-label=${`Destinations of ${route.name}`}>
      <thead><tr><th scope="col">Endpoint</th><th scope="col" class="num">Share of calls</th></tr></thead>
      <tbody>${route.destinations.map((d) => html`<tr key=${d.name} data-destination=${d.name}>
        <td><a href=${llmEndpointHref(d.name)}>${d.name}</a></td><td class="num">${d.traffic_percentage} %</td>
      </tr>`)}</tbody>
    </table>
    <p class="muted">Each call goes to one destination, drawn by its share; its usage is that endpoint's.</p>`;
}

/** Every UTC day of the period with its calls, tokens and cost (0 on days without calls). */
function perDay(rows, start, end) {
  const byDay = totalsBy(rows, (r) => r.date);
  const days = [];
  for (let t = start; t < end; t += DAY_MS) {
    const key = new Date(t).toISOString().slice(0, 10);
    const d = byDay.get(key);
    days.push({
      day: t / 1000,
      requests: d ? d.requests : 0,
      tokens: d ? d.input_tokens + d.output_tokens : 0,
      cost_usd: d ? d.cost_usd : 0,
    });
  }
  return days;
}

/** The endpoint's usage over the last 30 days: a chart per day and a table per caller. */
function Usage({ name, reads }) {
  const [usage, setUsage] = useState(null);
  const [error, setError] = useState(null);
  const [measure, setMeasure] = useState('requests');
  const [loading, setLoading] = useState(false);
  const [again, setAgain] = useState(0);

  useEffect(() => {
    const stop = new AbortController();
    setLoading(true);
    readUsage({ endpoint: name, days: DAYS, signal: stop.signal })
      .then((u) => {
        setUsage(u);
        setError(null);
      })
      .catch((e) => e.name !== 'AbortError' && setError(e))
      .finally(() => !stop.signal.aborted && setLoading(false));
    return () => stop.abort();
  }, [name, reads, again]);

  const days = useMemo(() => (usage ? perDay(usage.rows, usage.start, usage.end) : null), [usage]);
  const total = usage ? totalsBy(usage.rows, () => 'all').get('all') : null;
  const byCaller = useMemo(() => (usage ? totalsBy(usage.rows, (r) => r.caller) : null), [usage]);
  return html`
    <${UsageScope} />
    <${ErrorMessage} error=${error} />
    ${usage ? html`<dl class="facts usage-totals">
      <${Fact} label="Calls"><span data-total-calls=${total?.requests || 0}>${count(total?.requests)}</span><//>
      <${Fact} label="Errors">${count(total?.errors)}<//>
      <${Fact} label="Tokens">${count((total?.input_tokens || 0) + (total?.output_tokens || 0))}<//>
      <${Fact} label="Cost">${usd(total?.cost_usd)}<//>
    </dl>` : null}
    <div class="row">
      <fieldset class="measure">
        <legend class="label">Chart</legend>
        ${Object.entries(MEASURES).map(([key, m]) => html`<label key=${key} class="check">
          <input type="radio" name="usage-measure" value=${key} checked=${measure === key}
            onChange=${() => setMeasure(key)} /> ${m.label}</label>`)}
      </fieldset>
      <button type="button" class="quiet" disabled=${loading} onClick=${() => setAgain((n) => n + 1)}>Refresh usage</button>
    </div>
    ${days ? html`<${UsageChart} days=${days} measure=${measure} name=${name} />` : html`<p class="muted" role="status">Loading…</p>`}
    <h3>By caller</h3>
    ${byCaller ? html`<${UsageTable} totals=${byCaller} keyLabel="Caller" label=${`Usage of ${name} by caller`} />` : null}
    ${usage?.truncated ? html`<p class="muted">Only the first rows of the usage summary are counted.</p>` : null}`;
}

/**
 * One LLM endpoint (`#/llm/endpoints/{name}`): its configuration — provider, model, where calls go, limits, budgets,
 * retries, fallbacks, price; never a key —, a "try it" box that streams the answer, and its usage over time and
 * per caller. A traffic route's name shows its split instead of a configuration.
 */
export function LlmEndpointScreen({ params }) {
  const { name } = params;
  const [detail, setDetail] = useState(null);
  const [error, setError] = useState(null);
  const [calls, setCalls] = useState(0);
  // the signed-in user's permission on the endpoint: calling it is offered with USE, its grants with MANAGE
  const mine = useMyPermissions('endpoints', [name]);

  useEffect(() => {
    const stop = new AbortController();
    endpointDetail(name, stop.signal)
      .then(setDetail)
      .catch((e) => e.name !== 'AbortError' && setError(e));
    return () => stop.abort();
  }, [name]);

  // a call's usage is written a moment after it ends: read again then
  const called = useCallback(() => setTimeout(() => setCalls((n) => n + 1), 1000), []);

  const e = detail?.endpoint;
  const route = detail?.traffic_route;
  const type = e ? e.endpoint_type : route?.task_type;
  return html`
    <section class="llm">
      <p class="crumbs"><a href="#/llm/endpoints">LLM endpoints</a></p>
      <div class="title">
        <h1>${name}</h1>
        ${type ? html`<span class="badge">${route ? 'traffic route, ' : ''}${typeName(type)}</span>` : null}
      </div>
      <${ErrorMessage} error=${error} />
      ${!detail && !error ? html`<p class="muted" role="status">Loading…</p>` : null}
      ${e || route ? html`
        <section class="panel" aria-labelledby="llm-config">
          <h2 id="llm-config">Configuration</h2>
          ${e ? html`<${Configuration} e=${e} />` : html`<${Split} route=${route} />`}
        </section>
        <section class="panel" aria-labelledby="llm-try">
          <h2 id="llm-try">Try it</h2>
          ${mayUse(mine[name])
            ? html`<${TryIt} name=${name} type=${type} onCalled=${called} />`
            : html`<p class="muted">Calling this endpoint needs the USE permission; ask whoever manages it.</p>`}
        </section>
        ${e ? html`<section class="panel" aria-labelledby="llm-usage">
          <h2 id="llm-usage">Usage</h2>
          <${Usage} name=${name} reads=${calls} />
        </section>` : null}
        ${mine[name] === 'MANAGE' ? html`<${PermissionsPanel} endpointName=${name} />` : null}` : null}
    </section>
  `;
}

/** Who may read, use (invoke) or manage the endpoint, for those who manage it (with authentication on). */
/** Whether a permission lets its holder call the endpoint (not known: authentication off, or still loading). */
function mayUse(permission) {
  return !permission || ['USE', 'EDIT', 'MANAGE'].includes(permission);
}

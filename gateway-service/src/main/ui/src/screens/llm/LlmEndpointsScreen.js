import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { html } from '../../html.js';
import { usePagedSearch } from '../../hooks.js';
import { useSession } from '../../session.js';
import { endpointDetail, listEndpoints, llmEndpointHref, readUsage, totalsBy } from './llmApi.js';
import { budgetText, count, limitText, ruleText, typeName, UsageTable, usd } from './parts.js';

const DAYS = 30;
/** Endpoints whose configuration the list reads (for Skein's limits and budgets), and how many at once. */
const DETAILS = 500;
const DETAILS_AT_ONCE = 4;

/**
 * Each listed endpoint's configuration (MLflow's list has only its `limit`; Skein's `limits` and `budgets` are in
 * the configuration), read a few at a time for the first {@link DETAILS} endpoints: a Map name → endpoint.
 */
function useDetails(endpoints) {
  const [details, setDetails] = useState(new Map());
  const reads = useRef({ asked: new Set(), queue: [], running: 0, stop: new AbortController() });
  useEffect(() => () => reads.current.stop.abort(), []);
  useEffect(() => {
    const r = reads.current;
    for (const e of endpoints.slice(0, DETAILS)) {
      if (!r.asked.has(e.name)) {
        r.asked.add(e.name);
        r.queue.push(e.name);
      }
    }
    const worker = async () => {
      r.running += 1;
      while (r.queue.length && !r.stop.signal.aborted) {
        const name = r.queue.shift();
        try {
          const answer = await endpointDetail(name, r.stop.signal);
          if (answer.endpoint) setDetails((m) => new Map(m).set(name, answer.endpoint));
        } catch {
          // gone meanwhile (a reload of the endpoints file), or the page left: MLflow's limit is what is shown
        }
      }
      r.running -= 1;
    };
    while (r.running < DETAILS_AT_ONCE && r.queue.length) worker();
  }, [endpoints]);
  return details;
}

/** MLflow's limit, and Skein's limits and budgets once the configuration is read. */
function Limits({ endpoint, detail }) {
  const rules = detail
    ? [limitText(detail.limit), ...(detail.limits || []).map(ruleText), ...(detail.budgets || []).map(budgetText)]
    : [limitText(endpoint.limit)];
  const shown = rules.filter(Boolean);
  if (shown.length === 0) return html`<span class="muted">none</span>`;
  return html`<ul class="plain">${shown.map((r) => html`<li key=${r}>${r}</li>`)}</ul>`;
}

/** Who sees whose usage: the gateway gives a user who is not an administrator only their own. */
export function UsageScope() {
  const session = useSession();
  const own = session.authentication && !session.user?.is_admin;
  return html`<p class="muted">Over the last ${DAYS} days (UTC), ${own ? 'your own calls only' : 'every caller\'s calls'}.</p>`;
}

/**
 * The LLM endpoints of llm-gateway-service (MLflow's `list_endpoints`, a page at a time): type, provider and model,
 * limits and budgets, and each endpoint's calls, tokens and cost over the last 30 days (the usage summary).
 */
export function LlmEndpointsScreen() {
  const { items: endpoints, next, loading, error, load } = usePagedSearch(listEndpoints);
  const [usage, setUsage] = useState(null); // {byEndpoint, byCaller, truncated}
  const [usageError, setUsageError] = useState(null);
  const details = useDetails(endpoints);

  useEffect(() => {
    const stop = new AbortController();
    readUsage({ days: DAYS, signal: stop.signal })
      .then((u) => setUsage({
        byEndpoint: totalsBy(u.rows, (r) => r.endpoint),
        byCaller: totalsBy(u.rows, (r) => r.caller),
        truncated: u.truncated,
      }))
      .catch((e) => e.name !== 'AbortError' && setUsageError(e));
    return () => stop.abort();
  }, []);

  const none = { requests: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 };
  return html`
    <section class="llm">
      <h1>LLM endpoints</h1>
      <p class="muted">Served by Skein's LLM gateway at <code>/endpoints/{name}/invocations</code> (MLflow's deployments
        client) and <code>/v1</code> (OpenAI's clients, with the endpoint's name as the model).</p>
      <${ErrorMessage} error=${error} />
      <table class="grid llm-endpoints" aria-busy=${loading ? 'true' : 'false'}>
        <thead><tr>
          <th scope="col">Name</th><th scope="col">Type</th><th scope="col">Provider / model</th><th scope="col">Limits and budgets</th>
          <th scope="col" class="num">Calls (${DAYS} d)</th><th scope="col" class="num">Tokens (${DAYS} d)</th>
          <th scope="col" class="num">Cost (${DAYS} d)</th>
        </tr></thead>
        <tbody>${endpoints.map((e) => {
          const t = usage?.byEndpoint.get(e.name) || none;
          return html`<tr key=${e.name} data-endpoint=${e.name}>
            <td><a class="name" href=${llmEndpointHref(e.name)}>${e.name}</a></td>
            <td><span class="badge">${typeName(e.endpoint_type)}</span></td>
            <td>${e.model?.provider || '—'} / <code>${e.model?.name || '—'}</code></td>
            <td><${Limits} endpoint=${e} detail=${details.get(e.name)} /></td>
            <td class="num" data-calls=${usage ? t.requests : undefined}>${usage ? count(t.requests) : '…'}</td>
            <td class="num">${usage ? count(t.input_tokens + t.output_tokens) : '…'}</td>
            <td class="num">${usage ? usd(t.cost_usd) : '…'}</td>
          </tr>`;
        })}</tbody>
      </table>
      ${!loading && !error && endpoints.length === 0
        ? html`<p class="empty">No LLM endpoints are configured (llm-gateway-service's endpoints file).</p>` : null}
      ${next ? html`<button type="button" class="more" disabled=${loading} onClick=${() => load(next)}>Load more</button>` : null}

      <section class="panel" aria-labelledby="llm-callers">
        <h2 id="llm-callers">Usage by caller</h2>
        <${UsageScope} />
        <${ErrorMessage} error=${usageError} />
        ${usage ? html`<${UsageTable} totals=${usage.byCaller} keyLabel="Caller" label="Usage of every endpoint by caller" />` : null}
        ${usage?.truncated ? html`<p class="muted">Only the first rows of the usage summary are counted.</p>` : null}
      </section>
    </section>
  `;
}

import { useEffect, useState } from 'preact/hooks';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { html } from '../../html.js';
import { usePagedSearch } from '../../hooks.js';
import { useSession } from '../../session.js';
import { listEndpoints, llmEndpointHref, readUsage, totalsBy } from './llmApi.js';
import { count, limitText, typeName, UsageTable, usd } from './parts.js';

const DAYS = 30;

/** Who sees whose usage: the gateway gives a user who is not an administrator only their own. */
export function UsageScope() {
  const session = useSession();
  const own = session.authentication && !session.user?.is_admin;
  return html`<p class="muted">Over the last ${DAYS} days (UTC), ${own ? 'your own calls only' : 'every caller\'s calls'}.</p>`;
}

/**
 * The LLM endpoints of llm-gateway-service (MLflow's `list_endpoints`, a page at a time): type, provider and model,
 * MLflow's limit, and each endpoint's calls, tokens and cost over the last 30 days (the usage summary).
 */
export function LlmEndpointsScreen() {
  const { items: endpoints, next, loading, error, load } = usePagedSearch(listEndpoints);
  const [usage, setUsage] = useState(null); // {byEndpoint, byCaller, truncated}
  const [usageError, setUsageError] = useState(null);

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
          <th scope="col">Name</th><th scope="col">Type</th><th scope="col">Provider / model</th><th scope="col">Limit</th>
          <th scope="col" class="num">Calls (${DAYS} d)</th><th scope="col" class="num">Tokens (${DAYS} d)</th>
          <th scope="col" class="num">Cost (${DAYS} d)</th>
        </tr></thead>
        <tbody>${endpoints.map((e) => {
          const t = usage?.byEndpoint.get(e.name) || none;
          return html`<tr key=${e.name} data-endpoint=${e.name}>
            <td><a class="name" href=${llmEndpointHref(e.name)}>${e.name}</a></td>
            <td><span class="badge">${typeName(e.endpoint_type)}</span></td>
            <td>${e.model?.provider || '—'} / <code>${e.model?.name || '—'}</code></td>
            <td>${limitText(e.limit) || html`<span class="muted">none</span>`}</td>
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

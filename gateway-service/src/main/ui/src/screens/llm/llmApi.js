// llm-gateway-service's APIs, through the gateway as any client calls them: MLflow's deployments list,
// Skein's endpoint configuration and usage summary, and an invocation read as its stream arrives.
import { ApiError, callAt, errorOf, UI_HEADERS } from '../../api.js';

export const llmEndpointHref = (name) => `#/llm/endpoints/${encodeURIComponent(name)}`;

/** A page of MLflow's `list_endpoints` (`GET /api/2.0/endpoints/`): {items, next}. */
export async function listEndpoints(token) {
  const page = await callAt('/api/2.0/endpoints/', { query: { page_token: token } });
  return { items: page.endpoints || [], next: page.next_page_token || null };
}

/** Skein's configuration of an endpoint (never a secret): {endpoint} or, for a traffic route, {traffic_route}. */
export function endpointDetail(name, signal) {
  return callAt('/api/2.0/skein/llm/endpoints/get', { query: { name }, signal });
}

const USAGE_PAGE = 1000;
/** The most pages of the usage summary one view reads (beyond: shown as cut short). */
const USAGE_PAGES = 20;
export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The usage summary (`GET /api/2.0/skein/llm/usage`: one row per UTC day, endpoint and caller) over the last
 * `days` days, `endpoint` only when given, every page up to {@link USAGE_PAGES}: {rows, truncated, start, end}.
 * The gateway shows a user who is not an administrator only their own calls.
 */
export async function readUsage({ endpoint, days = 30, signal } = {}) {
  const end = Date.now();
  // from the start of the first UTC day, so that every day of the chart is whole
  const start = Math.floor((end - (days - 1) * DAY_MS) / DAY_MS) * DAY_MS;
  const rows = [];
  let token;
  for (let page = 0; page < USAGE_PAGES; page += 1) {
    const answer = await callAt('/api/2.0/skein/llm/usage', {
      query: { endpoint, start_time: start, end_time: end, max_results: USAGE_PAGE, page_token: token },
      signal,
    });
    rows.push(...(answer.usage || []));
    token = answer.next_page_token;
    if (!token) return { rows, truncated: false, start, end };
  }
  return { rows, truncated: true, start, end };
}

/** Rows summed by `key(row)`: {requests, errors, input_tokens, output_tokens, cost_usd} per key, in a Map. */
export function totalsBy(rows, key) {
  const out = new Map();
  for (const r of rows) {
    const k = key(r);
    const t = out.get(k) || { requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 };
    t.requests += Number(r.requests) || 0;
    t.errors += Number(r.errors) || 0;
    t.input_tokens += Number(r.input_tokens) || 0;
    t.output_tokens += Number(r.output_tokens) || 0;
    t.cost_usd += Number(r.cost_usd) || 0;
    out.set(k, t);
  }
  return out;
}

/** The events of a server-sent stream as they arrive: each event's `data` (its lines joined), comments skipped. */
async function* events(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n?/g, '\n');
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''));
        if (data.length) yield data.join('\n');
        end = buffer.indexOf('\n\n');
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** The text a chunk or an answer adds: a chat delta or message, a completion's text (first choice only). */
function textOf(json) {
  const choice = (json.choices || []).find((c) => (c.index ?? 0) === 0);
  if (!choice) return '';
  return choice.delta?.content ?? choice.message?.content ?? choice.text ?? '';
}

/**
 * Invokes an endpoint (`POST /endpoints/{name}/invocations`, MLflow's) with `payload`: chat and completions streamed
 * (`stream: true`, usage asked for), each piece handed to `onText(textSoFar)` as it arrives; embeddings answered
 * whole. Resolves to {text, usage, embeddings, firstByteMs, totalMs}; rejects with an {@link ApiError} (the
 * status and message of a refusal, or the error event that ends a stream cut short), or an AbortError once
 * `signal` aborts.
 */
export async function invoke(name, type, payload, { onText, signal } = {}) {
  const streamed = type !== 'llm/v1/embeddings';
  const body = streamed ? { ...payload, stream: true, stream_options: { include_usage: true } } : payload;
  const began = performance.now();
  let response;
  try {
    response = await fetch(`/endpoints/${encodeURIComponent(name)}/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: streamed ? 'text/event-stream' : 'application/json', ...UI_HEADERS },
      body: JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'UNAVAILABLE', `Skein cannot be reached: ${e.message}`);
  }
  const result = { text: '', usage: null, embeddings: null, firstByteMs: null, totalMs: null };
  if (!response.ok) {
    const text = await response.text();
    let json = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = { message: text.slice(0, 500) };
    }
    if (response.status === 401) window.dispatchEvent(new CustomEvent('skein:signed-out'));
    throw errorOf(response, json);
  }
  const contentType = response.headers.get('Content-Type') || '';
  if (!contentType.startsWith('text/event-stream')) {
    const json = await response.json();
    result.firstByteMs = performance.now() - began;
    result.text = textOf(json);
    result.usage = json.usage || null;
    if (Array.isArray(json.data)) result.embeddings = json.data.map((d) => d.embedding);
    if (result.text) onText?.(result.text);
  } else {
    for await (const data of events(response.body)) {
      if (data === '[DONE]') break;
      let chunk;
      try {
        chunk = JSON.parse(data);
      } catch {
        continue;
      }
      if (chunk.error) {
        const error = new ApiError(null, chunk.error.code || 'STREAM_INTERRUPTED', chunk.error.message || 'The stream was cut short');
        error.partial = result.text;
        throw error;
      }
      if (result.firstByteMs === null) result.firstByteMs = performance.now() - began;
      if (chunk.usage) result.usage = chunk.usage;
      const piece = textOf(chunk);
      if (piece) {
        result.text += piece;
        onText?.(result.text);
      }
    }
  }
  result.totalMs = performance.now() - began;
  return result;
}

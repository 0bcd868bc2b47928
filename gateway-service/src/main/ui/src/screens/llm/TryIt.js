import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../../html.js';
import { invoke } from './llmApi.js';
import { count } from './parts.js';

const ms = (v) => (v === null || v === undefined ? '—' : v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(2)} s`);

/** An invocation's refusal or failure as people read it: its code, HTTP status, message and when to retry. */
function CallError({ error }) {
  if (!error) return null;
  return html`<p class="error" role="alert">
    <strong>${error.code}</strong>${error.status ? ` (HTTP ${error.status})` : ''} ${error.message}${
      error.retryAfter ? ` — try again in ${error.retryAfter} s` : ''}
  </p>`;
}

/**
 * "Try it": a chat message (with an optional system prompt), a completion's prompt or an embedding's input, per the
 * endpoint's type, sent as MLflow's deployments client sends it; a chat or completion streams its answer into the
 * page as it arrives, and Stop ends the call (the gateway then cancels the provider's). Shows the tokens the
 * provider reported and the latency; `onCalled` is told when a call ended (its usage is recorded then).
 */
export function TryIt({ name, type, onCalled }) {
  const [system, setSystem] = useState('');
  const [text, setText] = useState('');
  const [maxTokens, setMaxTokens] = useState('');
  const [state, setState] = useState('idle'); // idle | running | done | stopped | failed
  const [answer, setAnswer] = useState('');
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const running = useRef(null);

  useEffect(() => () => running.current?.abort(), []);

  const field = type === 'llm/v1/chat' ? 'Message' : type === 'llm/v1/completions' ? 'Prompt' : 'Input';
  const payload = () => {
    const extra = maxTokens ? { max_tokens: Number(maxTokens) } : {};
    if (type === 'llm/v1/chat') {
      const messages = system.trim() ? [{ role: 'system', content: system }] : [];
      return { messages: [...messages, { role: 'user', content: text }], ...extra };
    }
    if (type === 'llm/v1/completions') return { prompt: text, ...extra };
    return { input: text };
  };

  const send = async (event) => {
    event.preventDefault();
    const stop = new AbortController();
    running.current = stop;
    setState('running');
    setAnswer('');
    setResult(null);
    setError(null);
    try {
      const r = await invoke(name, type, payload(), { onText: setAnswer, signal: stop.signal });
      setAnswer(r.text);
      setResult(r);
      setState('done');
    } catch (e) {
      if (e.name === 'AbortError') {
        setState('stopped');
      } else {
        setError(e);
        setState('failed');
      }
    } finally {
      if (running.current === stop) running.current = null;
      onCalled?.();
    }
  };

  const usage = result?.usage;
  const streamed = type !== 'llm/v1/embeddings';
  return html`
    <form class="try-it" onSubmit=${send} aria-label=${`Try ${name}`}>
      ${type === 'llm/v1/chat' ? html`<label><span class="label">System prompt (optional)</span>
        <input value=${system} onInput=${(e) => setSystem(e.currentTarget.value)} /></label>` : null}
      <label><span class="label">${field}</span>
        <textarea rows="3" value=${text} onInput=${(e) => setText(e.currentTarget.value)} required></textarea></label>
      <div class="row">
        ${streamed ? html`<label><span class="label">Max tokens (optional)</span>
          <input type="number" min="1" step="1" value=${maxTokens} onInput=${(e) => setMaxTokens(e.currentTarget.value)} /></label>` : null}
        <button type="submit" disabled=${state === 'running' || !text.trim()}>Send</button>
        <button type="button" class="quiet" disabled=${state !== 'running'} onClick=${() => running.current?.abort()}>Stop</button>
        <span class="muted" role="status">${{
          running: streamed ? 'Streaming…' : 'Waiting for the answer…',
          done: 'Done',
          stopped: 'Stopped',
          failed: 'Failed',
        }[state] || ''}</span>
      </div>
    </form>
    <${CallError} error=${error} />
    ${streamed && (answer || state === 'running' || state === 'done') ? html`
      <h3 class="answer-title">Answer</h3>
      <div class="answer" data-state=${state} aria-busy=${state === 'running' ? 'true' : 'false'}>${answer}</div>` : null}
    ${result?.embeddings ? html`
      <h3 class="answer-title">Embedding</h3>
      <p class="answer" data-state=${state}>${result.embeddings.map((v, i) => html`<span key=${i}>
        ${v.length} dimensions: <code>[${v.slice(0, 8).map((x) => Number(x).toPrecision(4)).join(', ')}${v.length > 8 ? ', …' : ''}]</code></span>`)}</p>` : null}
    ${result ? html`<dl class="facts call-facts">
      <div><dt>Input tokens</dt><dd data-tokens="input">${usage?.prompt_tokens !== undefined ? count(usage.prompt_tokens) : 'not reported'}</dd></div>
      ${streamed ? html`<div><dt>Output tokens</dt><dd data-tokens="output">${usage?.completion_tokens !== undefined ? count(usage.completion_tokens) : 'not reported'}</dd></div>` : null}
      <div><dt>Total tokens</dt><dd data-tokens="total">${usage?.total_tokens !== undefined ? count(usage.total_tokens) : 'not reported'}</dd></div>
      ${streamed ? html`<div><dt>First token after</dt><dd>${ms(result.firstByteMs)}</dd></div>` : null}
      <div><dt>Latency</dt><dd data-latency=${Math.round(result.totalMs)}>${ms(result.totalMs)}</dd></div>
    </dl>` : null}
  `;
}

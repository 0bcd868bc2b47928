import { useCallback, useEffect, useState } from 'preact/hooks';
import { call } from '../../api.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { dateTime } from '../../format.js';
import { html } from '../../html.js';
import { useSession } from '../../session.js';

/** A comma-separated list typed by the user, as the API takes it (absent when empty). */
function list(text) {
  const values = text.split(',').map((v) => v.trim()).filter(Boolean);
  return values.length ? values : undefined;
}

/**
 * The signed-in user's access tokens (MLFLOW_TRACKING_TOKEN for scripts, CI and Spark jobs):
 * created — the secret shown once —, listed, revoked.
 */
export function TokensScreen() {
  const session = useSession();
  const [tokens, setTokens] = useState([]);
  const [error, setError] = useState(null);
  const [form, setForm] = useState({ name: '', readOnly: false, days: '90', experiments: '', models: '' });
  const [created, setCreated] = useState(null); // { token, secret }
  const [revoking, setRevoking] = useState(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const answer = await call('skein/tokens/list');
      setTokens(answer.tokens || []);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => {
    load();
  }, [load]);

  const create = async (event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const answer = await call('skein/tokens/create', {
        body: {
          name: form.name.trim(),
          read_only: form.readOnly,
          expires_in_days: Number(form.days),
          experiment_ids: list(form.experiments),
          registered_model_names: list(form.models),
        },
      });
      setCreated(answer);
      setForm({ name: '', readOnly: false, days: '90', experiments: '', models: '' });
      await load();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (token) => {
    setBusy(true);
    try {
      await call('skein/tokens/revoke', { body: { token_id: token.id } });
      setRevoking(null);
      if (created && created.token.id === token.id) setCreated(null);
      await load();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (!session.authentication) {
    return html`<section><h1>Access tokens</h1>
      <p>Authentication is off on this Skein: there are no users and no tokens.</p></section>`;
  }
  const set = (key) => (e) => setForm({ ...form, [key]: e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value });
  return html`
    <section class="tokens">
      <h1>Access tokens</h1>
      <p class="muted">For scripts, CI jobs and Spark clusters: set <code>MLFLOW_TRACKING_TOKEN</code>.
        A token acts as ${session.user.username}, within the limits chosen here.</p>
      ${created && html`
        <div class="secret" role="status">
          <p><strong>Copy the token now: it is not shown again.</strong></p>
          <p><code class="secret-value">${created.secret}</code>
            <button type="button" class="small" onClick=${() => navigator.clipboard.writeText(created.secret)}>Copy</button>
            <button type="button" class="small quiet" onClick=${() => setCreated(null)}>Done</button></p>
        </div>`}
      <${ErrorMessage} error=${error} />
      <form class="token-form" onSubmit=${create}>
        <label class="grow"><span class="label">Name</span>
          <input value=${form.name} onInput=${set('name')} placeholder="nightly-training" required /></label>
        <label><span class="label">Expires in (days)</span>
          <input type="number" min="1" max="365" value=${form.days} onInput=${set('days')} required /></label>
        <label><span class="label">Only experiments (ids, comma-separated)</span>
          <input value=${form.experiments} onInput=${set('experiments')} placeholder="all" /></label>
        <label><span class="label">Only models (names, comma-separated)</span>
          <input value=${form.models} onInput=${set('models')} placeholder="all" /></label>
        <label class="check"><input type="checkbox" checked=${form.readOnly} onChange=${set('readOnly')} /> Read only</label>
        <button type="submit" disabled=${busy || !form.name.trim()}>Create token</button>
      </form>
      ${tokens.length === 0
        ? html`<p class="empty">No tokens yet.</p>`
        : html`<table class="grid">
          <thead><tr><th>Name</th><th>Starts with</th><th>Access</th><th>Created</th><th>Expires</th><th>Last used</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>${tokens.map((t) => html`
            <tr key=${t.id}>
              <td>${t.name}</td>
              <td><code>${t.prefix}…</code></td>
              <td>${t.read_only ? 'read only' : 'read and write'}${t.experiment_ids ? `, experiments ${t.experiment_ids.join(', ')}` : ''}${t.registered_model_names ? `, models ${t.registered_model_names.join(', ')}` : ''}</td>
              <td>${dateTime(t.creation_time)}</td>
              <td>${dateTime(t.expiry_time)}</td>
              <td>${t.last_used_time ? dateTime(t.last_used_time) : 'never'}</td>
              <td class="actions">${revoking === t.id
                ? html`<button type="button" class="small" disabled=${busy} onClick=${() => revoke(t)}>Revoke ${t.name}</button>
                    <button type="button" class="small quiet" onClick=${() => setRevoking(null)}>Keep</button>`
                : html`<button type="button" class="small" onClick=${() => setRevoking(t.id)}>Revoke…</button>`}</td>
            </tr>`)}
          </tbody></table>`}
    </section>
  `;
}

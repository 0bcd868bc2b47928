import { useCallback, useEffect, useState } from 'preact/hooks';
import { call, callAt } from '../api.js';
import { useAction } from '../hooks.js';
import { html } from '../html.js';
import { ErrorMessage } from './ErrorMessage.js';

export const PERMISSIONS = ['READ', 'EDIT', 'MANAGE', 'NO_PERMISSIONS'];

/** MLflow 3's permissions on an LLM endpoint: USE (read and invoke) between READ and EDIT. */
export const ENDPOINT_PERMISSIONS = ['READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS'];

/**
 * Who may do what with one experiment (`experimentId`), registered model (`modelName`) or LLM endpoint
 * (`endpointName`), for those who manage it: MLflow's permissions API (create, update, delete) on the users listed —
 * MLflow 3's under `/ajax-api/3.0/` for an endpoint.
 */
export function PermissionsPanel({ experimentId, modelName, endpointName }) {
  const endpoint = endpointName !== undefined;
  const base = experimentId !== undefined ? 'mlflow/experiments/permissions'
    : endpoint ? 'mlflow/gateway/endpoints/permissions' : 'mlflow/registered-models/permissions';
  const resource = experimentId !== undefined ? { experiment_id: experimentId }
    : endpoint ? { endpoint_id: endpointName } : { name: modelName };
  const choices = endpoint ? ENDPOINT_PERMISSIONS : PERMISSIONS;
  const send = (path, options) => (endpoint ? callAt(`/ajax-api/3.0/${path}`, options) : call(path, options));
  const [holders, setHolders] = useState([]);
  const [error, setError] = useState(null);
  const [username, setUsername] = useState('');
  const [permission, setPermission] = useState('READ');
  const action = useAction();
  const busy = action.busy;

  const load = useCallback(async () => {
    try {
      const answer = await call('skein/permissions/list', { query: resource });
      setHolders(answer.permissions || []);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [experimentId, modelName, endpointName]);
  useEffect(() => {
    load();
  }, [load]);

  const act = (work) => action.run(async () => {
    await work();
    await load();
  });

  const grant = (event) => {
    event.preventDefault();
    act(() => send(`${base}/create`, { body: { ...resource, username: username.trim(), permission } }))
      .then((ok) => ok && setUsername(''));
  };

  return html`
    <section class="permissions" aria-labelledby="permissions-title">
      <h2 id="permissions-title">Permissions</h2>
      <${ErrorMessage} error=${action.error || error} />
      ${holders.length === 0
        ? html`<p class="empty">Nobody has a permission of their own here: everyone has the default.</p>`
        : html`<table class="grid"><thead><tr><th>User</th><th>Permission</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>${holders.map((h) => html`<tr key=${h.username}>
            <td>${h.username}</td>
            <td><select aria-label=${`Permission of ${h.username}`} value=${h.permission} disabled=${busy}
              onChange=${(e) => act(() => send(`${base}/update`, {
                method: 'PATCH', body: { ...resource, username: h.username, permission: e.currentTarget.value },
              }))}>
              ${choices.map((p) => html`<option value=${p}>${p}</option>`)}</select></td>
            <td class="actions"><button type="button" class="small" disabled=${busy}
              onClick=${() => act(() => send(`${base}/delete`, { method: 'DELETE', body: { ...resource, username: h.username } }))}>
              Remove ${h.username}</button></td>
          </tr>`)}</tbody></table>`}
      <form class="row" onSubmit=${grant}>
        <label class="grow"><span class="label">User</span>
          <input value=${username} onInput=${(e) => setUsername(e.currentTarget.value)} placeholder="user name" /></label>
        <label><span class="label">Permission</span>
          <select value=${permission} onChange=${(e) => setPermission(e.currentTarget.value)}>
            ${choices.map((p) => html`<option value=${p}>${p}</option>`)}</select></label>
        <button type="submit" disabled=${busy || !username.trim()}>Grant</button>
      </form>
    </section>
  `;
}

import { useCallback, useEffect, useState } from 'preact/hooks';
import { call } from '../../api.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { PERMISSIONS } from '../../components/PermissionsPanel.js';
import { useAction } from '../../hooks.js';
import { html } from '../../html.js';
import { experimentHref, modelHref } from '../../links.js';
import { useSession } from '../../session.js';

const KINDS = {
  experiment: { base: 'mlflow/experiments/permissions', field: 'experiment_id', list: 'experiment_permissions', noun: 'Experiment id' },
  model: { base: 'mlflow/registered-models/permissions', field: 'name', list: 'registered_model_permissions', noun: 'Model name' },
};

/** One user (MLflow's users/get): their permissions on experiments and models, a new password. */
export function UserScreen({ params }) {
  const session = useSession();
  const username = params.name;
  const [user, setUser] = useState(null);
  const [error, setError] = useState(null);
  const action = useAction();
  const busy = action.busy;
  const [grant, setGrant] = useState({ kind: 'experiment', resource: '', permission: 'READ' });
  const [password, setPassword] = useState('');
  const [saved, setSaved] = useState(false);

  const load = useCallback(async () => {
    try {
      const answer = await call('mlflow/users/get', { query: { username } });
      setUser(answer.user);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [username]);
  useEffect(() => {
    load();
  }, [load]);

  const act = (work) => action.run(async () => {
    await work();
    await load();
  });

  const rows = (kind) => ((user && user[KINDS[kind].list]) || []).map((g) => html`<tr key=${`${kind}:${g[KINDS[kind].field]}`}>
    <td>${kind === 'experiment'
      ? html`<a href=${experimentHref(g.experiment_id)}>experiment ${g.experiment_id}</a>`
      : html`<a href=${modelHref(g.name)}>model ${g.name}</a>`}</td>
    <td><select aria-label=${`Permission on ${kind} ${g[KINDS[kind].field]}`} value=${g.permission} disabled=${busy}
      onChange=${(e) => act(() => call(`${KINDS[kind].base}/update`, {
        method: 'PATCH', body: { [KINDS[kind].field]: g[KINDS[kind].field], username, permission: e.currentTarget.value },
      }))}>${PERMISSIONS.map((p) => html`<option value=${p}>${p}</option>`)}</select></td>
    <td class="actions"><button type="button" class="small" disabled=${busy}
      onClick=${() => act(() => call(`${KINDS[kind].base}/delete`, {
        method: 'DELETE', body: { [KINDS[kind].field]: g[KINDS[kind].field], username },
      }))}>Remove</button></td>
  </tr>`);

  const self = session.user && session.user.username === username;
  return html`
    <section class="user">
      <p class="crumbs">${session.user && session.user.is_admin ? html`<a href="#/admin/users">Users</a> › ` : ''}${username}</p>
      <h1>${username}${user && user.is_admin ? html` <span class="badge">administrator</span>` : ''}</h1>
      <${ErrorMessage} error=${action.error || error} />
      ${user && html`
        <h2>Permissions of their own</h2>
        ${user.experiment_permissions.length + user.registered_model_permissions.length === 0
          ? html`<p class="empty">None: the default permission applies everywhere.</p>`
          : html`<table class="grid"><thead><tr><th>On</th><th>Permission</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>${rows('experiment')}${rows('model')}</tbody></table>`}
        ${session.user.is_admin && html`<form class="row" onSubmit=${(e) => {
          e.preventDefault();
          act(() => call(`${KINDS[grant.kind].base}/create`, {
            body: { [KINDS[grant.kind].field]: grant.resource.trim(), username, permission: grant.permission },
          })).then((ok) => ok && setGrant({ ...grant, resource: '' }));
        }}>
          <label><span class="label">On</span><select value=${grant.kind} onChange=${(e) => setGrant({ ...grant, kind: e.currentTarget.value })}>
            <option value="experiment">experiment</option><option value="model">model</option></select></label>
          <label class="grow"><span class="label">${KINDS[grant.kind].noun}</span>
            <input value=${grant.resource} onInput=${(e) => setGrant({ ...grant, resource: e.currentTarget.value })} /></label>
          <label><span class="label">Permission</span><select value=${grant.permission} onChange=${(e) => setGrant({ ...grant, permission: e.currentTarget.value })}>
            ${PERMISSIONS.map((p) => html`<option value=${p}>${p}</option>`)}</select></label>
          <button type="submit" disabled=${busy || !grant.resource.trim()}>Grant</button>
        </form>`}
        ${(self || session.user.is_admin) && html`<h2>Password</h2>
        <form class="row" onSubmit=${(e) => {
          e.preventDefault();
          act(() => call('mlflow/users/update-password', { method: 'PATCH', body: { username, password } }))
            .then((ok) => {
              setSaved(ok);
              if (ok) setPassword('');
            });
        }}>
          <label class="grow"><span class="label">New password</span>
            <input type="password" autocomplete="new-password" value=${password} onInput=${(e) => {
              setSaved(false);
              setPassword(e.currentTarget.value);
            }} /></label>
          <button type="submit" disabled=${busy || !password}>Change password</button>
          ${saved && html`<span role="status">Password changed.</span>`}
        </form>`}`}
    </section>
  `;
}

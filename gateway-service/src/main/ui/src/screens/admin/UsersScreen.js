import { useCallback, useState } from 'preact/hooks';
import { call } from '../../api.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { html } from '../../html.js';
import { useAction, usePagedSearch } from '../../hooks.js';
import { useSession } from '../../session.js';

/** Administrators: users and service accounts — created, made administrators or not, deleted. */
export function UsersScreen() {
  const session = useSession();
  const read = useCallback(async (token) => {
    const page = await call('skein/users/list', { query: token ? { page_token: token } : {} });
    return { items: page.users || [], next: page.next_page_token };
  }, []);
  const { items: users, next, loading, error: listError, load } = usePagedSearch(read);
  const action = useAction();
  const busy = action.busy;
  const [user, setUser] = useState({ username: '', password: '' });
  const [account, setAccount] = useState('');
  const [deleting, setDeleting] = useState(null);

  const act = (work) => action.run(async () => {
    await work();
    await load(null);
  });

  if (!session.user || !session.user.is_admin) {
    return html`<section><h1>Users</h1><p>Only administrators manage users.</p></section>`;
  }
  return html`
    <section class="users">
      <h1>Users</h1>
      <${ErrorMessage} error=${listError || action.error} />
      <form class="row" onSubmit=${(e) => {
        e.preventDefault();
        act(() => call('mlflow/users/create', { body: user })).then((ok) => ok && setUser({ username: '', password: '' }));
      }}>
        <label class="grow"><span class="label">New user</span>
          <input value=${user.username} autocomplete="off" onInput=${(e) => setUser({ ...user, username: e.currentTarget.value })} placeholder="user name" /></label>
        <label class="grow"><span class="label">Password</span>
          <input type="password" autocomplete="new-password" value=${user.password} onInput=${(e) => setUser({ ...user, password: e.currentTarget.value })} /></label>
        <button type="submit" disabled=${busy || !user.username.trim() || !user.password}>Create user</button>
      </form>
      <form class="row" onSubmit=${(e) => {
        e.preventDefault();
        act(() => call('skein/service-accounts/create', { body: { username: account.trim() } })).then((ok) => ok && setAccount(''));
      }}>
        <label class="grow"><span class="label">New service account (signs in with tokens only)</span>
          <input value=${account} onInput=${(e) => setAccount(e.currentTarget.value)} placeholder="ci-pipeline" /></label>
        <button type="submit" disabled=${busy || !account.trim()}>Create service account</button>
      </form>
      <table class="grid">
        <thead><tr><th>User</th><th>Kind</th><th>Administrator</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${users.map((u) => html`<tr key=${u.username}>
          <td><a href=${`#/admin/users/${encodeURIComponent(u.username)}`}>${u.username}</a></td>
          <td>${u.service_account ? 'service account' : 'person'}</td>
          <td><label class="check"><input type="checkbox" checked=${u.is_admin} disabled=${busy || u.username === session.user.username}
            aria-label=${`${u.username} is an administrator`}
            onChange=${(e) => act(() => call('mlflow/users/update-admin', {
              method: 'PATCH', body: { username: u.username, is_admin: e.currentTarget.checked },
            }))} /></label></td>
          <td class="actions">${u.username === session.user.username ? '' : deleting === u.username
            ? html`<button type="button" class="small" disabled=${busy} onClick=${() => act(() => call('mlflow/users/delete', {
              method: 'DELETE', body: { username: u.username },
            })).then(() => setDeleting(null))}>Delete ${u.username}</button>
              <button type="button" class="small quiet" onClick=${() => setDeleting(null)}>Keep</button>`
            : html`<button type="button" class="small" onClick=${() => setDeleting(u.username)}>Delete…</button>`}</td>
        </tr>`)}</tbody>
      </table>
      ${next && html`<button type="button" class="more" disabled=${loading} onClick=${() => load(next)}>Load more</button>`}
    </section>
  `;
}

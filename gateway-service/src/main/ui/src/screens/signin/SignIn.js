import { useEffect, useState } from 'preact/hooks';
import { call } from '../../api.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { html } from '../../html.js';

/** The sign-in form, shown instead of any screen while nobody is signed in. */
/** Why a sign-in at an identity provider failed, as the gateway sent the browser back (`?sign_in_error=`). */
function providerError() {
  const query = window.location.hash.split('?')[1];
  const reason = query ? new URLSearchParams(query).get('sign_in_error') : null;
  return reason ? { code: 'UNAUTHENTICATED', message: reason } : null;
}

export function SignIn({ onSignedIn }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(providerError);
  const [busy, setBusy] = useState(false);
  const [providers, setProviders] = useState([]);
  useEffect(() => {
    call('skein/session/providers').then((a) => setProviders(a.providers || [])).catch(() => setProviders([]));
  }, []);

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    try {
      await call('skein/session/sign-in', { body: { username, password } });
      setError(null);
      setPassword('');
      onSignedIn();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return html`
    <section class="sign-in">
      <h1>Sign in to Skein</h1>
      <form onSubmit=${submit}>
        <label>
          <span class="label">User name</span>
          <input name="username" autocomplete="username" value=${username}
            onInput=${(e) => setUsername(e.currentTarget.value)} required />
        </label>
        <label>
          <span class="label">Password</span>
          <input name="password" type="password" autocomplete="current-password" value=${password}
            onInput=${(e) => setPassword(e.currentTarget.value)} required />
        </label>
        <${ErrorMessage} error=${error} />
        <button type="submit" disabled=${busy || !username || !password}>Sign in</button>
      </form>
      ${providers.length > 0 && html`<div class="providers">
        ${providers.map((p) => html`<a class="button" href=${`/ajax-api/2.0/skein/session/oidc/start?${new URLSearchParams({ provider: p.name })}`}>
          Sign in with ${p.display_name}</a>`)}
      </div>`}
      <p class="muted">Scripts and MLflow clients use a user name and password
        (<code>MLFLOW_TRACKING_USERNAME</code>, <code>MLFLOW_TRACKING_PASSWORD</code>) or an access
        token (<code>MLFLOW_TRACKING_TOKEN</code>), made under Tokens once signed in.</p>
    </section>
  `;
}

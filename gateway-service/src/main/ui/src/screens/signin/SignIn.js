import { useState } from 'preact/hooks';
import { call } from '../../api.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { html } from '../../html.js';

/** The sign-in form, shown instead of any screen while nobody is signed in. */
export function SignIn({ onSignedIn }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

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
      <p class="muted">Scripts and MLflow clients use a user name and password
        (<code>MLFLOW_TRACKING_USERNAME</code>, <code>MLFLOW_TRACKING_PASSWORD</code>) or an access
        token (<code>MLFLOW_TRACKING_TOKEN</code>), made under Tokens once signed in.</p>
    </section>
  `;
}

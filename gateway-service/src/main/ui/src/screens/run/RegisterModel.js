import { useState } from 'preact/hooks';
import { call } from '../../api.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { html } from '../../html.js';
import { versionHref } from '../../links.js';

/**
 * Registers the model in a run's artifact directory (one holding an MLmodel file) as a new version of
 * a registered model, created first when the name is new — the two calls MLflow's UI makes.
 */
export function RegisterModel({ run, path, onRegistered }) {
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [made, setMade] = useState(null);

  const register = async (e) => {
    e.preventDefault();
    const model = name.trim();
    if (!model) return;
    setBusy(true);
    try {
      try {
        await call('mlflow/registered-models/create', { body: { name: model } });
      } catch (failure) {
        if (failure.code !== 'RESOURCE_ALREADY_EXISTS') throw failure;
      }
      const answer = await call('mlflow/model-versions/create', {
        body: { name: model, source: `${run.info.artifact_uri}/${path}`, run_id: run.info.run_id },
      });
      setMade(answer.model_version);
      setError(null);
      onRegistered?.();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return html`<form class="register" onSubmit=${register}>
    <p><strong>${path}</strong> holds a model (MLmodel).</p>
    <div class="row">
      <label class="grow"><span class="label">Register as model</span>
        <input value=${name} placeholder="model name" onInput=${(e) => setName(e.currentTarget.value)} /></label>
      <button type="submit" disabled=${busy || !name.trim()}>Register model</button>
    </div>
    ${made
      ? html`<p role="status">Registered <a href=${versionHref(made.name, made.version)}>
          ${made.name} version ${made.version}</a>.</p>`
      : null}
    <${ErrorMessage} error=${error} />
  </form>`;
}

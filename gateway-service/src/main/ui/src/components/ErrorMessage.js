import { html } from '../html.js';

/** An API error shown where it happened: MLflow's error code and its message. */
export function ErrorMessage({ error }) {
  if (!error) return null;
  return html`<p class="error" role="alert"><strong>${error.code || 'ERROR'}</strong> ${error.message}</p>`;
}

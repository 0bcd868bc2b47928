import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { useAction } from '../hooks.js';
import { ErrorMessage } from './ErrorMessage.js';
import { Markdown } from './Markdown.js';

/**
 * A description (Markdown, as MLflow's UI shows runs', models' and versions' descriptions), edited
 * in place in a textarea and saved through `save(text)`; `label` names what it describes.
 */
export function DescriptionEditor({ description, save, label }) {
  const [text, setText] = useState(null);
  const action = useAction();
  const area = useRef(null);
  useEffect(() => {
    if (text !== null && area.current) area.current.focus();
  }, [text !== null]);
  const submit = (e) => {
    e.preventDefault();
    action.run(() => save(text)).then((ok) => ok && setText(null));
  };
  if (text !== null) {
    return html`<form onSubmit=${submit} class="description-form">
      <label>
        <span class="label">Description of ${label} (Markdown)</span>
        <textarea ref=${area} rows="5" value=${text} onInput=${(e) => setText(e.currentTarget.value)}></textarea>
      </label>
      <div class="row">
        <button type="submit" disabled=${action.busy}>Save</button>
        <button type="button" class="quiet" onClick=${() => { setText(null); action.setError(null); }}>Cancel</button>
      </div>
      <${ErrorMessage} error=${action.error} />
    </form>`;
  }
  return html`<div class="description-view">
    ${description ? html`<${Markdown} text=${description} class="description" />` : html`<p class="muted">No description.</p>`}
    <button type="button" class="quiet" onClick=${() => setText(description || '')}
      aria-label=${`Edit the description of ${label}`}>Edit</button>
  </div>`;
}

import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';

// micromark is most of a Markdown renderer's weight: read when the first text is shown, not with the UI
let renderer = null;
function load() {
  renderer ||= import('micromark').then((m) => m.micromark);
  return renderer;
}

/**
 * Markdown as HTML (CommonMark, by micromark). Safe by micromark's defaults: raw HTML in the text is
 * escaped and link/image addresses with dangerous protocols (javascript:, data:…) are dropped. The
 * plain text is shown until the renderer is loaded.
 */
export function Markdown({ text, class: className }) {
  const [rendered, setRendered] = useState(null);
  useEffect(() => {
    let live = true;
    load().then((micromark) => live && setRendered(micromark(text || '')));
    return () => {
      live = false;
    };
  }, [text]);
  const classes = `markdown ${className || ''}`;
  return rendered === null
    ? html`<div class=${classes}><p>${text}</p></div>`
    : html`<div class=${classes} dangerouslySetInnerHTML=${{ __html: rendered }} />`;
}

import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { match, route } from './router.js';
import { Layout } from './components/Layout.js';
import { ExperimentsScreen } from './screens/experiments/ExperimentsScreen.js';
import { RunsScreen } from './screens/runs/RunsScreen.js';
import './styles.css';

route('/', ExperimentsScreen);
route('/experiments', ExperimentsScreen);
route('/experiments/:id', RunsScreen);

function NotFound({ path }) {
  return html`<section><h1>Not found</h1><p>Skein has no page at <code>${path}</code>.</p>
    <p><a href="#/experiments">Experiments</a></p></section>`;
}

function App() {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const changed = () => setHash(window.location.hash);
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  const found = match(hash);
  const Screen = found ? found.screen : null;
  return html`<${Layout}>
    ${Screen
      ? html`<${Screen} key=${hash.split('?')[0]} params=${found.params} query=${found.query} />`
      : html`<${NotFound} path=${hash.replace(/^#/, '')} />`}
  <//>`;
}

render(html`<${App} />`, document.getElementById('app'));

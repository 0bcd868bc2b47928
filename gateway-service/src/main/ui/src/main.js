import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { match, route } from './router.js';
import { Layout } from './components/Layout.js';
import { ExperimentsScreen } from './screens/experiments/ExperimentsScreen.js';
import { RunsScreen } from './screens/runs/RunsScreen.js';
import { RunScreen } from './screens/run/RunScreen.js';
import { ModelsScreen } from './screens/models/ModelsScreen.js';
import { ModelScreen } from './screens/models/ModelScreen.js';
import { VersionScreen } from './screens/models/VersionScreen.js';
import { AuditScreen } from './screens/audit/AuditScreen.js';
import { MetricScreen } from './screens/metric/MetricScreen.js';
import { CompareScreen } from './screens/compare/CompareScreen.js';
import { TokensScreen } from './screens/tokens/TokensScreen.js';
import { LlmEndpointsScreen } from './screens/llm/LlmEndpointsScreen.js';
import { LlmEndpointScreen } from './screens/llm/LlmEndpointScreen.js';
import { PromptsScreen } from './screens/prompts/PromptsScreen.js';
import { PromptScreen } from './screens/prompts/PromptScreen.js';
import { PromptLabScreen } from './screens/promptlab/PromptLabScreen.js';
import { UsersScreen } from './screens/admin/UsersScreen.js';
import { UserScreen } from './screens/admin/UserScreen.js';
import { SignIn } from './screens/signin/SignIn.js';
import { SessionContext, useSessionState } from './session.js';
import { ErrorMessage } from './components/ErrorMessage.js';
import './styles.css';

route('/', ExperimentsScreen);
route('/experiments', ExperimentsScreen);
route('/experiments/:id', RunsScreen);
route('/experiments/:id/prompt-engineering', PromptLabScreen);
route('/experiments/:id/runs/:runId', RunScreen);
route('/experiments/:id/runs/:runId/artifactPath/*', RunScreen);
route('/compare-experiments/:s', RunsScreen);
route('/models', ModelsScreen);
route('/models/:name', ModelScreen);
route('/models/:name/versions/:version', VersionScreen);
route('/audit', AuditScreen);
route('/metric', MetricScreen);
route('/metric/:metric', MetricScreen);
route('/compare-runs', CompareScreen);
route('/tokens', TokensScreen);
route('/llm/endpoints', LlmEndpointsScreen);
route('/llm/endpoints/:name', LlmEndpointScreen);
route('/prompts', PromptsScreen);
route('/prompts/:name', PromptScreen);
route('/prompt-engineering', PromptLabScreen);
route('/admin/users', UsersScreen);
route('/admin/users/:name', UserScreen);

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
  const session = useSessionState();
  const found = match(hash);
  const Screen = found ? found.screen : null;
  let content;
  if (session.state === 'loading') {
    content = html`<p class="muted" role="status">Loading…</p>`;
  } else if (session.state === 'signed-out') {
    content = html`<${SignIn} onSignedIn=${session.refresh} />`;
  } else if (session.state === 'failed') {
    content = html`<section><h1>Skein cannot be reached</h1><${ErrorMessage} error=${session.error} />
      <button type="button" onClick=${session.refresh}>Try again</button></section>`;
  } else {
    content = Screen
      ? html`<${Screen} key=${hash} params=${found.params} query=${found.query} />`
      : html`<${NotFound} path=${hash.replace(/^#/, '')} />`;
  }
  return html`<${SessionContext.Provider} value=${session}><${Layout}>${content}<//><//>`;
}

render(html`<${App} />`, document.getElementById('app'));

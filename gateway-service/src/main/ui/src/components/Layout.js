import { useLayoutEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { useSession } from '../session.js';

const THEME_KEY = 'skein.theme';

function initialTheme() {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** The frame of every screen: the header with navigation and the theme switch, then the screen. */
function apply(theme) {
  document.documentElement.dataset.theme = theme;
  localStorage.setItem(THEME_KEY, theme);
}

export function Layout({ children }) {
  const session = useSession();
  const signedIn = session.state === 'signed-in';
  const admin = signedIn && session.user.is_admin;
  const [theme, setTheme] = useState(initialTheme);
  useLayoutEffect(() => apply(theme), [theme]);
  const other = theme === 'dark' ? 'light' : 'dark';
  // kept at once, not after the next frame: a reload right after the click finds it
  const switchTheme = () => {
    apply(other);
    setTheme(other);
  };
  return html`
    <header class="top">
      <a class="brand" href="#/">Skein</a>
      <nav aria-label="Main">
        ${signedIn && html`
          <a href="#/experiments">Experiments</a>
          <a href="#/models">Models</a>
          <a href="#/prompts">Prompts</a>
          <a href="#/llm/endpoints">LLM endpoints</a>
          ${(!session.authentication || admin) && html`<a href="#/audit">Audit trail</a>`}
          ${session.authentication && html`<a href="#/tokens">Tokens</a>`}
          ${session.authentication && admin && html`<a href="#/admin/users">Users</a>`}`}
      </nav>
      ${signedIn && session.authentication && html`
        <span class="who">Signed in as <a href=${`#/admin/users/${encodeURIComponent(session.user.username)}`}>${session.user.username}</a></span>
        <button type="button" class="quiet" onClick=${session.signOut}>Sign out</button>`}
      <button type="button" class="quiet" onClick=${switchTheme} aria-label=${`Switch to the ${other} theme`}>
        ${other === 'dark' ? 'Dark' : 'Light'} theme
      </button>
    </header>
    <main>${children}</main>
  `;
}

// MLflow's URLs are hash routes (`#/experiments/4/runs/<id>`). A screen is one route here and one
// folder under screens/; `:name` in a pattern is a path segment handed to the screen, a final `*`
// the rest of the path (as `params.rest`).

const routes = [];

export function route(pattern, screen) {
  const keys = [];
  const source = pattern.replace(/:([A-Za-z_]+)|\*$/g, (whole, key) => {
    keys.push(key || 'rest');
    return key ? '([^/?]+)' : '([^?]+)';
  });
  routes.push({ regex: new RegExp(`^${source}/?(?:\\?(.*))?$`), keys, screen });
}

/** The screen for a location hash, its path parameters and its query; null when none matches. */
export function match(hash) {
  const path = hash.replace(/^#/, '') || '/';
  for (const r of routes) {
    const m = r.regex.exec(path);
    if (m) {
      const params = {};
      try {
        r.keys.forEach((key, i) => {
          params[key] = decodeURIComponent(m[i + 1]);
        });
      } catch {
        return null; // a malformed %-escape: no page there
      }
      return { screen: r.screen, params, query: new URLSearchParams(m[r.keys.length + 1] || '') };
    }
  }
  return null;
}

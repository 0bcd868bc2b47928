// Hooks the screens share.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/** The current theme (`data-theme` on the root element), re-rendering its user when it is switched. */
export function useTheme() {
  const [theme, setTheme] = useState(() => document.documentElement.dataset.theme || 'light');
  useEffect(() => {
    const observer = new MutationObserver(() => setTheme(document.documentElement.dataset.theme || 'light'));
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => observer.disconnect();
  }, []);
  return theme;
}

/** True once the element has come near the viewport (and from then on): charts mount when seen. */
export function useSeen(ref, margin = '200px') {
  const [seen, setSeen] = useState(false);
  useEffect(() => {
    if (seen || !ref.current) return undefined;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        setSeen(true);
        observer.disconnect();
      }
    }, { rootMargin: margin });
    observer.observe(ref.current);
    return () => observer.disconnect();
  }, [seen]);
  return seen;
}

/**
 * A search read a page at a time: `read(token)` resolves to {items, next} (the next page's token or
 * null); `load(null)` starts again from the first page, `load(next)` adds the next one. Only the
 * latest request's answer is shown — an earlier one answering late is dropped — and a failed first
 * page empties the list while a failed later page keeps what was shown. `setItems` changes the list
 * in place (an item edited, say). Reads the first page whenever `read` changes (memoise it).
 */
export function usePagedSearch(read) {
  const [items, setItems] = useState([]);
  const [next, setNext] = useState(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState(null);
  const latest = useRef(0);

  const load = useCallback(async (token) => {
    const ticket = ++latest.current;
    setLoading(true);
    try {
      const page = await read(token);
      if (ticket !== latest.current) return;
      setItems((shown) => (token ? shown.concat(page.items) : page.items));
      setNext(page.next || null);
      setError(null);
    } catch (e) {
      if (ticket !== latest.current) return;
      setError(e);
      if (!token) {
        setItems([]);
        setNext(null);
      }
    } finally {
      if (ticket === latest.current) setLoading(false);
    }
  }, [read]);

  useEffect(() => {
    load(null);
  }, [load]);

  return { items, setItems, next, loading, error, load };
}

/** An action's state: busy while it runs, its API error kept until the next one succeeds. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const run = async (work) => {
    setBusy(true);
    try {
      const result = await work();
      setError(null);
      return result === undefined ? true : result;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, setError };
}

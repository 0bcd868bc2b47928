// Reading the runs a link names: its lists (MLflow's JSON arrays or comma lists) and the runs themselves.
import { useState } from 'preact/hooks';
import { call } from '../../api.js';

const IDS_PER_SEARCH = 100;
/** The most runs one link is read for: the compare screen and the charts are built for a thousand. */
export const MAX_RUNS = 1000;

/**
 * A list from the query: MLflow's links carry JSON arrays (`runs=["a","b"]`), hand-written ones
 * comma lists or the key repeated (`metric=loss&metric=acc`, `metric=loss,acc`).
 */
export function listParam(query, key) {
  const out = [];
  for (const value of query.getAll(key)) {
    const text = value.trim();
    if (!text) continue;
    if (text.startsWith('[')) {
      try {
        const parsed = JSON.parse(text);
        if (Array.isArray(parsed)) {
          parsed.forEach((v) => v !== null && v !== undefined && String(v).trim() && out.push(String(v).trim()));
          continue;
        }
      } catch {
        // not JSON after all: read as a comma list
      }
    }
    text.replace(/^\[|\]$/g, '').split(',').map((v) => v.trim().replace(/^["']|["']$/g, ''))
      .filter(Boolean).forEach((v) => out.push(v));
  }
  return [...new Set(out)];
}

/**
 * The runs named, in the order named, the first {@link MAX_RUNS} of them: through runs/search
 * (`attributes.run_id IN (…)`, 100 ids a call) when their experiments are known, else runs/get each
 * (six at a time). `onProgress(n)` counts the ids read; a `signal` that aborts stops the reading (an
 * AbortError). Resolves to {runs, missing, beyond}: `beyond` counts the ids past the limit, not read.
 */
export async function loadRuns(runIds, experimentIds, { onProgress, signal } = {}) {
  const wanted = runIds.slice(0, MAX_RUNS);
  const found = new Map();
  if (experimentIds.length > 0) {
    for (let i = 0; i < wanted.length; i += IDS_PER_SEARCH) {
      const chunk = wanted.slice(i, i + IDS_PER_SEARCH);
      let token = null;
      do {
        const page = await call('mlflow/runs/search', {
          body: {
            experiment_ids: experimentIds,
            filter: `attributes.run_id IN (${chunk.map((id) => `'${id.replace(/'/g, '')}'`).join(', ')})`,
            run_view_type: 'ALL',
            max_results: IDS_PER_SEARCH,
            ...(token ? { page_token: token } : {}),
          },
          signal,
        });
        (page.runs || []).forEach((r) => found.set(r.info.run_id, r));
        token = page.next_page_token || null;
      } while (token);
      onProgress?.(Math.min(wanted.length, i + chunk.length));
    }
  } else {
    let done = 0;
    const queue = [...wanted];
    let failure = null;
    const worker = async () => {
      while (queue.length && !failure) {
        const id = queue.shift();
        try {
          const answer = await call('mlflow/runs/get', { query: { run_id: id }, signal });
          found.set(id, answer.run);
        } catch (e) {
          if (e.code !== 'RESOURCE_DOES_NOT_EXIST') failure = failure || e;
        }
        onProgress?.(++done);
      }
    };
    await Promise.all([...Array(Math.min(6, wanted.length))].map(worker));
    if (failure) throw failure;
  }
  return {
    runs: wanted.filter((id) => found.has(id)).map((id) => found.get(id)),
    missing: wanted.filter((id) => !found.has(id)),
    beyond: runIds.length - wanted.length,
  };
}

/**
 * State that belongs to one link (`key`, its query as text): it reads as `initial` again as soon as
 * the link changes — back, forward, or a link to the same screen for other runs — so nothing of the
 * last link's (its runs, an error, a choice made on its values) is shown for the next, whether or not
 * the screen is mounted anew.
 */
export function useLinkState(key, initial) {
  const [held, setHeld] = useState({ key, value: initial });
  const value = held.key === key ? held.value : initial;
  return [value, (next) => setHeld({ key, value: next })];
}

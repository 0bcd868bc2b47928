// Reading the runs a link names: its lists (MLflow's JSON arrays or comma lists) and the runs themselves.
import { call } from '../../api.js';

const IDS_PER_SEARCH = 100;

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
 * The runs named, in the order named: through runs/search (`attributes.run_id IN (…)`, 100 ids a
 * call) when their experiments are known, else runs/get each. Resolves to {runs, missing}.
 */
export async function loadRuns(runIds, experimentIds, onProgress) {
  const found = new Map();
  if (experimentIds.length > 0) {
    for (let i = 0; i < runIds.length; i += IDS_PER_SEARCH) {
      const chunk = runIds.slice(i, i + IDS_PER_SEARCH);
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
        });
        (page.runs || []).forEach((r) => found.set(r.info.run_id, r));
        token = page.next_page_token || null;
      } while (token);
      onProgress?.(Math.min(runIds.length, i + chunk.length));
    }
  } else {
    let done = 0;
    const queue = [...runIds];
    let failure = null;
    const worker = async () => {
      while (queue.length && !failure) {
        const id = queue.shift();
        try {
          const answer = await call('mlflow/runs/get', { query: { run_id: id } });
          found.set(id, answer.run);
        } catch (e) {
          if (e.code !== 'RESOURCE_DOES_NOT_EXIST') failure = e;
        }
        onProgress?.(++done);
      }
    };
    await Promise.all([...Array(Math.min(6, runIds.length))].map(worker));
    if (failure) throw failure;
  }
  return {
    runs: runIds.filter((id) => found.has(id)).map((id) => found.get(id)),
    missing: runIds.filter((id) => !found.has(id)),
  };
}

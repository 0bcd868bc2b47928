import { useEffect, useState } from 'preact/hooks';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { dateTime } from '../../format.js';
import { html } from '../../html.js';
import { latestSucceeded } from '../../evaluation.js';
import { runHref } from '../../links.js';

/** Runs whose evaluations are read: one search per run, a few at a time. */
export const MAX_EVALUATED = 25;
const AT_ONCE = 4;

const runName = (run) => run.info.run_name || run.info.run_id;

/**
 * The newest SUCCEEDED evaluation of each of the (first 25) runs compared, its metrics side by side:
 * a row per metric, a column per run, values that differ marked; a run not evaluated says so.
 */
export function EvaluationsCompare({ runs }) {
  const compared = runs.slice(0, MAX_EVALUATED);
  const key = compared.map((r) => r.info.run_id).join(',');
  // run id → its evaluation (null: none succeeded); absent while asking
  const [found, setFound] = useState({});
  const [error, setError] = useState(null);

  useEffect(() => {
    const stop = new AbortController();
    setFound({});
    setError(null);
    const queue = [...compared];
    const next = async () => {
      for (let run = queue.shift(); run && !stop.signal.aborted; run = queue.shift()) {
        const id = run.info.run_id;
        try {
          const evaluation = await latestSucceeded(id, { signal: stop.signal });
          if (!stop.signal.aborted) setFound((shown) => ({ ...shown, [id]: evaluation }));
        } catch (e) {
          if (e.name === 'AbortError') return;
          setError(e);
          setFound((shown) => ({ ...shown, [id]: null }));
        }
      }
    };
    for (let i = 0; i < AT_ONCE; i += 1) next();
    return () => stop.abort();
  }, [key]);

  const asked = compared.filter((r) => r.info.run_id in found).length;
  const evaluated = compared.filter((r) => found[r.info.run_id]);
  const metricKeys = [];
  for (const run of evaluated) {
    for (const m of found[run.info.run_id].metrics || []) if (!metricKeys.includes(m.key)) metricKeys.push(m.key);
  }
  const value = (run, metric) => {
    const m = (found[run.info.run_id]?.metrics || []).find((x) => x.key === metric);
    return m ? String(m.value) : '';
  };
  const differs = (metric) => compared.length > 1 && compared.some((r) => value(r, metric) !== value(compared[0], metric));

  return html`<div class="compare-evaluations">
    ${runs.length > compared.length
      ? html`<p class="muted">The evaluations of the first ${MAX_EVALUATED} runs of ${runs.length.toLocaleString('en')}.</p>` : null}
    <${ErrorMessage} error=${error} />
    ${asked < compared.length ? html`<p class="count" aria-live="polite">Read the evaluations of ${asked} of ${compared.length} runs …</p>` : null}
    ${asked === compared.length && evaluated.length === 0
      ? html`<p class="empty">None of these runs has a succeeded evaluation.</p>` : null}
    ${evaluated.length > 0 ? html`
      <div class="compare-table-box" role="region" aria-label="Evaluation metrics of the runs" tabindex="0">
        <table class="grid compare-table">
          <thead><tr>
            <th scope="col">Metric</th>
            ${compared.map((run) => html`<th scope="col" data-run-id=${run.info.run_id}>
              <a href=${`${runHref(run.info.experiment_id, run.info.run_id)}`}>${runName(run)}</a></th>`)}
          </tr></thead>
          <tbody>
            <tr><th scope="row">Evaluation</th>
              ${compared.map((run) => {
                const e = found[run.info.run_id];
                if (e === undefined) return html`<td class="muted">…</td>`;
                if (e === null) return html`<td class="muted">not evaluated</td>`;
                return html`<td>${e.spec?.model_type} · ${Number(e.row_count || 0).toLocaleString('en')} rows
                  <div class="muted">${dateTime(e.end_time || e.creation_time)}</div></td>`;
              })}
            </tr>
            ${metricKeys.map((metric) => html`<tr key=${metric} data-key=${metric} class=${differs(metric) ? 'differs' : ''}>
              <th scope="row">${metric}${differs(metric)
                ? html`<span class="diff-mark" title="Values differ">≠<span class="visually-hidden"> (values differ)</span></span>` : null}</th>
              ${compared.map((run) => html`<td>${value(run, metric)}</td>`)}
            </tr>`)}
          </tbody>
        </table>
      </div>` : null}
  </div>`;
}

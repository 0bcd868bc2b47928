import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { UNFINISHED } from '../../evaluation.js';
import { html } from '../../html.js';
import { runHref } from '../../links.js';
import { evaluatePrompt, getEvaluation } from './labApi.js';
import { missingValues, valueOf } from './template.js';

/** MLflow's built-in judge metrics, and the column each grades against beside the input and the output. */
export const JUDGES = [
  { name: 'answer_relevance', needs: null, about: 'is the output relevant to the input' },
  { name: 'answer_similarity', needs: 'targets', about: 'how close the output is to the expected answer' },
  { name: 'answer_correctness', needs: 'targets', about: 'is the output correct, given the expected answer' },
  { name: 'relevance', needs: 'context', about: 'is the output relevant to the input and the context' },
  { name: 'faithfulness', needs: 'context', about: 'is the output faithful to the context' },
];
const AGGREGATES = ['mean', 'variance', 'p90'];
const POLL_MS = 1000;

const number = (v) => (v === undefined || v === null ? '—' : Number.isInteger(v) ? String(v) : Number(v).toFixed(3));

/** A metric of an evaluation, or undefined. */
const metric = (evaluation, key) => (evaluation.metrics || []).find((m) => m.key === key)?.value;

/** A judge's aggregates in one run, as `mean 3 · variance 0.5 · p90 4`, or why it has none. */
function Aggregates({ evaluation, judge }) {
  const metrics = new Map((evaluation.metrics || []).map((m) => [m.key, m.value]));
  const found = AGGREGATES.filter((a) => metrics.has(`${judge}/v1/${a}`));
  if (!found.length) {
    // a judge none of whose answers could be read: the service says why (never a made-up score)
    const why = (evaluation.unavailable_metrics || []).find((u) => u.key.startsWith(`${judge}/v1/`))?.reason;
    return html`<span class="muted" data-judge=${judge}>${UNFINISHED.has(evaluation.status) ? '…' : `no score${why ? `: ${why}` : ''}`}</span>`;
  }
  return html`<span data-judge=${judge} data-mean=${metrics.get(`${judge}/v1/mean`)}>${found.map((a, i) => html`${i ? ' · ' : ''}${a} ${number(metrics.get(`${judge}/v1/${a}`))}`)}</span>`;
}

/**
 * Evaluates the template over the rows and the chosen endpoints with LLM judges (Skein's prompt evaluations: one
 * run per endpoint, its outputs, tokens and latency per row, and each judge's score per row aggregated), the judge
 * being an endpoint of the LLM gateway; shows each endpoint's run with its judges' aggregates as they finish.
 */
export function JudgePanel({ experimentId, template, variables, rows, endpoints, chosen, parametersOf, source, setExtraColumns }) {
  const [judges, setJudges] = useState(['answer_relevance']);
  const [judgeEndpoint, setJudgeEndpoint] = useState('');
  const [runName, setRunName] = useState('prompt-eval');
  const [problems, setProblems] = useState([]);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [started, setStarted] = useState(null); // {endpoints, judges, evaluations}
  const polling = useRef(null);

  useEffect(() => () => clearTimeout(polling.current), []);
  useEffect(() => {
    if (!judgeEndpoint && endpoints.length) setJudgeEndpoint((endpoints.find((p) => p.name === 'judge') || endpoints[0]).name);
  }, [endpoints]);
  const needed = [...new Set(JUDGES.filter((j) => judges.includes(j.name) && j.needs).map((j) => j.needs))];
  useEffect(() => setExtraColumns(needed), [needed.join(',')]);

  const poll = (ids) => {
    polling.current = setTimeout(async () => {
      try {
        const latest = await Promise.all(ids.map((id) => getEvaluation(id)));
        setStarted((s) => (s ? { ...s, evaluations: latest } : s));
        if (latest.some((x) => UNFINISHED.has(x.status))) poll(ids);
      } catch (e) {
        setError(e);
      }
    }, POLL_MS);
  };

  const evaluate = async (e) => {
    e.preventDefault();
    const { parameters, problems: wrong } = parametersOf();
    const found = [...wrong];
    if (!experimentId) found.push('Choose the experiment the runs are kept in.');
    if (!template.trim()) found.push('The template is empty.');
    if (chosen.length === 0) found.push('Choose at least one endpoint.');
    if (judges.length === 0) found.push('Choose at least one judge.');
    if (!judgeEndpoint) found.push('Choose the judge\'s endpoint.');
    const columns = [...variables, ...needed.filter((c) => !variables.includes(c))];
    found.push(...missingValues(columns, rows.map((r) => r.values)));
    setProblems(found);
    if (found.length) return;
    clearTimeout(polling.current);
    setBusy(true);
    setError(null);
    try {
      const order = endpoints.filter((p) => chosen.includes(p.name)).map((p) => p.name);
      const spec = {
        prompt: {
          experiment_id: experimentId,
          ...(source ? { prompt_uri: `prompts:/${source.name}/${source.version}` } : { template }),
          rows: rows.map((r) => Object.fromEntries(columns.map((c) => [c, valueOf(r.values, c)]))),
          endpoints: order,
          model_parameters: parameters,
          run_name: runName.trim() || undefined,
        },
        judges: judges.map((name) => ({ name, model: `endpoints:/${judgeEndpoint}` })),
      };
      const evaluations = await evaluatePrompt(spec);
      setStarted({ endpoints: order, judges: [...judges], evaluations, experimentId, runName: runName.trim() || 'prompt-eval' });
      if (evaluations.some((x) => UNFINISHED.has(x.status))) poll(evaluations.map((x) => x.evaluation_id));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const toggle = (name, on) => setJudges((all) => (on ? [...all, name] : all.filter((n) => n !== name)));
  return html`
    <section class="panel" aria-labelledby="judges-heading">
      <h2 id="judges-heading">Evaluate with judges</h2>
      <p class="muted">Each chosen endpoint answers every row in a run of its own; each judge scores every answer from 1 to 5.
        ${needed.length ? html` The judges chosen also read ${needed.map((c, i) => html`${i ? ' and ' : ''}<code>${c}</code>`)}: a column of the rows above.` : null}</p>
      <form onSubmit=${evaluate} aria-label="Evaluate with judges">
        <fieldset>
          <legend>Judges</legend>
          <div class="choices">${JUDGES.map((j) => html`
            <label class="check" key=${j.name} title=${j.about}><input type="checkbox" checked=${judges.includes(j.name)}
              onChange=${(e) => toggle(j.name, e.currentTarget.checked)} /> ${j.name}</label>`)}
          </div>
        </fieldset>
        <div class="row">
          <label><span class="label">Judge endpoint</span>
            <select value=${judgeEndpoint} onChange=${(e) => setJudgeEndpoint(e.currentTarget.value)}>
              ${endpoints.map((p) => html`<option value=${p.name}>${p.name}</option>`)}
            </select></label>
          <label><span class="label">Run name</span>
            <input value=${runName} onInput=${(e) => setRunName(e.currentTarget.value)} /></label>
          <button type="submit" disabled=${busy}>Evaluate</button>
        </div>
        ${problems.length ? html`<div class="error" role="alert"><strong>Not evaluated:</strong>
          <ul>${problems.map((p) => html`<li key=${p}>${p}</li>`)}</ul></div>` : null}
        <${ErrorMessage} error=${error} />
      </form>
      ${started ? html`
        <table class="grid judged" aria-label="Evaluation runs">
          <thead><tr><th scope="col">Endpoint</th><th scope="col">Status</th><th scope="col">Run</th>
            <th scope="col" class="num">Rows failed</th><th scope="col" class="num">Tokens</th>
            ${started.judges.map((j) => html`<th scope="col" key=${j}>${j}</th>`)}</tr></thead>
          <tbody>${started.evaluations.map((x, i) => html`
            <tr key=${x.evaluation_id} data-endpoint=${started.endpoints[i]} data-status=${x.status}>
              <th scope="row">${started.endpoints[i]}</th>
              <td>${x.status}${x.status_message ? html`<span class="muted"> — ${x.status_message}</span>` : null}</td>
              <td>${x.run_id ? html`<a href=${runHref(started.experimentId, x.run_id)}>${`${started.runName}-${started.endpoints[i]}`}</a>` : '—'}</td>
              <td class="num" data-failed-rows=${metric(x, 'failed_rows') ?? ''}>${number(metric(x, 'failed_rows'))}</td>
              <td class="num">${number(metric(x, 'total_tokens/sum'))}</td>
              ${started.judges.map((j) => html`<td key=${j}><${Aggregates} evaluation=${x} judge=${j} /></td>`)}
            </tr>`)}
          </tbody>
        </table>` : null}
    </section>`;
}

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { html } from '../../html.js';
import { useAction } from '../../hooks.js';
import { experimentHref, runHref } from '../../links.js';
import { count } from '../llm/parts.js';
import { createPrompt, createVersion, getVersion, promptHref } from '../prompts/promptApi.js';
import { JudgePanel } from './JudgePanel.js';
import { complete, createPromptlabRun, experiment, experiments, textEndpoints } from './labApi.js';
import { missingValues, render, valueOf, variablesOf } from './template.js';
import '../prompts/prompts.css';

/** Calls made at once when a grid is run: the machine (and the provider's limits) are shared. */
const AT_ONCE = 4;

const ms = (v) => (v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(2)} s`);
let nextRowId = 1;
const newRow = (values = {}) => ({ id: nextRowId++, values });

/** The model parameters as numbers, or the sentences saying what is wrong with them. */
function parametersOf(temperature, maxTokens) {
  const problems = [];
  const parameters = {};
  if (String(temperature).trim() !== '') {
    const t = Number(temperature);
    if (!Number.isFinite(t) || t < 0 || t > 2) problems.push('Temperature must be a number from 0 to 2.');
    else parameters.temperature = t;
  }
  if (String(maxTokens).trim() !== '') {
    const m = Number(maxTokens);
    if (!Number.isInteger(m) || m < 1) problems.push('Max tokens must be a whole number of at least 1.');
    else parameters.max_tokens = m;
  }
  return { parameters, problems };
}

/** An output's refusal or failure: its code, HTTP status, message and when to retry. */
function CellError({ error }) {
  return html`<p class="error" role="alert"><strong>${error.code}</strong>${error.status ? ` (HTTP ${error.status})` : ''} ${
    error.message}${error.retryAfter ? ` — try again in ${error.retryAfter} s` : ''}</p>`;
}

/** One row × endpoint: the output, its tokens and latency, or its error; kept as a prompt-lab run on demand. */
function Cell({ result, rowNumber, endpoint, save }) {
  const action = useAction();
  const at = endpoint.name;
  if (!result || result.state === 'waiting') return html`<td class="cell muted" data-endpoint=${at} aria-busy="true">Waiting…</td>`;
  if (result.state === 'running') return html`<td class="cell muted" data-endpoint=${at} aria-busy="true">Running…</td>`;
  if (result.state === 'failed') return html`<td class="cell" data-endpoint=${at} data-state="failed"><${CellError} error=${result.error} /></td>`;
  const u = result.usage;
  const label = `row ${rowNumber} on ${endpoint.name}`;
  return html`<td class="cell" data-endpoint=${at} data-state="done">
    <p class="output">${result.text}</p>
    <p class="cell-facts">
      <span data-tokens="input">${u?.prompt_tokens !== undefined ? `${count(u.prompt_tokens)} in` : 'input tokens not reported'}</span>
      <span data-tokens="output">${u?.completion_tokens !== undefined ? `${count(u.completion_tokens)} out` : 'output tokens not reported'}</span>
      <span data-tokens="total">${u?.total_tokens !== undefined ? `${count(u.total_tokens)} tokens` : 'total not reported'}</span>
      <span data-latency=${Math.round(result.latencyMs)}>${ms(result.latencyMs)}</span>
    </p>
    ${result.run
      ? html`<a class="saved" href=${result.runHref} data-run=${result.run.info.run_id}>Run ${result.run.info.run_name || result.run.info.run_id}</a>`
      : html`<button type="button" class="quiet small" disabled=${action.busy} aria-label=${`Save as run: ${label}`}
          onClick=${() => action.run(save)}>Save as run</button>`}
    ${action.error ? html`<${CellError} error=${action.error} />` : null}
  </td>`;
}

/** Saves the template as a new version of a prompt (the one it came from, by default) or as a new prompt. */
function SaveTemplate({ template, source }) {
  const [target, setTarget] = useState(source ? 'version' : 'prompt');
  const [name, setName] = useState(source?.prompt || '');
  const [message, setMessage] = useState('');
  const [saved, setSaved] = useState(null);
  const action = useAction();
  const submit = (e) => {
    e.preventDefault();
    const chosen = name.trim();
    const work = target === 'version'
      ? createVersion({ name: chosen, template: { text: template }, commitMessage: message.trim() })
      : createPrompt({ name: chosen, template: { text: template }, commitMessage: message.trim() });
    action.run(() => work).then((v) => v && setSaved(v));
  };
  return html`
    <section class="panel" aria-labelledby="save-template-heading">
      <h2 id="save-template-heading">Save the template</h2>
      <form class="row" onSubmit=${submit} aria-label="Save the template">
        <fieldset class="choices">
          <legend>Save as</legend>
          <label class="check"><input type="radio" name="save-as" checked=${target === 'version'}
            onChange=${() => setTarget('version')} /> a new version of a prompt</label>
          <label class="check"><input type="radio" name="save-as" checked=${target === 'prompt'}
            onChange=${() => setTarget('prompt')} /> a new prompt</label>
        </fieldset>
        <label><span class="label">Prompt name</span>
          <input value=${name} onInput=${(e) => setName(e.currentTarget.value)} /></label>
        <label class="grow"><span class="label">Commit message</span>
          <input value=${message} onInput=${(e) => setMessage(e.currentTarget.value)} /></label>
        <button type="submit" disabled=${action.busy || !name.trim() || !template.trim()}>Save template</button>
      </form>
      <${ErrorMessage} error=${action.error} />
      ${saved ? html`<p role="status">Saved as <a href=${promptHref(saved.name)}>version ${saved.version} of ${saved.name}</a>.</p>` : null}
    </section>`;
}

/**
 * The prompt engineering screen (MLflow 2.7's Prompt Engineering UI, and more): a template whose `{{variables}}`
 * are found as it is typed, rows of their values, one or more LLM endpoints and the model parameters; run, it shows
 * every row's output on every endpoint side by side with tokens and latency (an error in its own cell). An output
 * is kept as a prompt-lab run, the template as a prompt version, and the whole grid evaluated by LLM judges. Opened
 * from an experiment (its runs go there) or from a prompt version (`?prompt=&version=`, its template filled in).
 */
export function PromptLabScreen({ params, query }) {
  const fixedExperiment = params.id;
  const source = query?.get('prompt') ? { prompt: query.get('prompt'), version: query.get('version') || '' } : null;
  const [experimentId, setExperimentId] = useState(fixedExperiment || '');
  const [experimentList, setExperimentList] = useState([]);
  const [template, setTemplate] = useState('');
  const [loadError, setLoadError] = useState(null);
  const [sourceVersion, setSourceVersion] = useState(null);
  const [rows, setRows] = useState(() => [newRow()]);
  const [endpoints, setEndpoints] = useState([]);
  const [endpointError, setEndpointError] = useState(null);
  const [chosen, setChosen] = useState([]);
  const [temperature, setTemperature] = useState('0');
  const [maxTokens, setMaxTokens] = useState('256');
  const [problems, setProblems] = useState([]);
  const [grid, setGrid] = useState(null); // what was run: {template, rows, endpoints, parameters, experimentId}
  const [results, setResults] = useState({});
  const [extraColumns, setExtraColumns] = useState([]);
  const running = useRef(0);

  useEffect(() => {
    textEndpoints().then((found) => {
      setEndpoints(found);
      if (found.length) setChosen([found[0].name]);
    }, setEndpointError);
    if (fixedExperiment) {
      // for its name in the page (a failure leaves its id shown)
      experiment(fixedExperiment).then((x) => x && setExperimentList([x]), () => {});
    } else {
      experiments().then((found) => {
        setExperimentList(found);
        setExperimentId((current) => current || (found.find((e) => e.experiment_id === '0') || found[0])?.experiment_id || '');
      }, setEndpointError);
    }
    if (source) {
      getVersion(source.prompt, source.version ? { version: source.version } : {}).then((v) => {
        setSourceVersion(v);
        setTemplate(v.template?.text || '');
      }, setLoadError);
    }
  }, []);

  const variables = useMemo(() => variablesOf(template), [template]);
  const columns = [...variables, ...extraColumns.filter((c) => !variables.includes(c))];

  const setValue = (id, name, value) => setRows((all) => all.map((r) => (r.id === id ? { ...r, values: { ...r.values, [name]: value } } : r)));
  const toggle = (name, on) => setChosen((all) => (on ? [...all, name] : all.filter((n) => n !== name)));

  const run = async (e) => {
    e.preventDefault();
    const { parameters, problems: wrong } = parametersOf(temperature, maxTokens);
    const found = [...wrong];
    if (!template.trim()) found.push('The template is empty.');
    if (chosen.length === 0) found.push('Choose at least one endpoint.');
    found.push(...missingValues(variables, rows.map((r) => r.values)));
    setProblems(found);
    if (found.length) return;
    const ticket = ++running.current;
    const picked = endpoints.filter((p) => chosen.includes(p.name));
    const snapshot = {
      template, parameters, experimentId, endpoints: picked,
      rows: rows.map((r) => Object.fromEntries(variables.map((v) => [v, valueOf(r.values, v)]))),
    };
    setGrid(snapshot);
    const work = [];
    const initial = {};
    snapshot.rows.forEach((values, i) => picked.forEach((p) => {
      initial[`${i}|${p.name}`] = { state: 'waiting' };
      work.push({ key: `${i}|${p.name}`, endpoint: p, input: render(template, values) });
    }));
    setResults(initial);
    const update = (key, value) => {
      if (ticket === running.current) setResults((all) => ({ ...all, [key]: value }));
    };
    const worker = async () => {
      while (work.length && ticket === running.current) {
        const job = work.shift();
        update(job.key, { state: 'running' });
        try {
          const answer = await complete(job.endpoint, job.input, parameters);
          update(job.key, { state: 'done', input: job.input, ...answer });
        } catch (error) {
          update(job.key, { state: 'failed', error });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(AT_ONCE, work.length) }, worker));
  };

  const saveCell = (i, endpoint) => async () => {
    const key = `${i}|${endpoint.name}`;
    const r = results[key];
    const saved = await createPromptlabRun({
      experimentId: grid.experimentId, template: grid.template, values: grid.rows[i], endpoint,
      parameters: grid.parameters, input: r.input, output: r.text, usage: r.usage, latencyMs: r.latencyMs,
    });
    setResults((all) => ({ ...all, [key]: { ...all[key], run: saved, runHref: runHref(saved.info.experiment_id, saved.info.run_id) } }));
  };

  const experimentName = experimentList.find((x) => x.experiment_id === experimentId)?.name;
  const finished = grid && Object.values(results).every((r) => r.state === 'done' || r.state === 'failed');
  return html`
    <section class="prompts prompt-lab">
      <p class="crumbs">${fixedExperiment
        ? html`<a href=${experimentHref(fixedExperiment)}>${experimentName || `Experiment ${fixedExperiment}`}</a> ›`
        : source ? html`<a href=${promptHref(source.prompt)}>${source.prompt}</a> ›` : html`<a href="#/prompts">Prompts</a> ›`}</p>
      <h1>Prompt engineering</h1>
      ${sourceVersion ? html`<p class="muted">From <a href=${promptHref(sourceVersion.name)}>${sourceVersion.name}</a>, version ${sourceVersion.version}.</p>` : null}
      <${ErrorMessage} error=${loadError} />
      <form onSubmit=${run} aria-label="Prompt engineering">
        ${fixedExperiment ? null : html`
          <label class="experiment-choice"><span class="label">Experiment (where runs are kept)</span>
            <select value=${experimentId} onChange=${(e) => setExperimentId(e.currentTarget.value)}>
              ${experimentList.map((x) => html`<option value=${x.experiment_id}>${x.name}</option>`)}
            </select></label>`}
        <label><span class="label">Template</span>
          <textarea rows="6" value=${template} onInput=${(e) => setTemplate(e.currentTarget.value)}
            placeholder="Answer {{question}} in {{language}}."></textarea></label>
        <p class="variables" aria-live="polite" data-variables=${variables.join(',')}>
          ${variables.length
            ? html`Variables: ${variables.map((v, i) => html`${i ? ' ' : ''}<code key=${v}>${v}</code>`)}`
            : html`<span class="muted">No variables: write them as <code>{{name}}</code>.</span>`}
        </p>

        <h2 class="section-title">Rows</h2>
        <table class="grid rows" aria-label="Variable values">
          <thead><tr><th scope="col">Row</th>${columns.map((c) => html`<th scope="col" key=${c}>${c}</th>`)}
            <th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>${rows.map((r, i) => html`
            <tr key=${r.id} data-row=${i + 1}>
              <td>${i + 1}</td>
              ${columns.map((c) => html`<td key=${c}><input aria-label=${`${c} in row ${i + 1}`} value=${valueOf(r.values, c) || ''}
                onInput=${(e) => setValue(r.id, c, e.currentTarget.value)} /></td>`)}
              <td><button type="button" class="quiet small" aria-label=${`Remove row ${i + 1}`} disabled=${rows.length === 1}
                onClick=${() => setRows((all) => all.filter((x) => x.id !== r.id))}>Remove</button></td>
            </tr>`)}
          </tbody>
        </table>
        <p><button type="button" class="quiet" onClick=${() => setRows((all) => [...all, newRow()])}>Add row</button></p>

        <fieldset>
          <legend>Endpoints</legend>
          <${ErrorMessage} error=${endpointError} />
          <div class="choices">${endpoints.map((p) => html`
            <label class="check" key=${p.name}><input type="checkbox" checked=${chosen.includes(p.name)}
              onChange=${(e) => toggle(p.name, e.currentTarget.checked)} /> ${p.name}
              <span class="muted">(${p.endpoint_type.replace('llm/v1/', '')})</span></label>`)}
          </div>
          ${endpoints.length === 0 && !endpointError ? html`<p class="muted">No chat or completions endpoints.</p>` : null}
        </fieldset>
        <div class="row">
          <label><span class="label">Temperature</span>
            <input type="text" inputmode="decimal" value=${temperature} onInput=${(e) => setTemperature(e.currentTarget.value)} /></label>
          <label><span class="label">Max tokens</span>
            <input type="text" inputmode="numeric" value=${maxTokens} onInput=${(e) => setMaxTokens(e.currentTarget.value)} /></label>
          <button type="submit">Run</button>
          <span class="muted" role="status">${grid ? (finished ? 'Done' : 'Running…') : ''}</span>
        </div>
        ${problems.length ? html`<div class="error" role="alert"><strong>Not run:</strong>
          <ul>${problems.map((p) => html`<li key=${p}>${p}</li>`)}</ul></div>` : null}
      </form>

      ${grid ? html`
        <section class="panel" aria-labelledby="outputs-heading">
          <h2 id="outputs-heading">Outputs</h2>
          <p class="muted">Runs are saved in ${experimentName ? html`<a href=${experimentHref(grid.experimentId)}>${experimentName}</a>`
            : html`<a href=${experimentHref(grid.experimentId)}>experiment ${grid.experimentId}</a>`}.</p>
          <table class="grid outputs" aria-label="Outputs">
            <thead><tr><th scope="col">Row</th>${grid.endpoints.map((p) => html`<th scope="col" key=${p.name}>${p.name}</th>`)}</tr></thead>
            <tbody>${grid.rows.map((values, i) => html`
              <tr key=${i} data-row=${i + 1}>
                <th scope="row">${i + 1}${Object.keys(values).length
                  ? html`<dl class="cell-facts">${Object.entries(values).map(([k, v]) => html`<div key=${k}><dt class="visually-hidden">${k}</dt><dd>${k}: ${v}</dd></div>`)}</dl>` : null}</th>
                ${grid.endpoints.map((p) => html`<${Cell} key=${p.name} result=${results[`${i}|${p.name}`]} rowNumber=${i + 1}
                  endpoint=${p} save=${saveCell(i, p)} />`)}
              </tr>`)}
            </tbody>
          </table>
        </section>` : null}

      <${SaveTemplate} template=${template} source=${source} />
      <${JudgePanel} experimentId=${experimentId} template=${template} variables=${variables} rows=${rows}
        endpoints=${endpoints} chosen=${chosen} parametersOf=${() => parametersOf(temperature, maxTokens)}
        source=${sourceVersion && sourceVersion.template?.text === template ? sourceVersion : null}
        setExtraColumns=${setExtraColumns} />
    </section>`;
}

// The calls of the prompt engineering screen: the LLM endpoints it may use, one unstreamed invocation (as MLflow's
// Prompt Engineering UI makes it), MLflow 2.17's prompt-lab run, and Skein's prompt evaluations.
import { call, callAt } from '../../api.js';
import { listEndpoints } from '../llm/llmApi.js';

/** What MLflow's own UI sends as `mlflow_version` (Skein speaks MLflow 2.17.2's API). */
export const MLFLOW_VERSION = '2.17.2';

const TEXT_TYPES = new Set(['llm/v1/chat', 'llm/v1/completions']);
const MAX_PAGES = 10;

/** The chat and completions endpoints (embeddings cannot answer a prompt), every page up to ten, by name. */
export async function textEndpoints() {
  const found = [];
  let token = null;
  for (let i = 0; i < MAX_PAGES; i += 1) {
    const page = await listEndpoints(token);
    found.push(...page.items.filter((e) => TEXT_TYPES.has(e.endpoint_type)));
    token = page.next;
    if (!token) break;
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * One call of an endpoint with a rendered prompt (`POST /endpoints/{name}/invocations`, unstreamed): a chat gets it
 * as the user's message, a completion as its prompt; `parameters` (temperature, max_tokens) beside it. Resolves to
 * {text, usage, latencyMs} (the latency measured here, in the browser); rejects with the ApiError of a refusal.
 */
export async function complete(endpoint, prompt, parameters) {
  const payload = endpoint.endpoint_type === 'llm/v1/chat'
    ? { messages: [{ role: 'user', content: prompt }], ...parameters }
    : { prompt, ...parameters };
  const began = performance.now();
  const answer = await callAt(`/endpoints/${encodeURIComponent(endpoint.name)}/invocations`, { body: payload });
  const latencyMs = performance.now() - began;
  const choice = (answer.choices || [])[0] || {};
  return { text: choice.message?.content ?? choice.text ?? '', usage: answer.usage || null, latencyMs };
}

const pairs = (object) => Object.entries(object).map(([key, value]) => ({ key, value }));

/**
 * Keeps one output as MLflow 2.17's prompt-lab run (what its Prompt Engineering UI's "Create run" sends): the
 * template, the row's values, the endpoint, the model parameters, the rendered input, the output and its
 * `MLFLOW_`-prefixed metadata. Resolves to the run.
 */
export function createPromptlabRun({ experimentId, runName, template, values, endpoint, parameters, input, output, usage, latencyMs }) {
  const metadata = { route_type: endpoint.endpoint_type, latency: Math.round(latencyMs) };
  if (usage?.prompt_tokens !== undefined) metadata.input_tokens = usage.prompt_tokens;
  if (usage?.completion_tokens !== undefined) metadata.output_tokens = usage.completion_tokens;
  if (usage?.total_tokens !== undefined) metadata.total_tokens = usage.total_tokens;
  return call('mlflow/runs/create-promptlab-run', {
    body: {
      experiment_id: experimentId,
      run_name: runName || undefined,
      prompt_template: template,
      prompt_parameters: pairs(values),
      model_route: endpoint.name,
      model_parameters: pairs({ ...parameters, route_type: endpoint.endpoint_type }),
      model_input: input,
      model_output: output,
      model_output_parameters: pairs(Object.fromEntries(Object.entries(metadata).map(([k, v]) => [`MLFLOW_${k}`, v]))),
      mlflow_version: MLFLOW_VERSION,
    },
  }).then((a) => a.run);
}

/** Starts a prompt evaluation (one run per endpoint): resolves to its evaluations, in the endpoints' order. */
export function evaluatePrompt(spec) {
  return call('skein/evaluations', { body: { spec } }).then((a) => a.evaluations || (a.evaluation ? [a.evaluation] : []));
}

export function getEvaluation(id, signal) {
  return call('skein/evaluations/get', { query: { evaluation_id: id }, signal }).then((a) => a.evaluation);
}

/** Experiments to keep runs in, most recently changed first (one page). */
export function experiments() {
  return call('mlflow/experiments/search', { body: { max_results: 200, order_by: ['last_update_time DESC'] } })
    .then((a) => a.experiments || []);
}

/** One experiment, or null. */
export function experiment(id) {
  return call('mlflow/experiments/get', { query: { experiment_id: id } }).then((a) => a.experiment || null);
}

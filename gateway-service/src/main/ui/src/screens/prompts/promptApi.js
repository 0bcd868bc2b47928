// MLflow's prompt registry as the screens use it: prompts are registered models tagged
// `mlflow.prompt.is_prompt = true` (searched through MLflow's registered-models/search, which returns prompts only
// when its filter asks for them), aliases are the registered model's, and Skein's prompt API
// (`/api/2.0/skein/prompts/…`) creates, reads, lists and diffs versions.
import { call } from '../../api.js';

export const IS_PROMPT = 'mlflow.prompt.is_prompt';

export const promptsHref = () => '#/prompts';
export const promptHref = (name) => `#/prompts/${encodeURIComponent(name)}`;

/** The prompt engineering screen, prefilled with a prompt version's template; in an experiment when one is given. */
export function engineeringHref({ experimentId, prompt, version } = {}) {
  const query = new URLSearchParams();
  if (prompt) query.set('prompt', prompt);
  if (version) query.set('version', version);
  const tail = query.toString() ? `?${query}` : '';
  return experimentId !== undefined && experimentId !== null && experimentId !== ''
    ? `#/experiments/${encodeURIComponent(experimentId)}/prompt-engineering${tail}`
    : `#/prompt-engineering${tail}`;
}

/** A string literal of MLflow's filter language (quotes doubled). */
const literal = (text) => `'${text.replace(/'/g, "''")}'`;

/**
 * A page of prompts (`registered-models/search` asking for prompts), newest change first, their names containing
 * `text` in any case: {items, next}.
 */
export async function searchPrompts(text, token, max = 100) {
  const clauses = [`tags.\`${IS_PROMPT}\` = 'true'`];
  if (text) clauses.push(`name ILIKE ${literal(`%${text}%`)}`);
  const page = await call('mlflow/registered-models/search', {
    query: {
      filter: clauses.join(' AND '), max_results: max, order_by: ['last_updated_timestamp DESC'], page_token: token,
    },
  });
  return { items: page.registered_models || [], next: page.next_page_token || null };
}

/** The prompt's registered model (description, tags, aliases), or a RESOURCE_DOES_NOT_EXIST error. */
export function getPrompt(name) {
  return call('mlflow/registered-models/get', { query: { name } }).then((a) => a.registered_model);
}

/** A page of a prompt's versions, newest first: {items, next}. */
export async function listVersions(name, token, max = 50) {
  const page = await call('skein/prompts/versions/list', { query: { name, max_results: max, page_token: token } });
  return { items: page.prompt_versions || [], next: page.next_page_token || null };
}

/** One version: by number, by alias, or the latest when neither is given. */
export function getVersion(name, { version, alias } = {}) {
  return call('skein/prompts/versions/get', { query: { name, version, alias } }).then((a) => a.prompt_version);
}

/** The line diff of two versions' templates: {lines: [{op, text, from_line, to_line}], added, removed}. */
export function diffVersions(name, from, to) {
  return call('skein/prompts/versions/diff', { query: { name, from_version: from, to_version: to } });
}

/** A new prompt with its version 1; `template` is `{text}` or a chat's `{messages: [{role, content}]}`. */
export function createPrompt({ name, template, commitMessage, description }) {
  return call('skein/prompts/create', {
    body: { name, template, commit_message: commitMessage || undefined, description: description || undefined },
  }).then((a) => a.prompt_version);
}

/** A new version of a prompt (versions are immutable). */
export function createVersion({ name, template, commitMessage }) {
  return call('skein/prompts/versions/create', {
    body: { name, template, commit_message: commitMessage || undefined },
  }).then((a) => a.prompt_version);
}

/** Sets (or moves) an alias to a version: MLflow's registered-models/alias. */
export function setAlias(name, alias, version) {
  return call('mlflow/registered-models/alias', { body: { name, alias, version } });
}

export function removeAlias(name, alias) {
  return call('mlflow/registered-models/alias', { method: 'DELETE', body: { name, alias } });
}

/** A version's template as one text: a chat's messages as `[role]` lines before their content (as the diff shows them). */
export function templateText(version) {
  const t = version?.template || {};
  if (t.messages && t.messages.length) return t.messages.map((m) => `[${m.role}]\n${m.content}`).join('\n');
  return t.text || '';
}

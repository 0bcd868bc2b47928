// Skein's evaluation API (evaluation-service through the gateway): a run's evaluations, a model's
// validation rules and its versions' audits, and how the screens word them.
import { call } from './api.js';

/** Still to finish: the screens ask again until it has. */
export const UNFINISHED = new Set(['PENDING', 'RUNNING', 'AUDIT_PENDING']);

/** A run's evaluations, newest first (one page of up to `max`). */
export function runEvaluations(runId, { max = 100, signal } = {}) {
  return call('skein/evaluations/search', { query: { run_id: runId, max_results: max }, signal })
    .then((answer) => answer.evaluations || []);
}

/** The run's newest SUCCEEDED evaluation, or null. */
export async function latestSucceeded(runId, { signal } = {}) {
  const found = await runEvaluations(runId, { max: 20, signal });
  return found.find((e) => e.status === 'SUCCEEDED') || null;
}

/** A model's validation rules: {rules: [MetricThreshold], baseline_alias, user_id, last_updated_timestamp}. */
export function validationRules(name) {
  return call('skein/evaluations/rules/get', { query: { name } }).then((answer) => answer.rules || {});
}

/** The audits of one version of a model, newest first. */
export function versionAudits(name, version) {
  return call('skein/evaluations/audits/search', { query: { name, version } }).then((answer) => answer.audits || []);
}

/** An audit's verdict as people read it. */
export const AUDIT_VERDICT = { PASSED: 'Passed', AUDIT_FAILED: 'Failed', AUDIT_PENDING: 'Pending' };

const number = (v) => (v === undefined || v === null ? '' : String(v));

/**
 * A rule (MLflow's MetricThreshold) in words: "≥ 0.8; at least +0.01 and +5 % over the baseline;
 * higher is better". greater_is_better is required of every rule the service keeps.
 */
export function ruleText(rule) {
  if (!rule) return '';
  const higher = rule.greater_is_better === true;
  const parts = [];
  if (rule.threshold !== undefined && rule.threshold !== null) parts.push(`${higher ? '≥' : '≤'} ${number(rule.threshold)}`);
  const changes = [];
  if (rule.min_absolute_change !== undefined && rule.min_absolute_change !== null) {
    changes.push(`${higher ? '+' : '−'}${number(rule.min_absolute_change)}`);
  }
  if (rule.min_relative_change !== undefined && rule.min_relative_change !== null) {
    changes.push(`${higher ? '+' : '−'}${number(Math.round(rule.min_relative_change * 1e6) / 1e4)} %`);
  }
  if (changes.length) parts.push(`at least ${changes.join(' and ')} over the baseline`);
  parts.push(higher ? 'higher is better' : 'lower is better');
  return parts.join('; ');
}

// The prompt engineering screen's evaluation with LLM judges against the running suite: the chat endpoints and the
// `judge` endpoint call the local OpenAI-wire provider of deploy/e2e (OpenAiProvider), whose judge answers MLflow's
// {"score": N, "justification": …} with N from 1 to 5.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accessibilityViolations, api, BASE_URL, launch, open, screenshot } from './browser.mjs';

let browser;
const prefix = `ui-judge-${Date.now()}`;
let experimentId;

const q = (params) => new URLSearchParams(params).toString();

before(async () => {
  browser = await launch();
  experimentId = (await api('mlflow/experiments/create', { name: prefix })).experiment_id;
});

after(async () => {
  await browser?.close();
});

test('prompt engineering: evaluated over two endpoints by the judge endpoint, each endpoint\'s run with its scores', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/experiments/${experimentId}/prompt-engineering`);
  const form = page.getByRole('form', { name: 'Prompt engineering' });
  await form.getByRole('textbox', { name: 'Template' }).fill('Explain {{topic}} to me.');
  await form.getByRole('button', { name: 'Add row' }).click();
  await form.getByRole('textbox', { name: 'topic in row 1' }).fill('entropy');
  await form.getByRole('textbox', { name: 'topic in row 2' }).fill('gravity');
  for (const name of ['chat', 'chat-b']) await form.getByRole('checkbox', { name: `${name} (chat)` }).check();
  // max_tokens reaches the endpoints as an integer (llm-gateway-service refuses 256.0), the temperature as a double
  await form.getByRole('textbox', { name: 'Max tokens' }).fill('256');
  await form.getByRole('textbox', { name: 'Temperature' }).fill('0.5');

  const judges = page.getByRole('form', { name: 'Evaluate with judges' });
  assert.ok(await judges.getByRole('checkbox', { name: 'answer_relevance' }).isChecked());
  assert.equal(await judges.getByRole('combobox', { name: 'Judge endpoint' }).inputValue(), 'judge');
  await judges.getByRole('textbox', { name: 'Run name' }).fill(prefix);
  await judges.getByRole('button', { name: 'Evaluate' }).click();

  const runs = page.getByRole('table', { name: 'Evaluation runs' });
  for (const endpoint of ['chat', 'chat-b']) {
    await runs.locator(`tr[data-endpoint="${endpoint}"][data-status="SUCCEEDED"]`).waitFor({ timeout: 120_000 });
  }
  for (const endpoint of ['chat', 'chat-b']) {
    const row = runs.locator(`tr[data-endpoint="${endpoint}"]`);
    const link = row.getByRole('link', { name: `${prefix}-${endpoint}` });
    const runId = decodeURIComponent((await link.getAttribute('href')).split('/runs/')[1]);
    const judged = row.locator('[data-judge="answer_relevance"]');
    const shown = Number(await judged.getAttribute('data-mean'));
    const evaluations = await api(`skein/evaluations/search?${q({ run_id: runId })}`);
    assert.ok(shown >= 1 && shown <= 5,
      `the mean score shown: ${await judged.textContent()}; the run's evaluation: ${JSON.stringify(evaluations)}`);
    assert.equal(await row.locator('[data-failed-rows]').getAttribute('data-failed-rows'), '0');
    assert.match(await row.locator('[data-judge="answer_relevance"]').textContent(), /mean [\d.]+ · variance [\d.]+ · p90 [\d.]+/);
    // the same value as the run's metric
    const { run } = await api(`mlflow/runs/get?${q({ run_id: runId })}`);
    assert.equal(run.info.experiment_id, experimentId);
    const metric = run.data.metrics.find((m) => m.key === 'answer_relevance/v1/mean');
    assert.ok(metric, `the run's metrics: ${JSON.stringify(run.data.metrics)}`);
    assert.equal(metric.value, shown);
  }
  await screenshot(page, 'prompt-engineering-judges');
  assert.deepEqual(await accessibilityViolations(page), []);
  assert.deepEqual(errors, []);
  await context.close();
});

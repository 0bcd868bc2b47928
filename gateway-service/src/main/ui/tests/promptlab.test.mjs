// The prompt engineering screen against the running suite, whose chat endpoints call the local OpenAI-wire provider
// of deploy/e2e (OpenAiProvider): unstreamed, `chat` answers "You said: …", `chat-b` "[b] You said: …", `chat-c`
// "[c] You said: …", each with 5 prompt and 3 completion tokens; the message "busy" is refused with 429.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accessibilityViolations, api, BASE_URL, launch, open, screenshot } from './browser.mjs';

let browser;
const prefix = `ui-lab-${Date.now()}`;
const ask = `${prefix}-ask`;
let experimentId;

const q = (params) => new URLSearchParams(params).toString();
const cell = (page, row, endpoint) => page.getByRole('table', { name: 'Outputs' })
  .locator(`tr[data-row="${row}"] td[data-endpoint="${endpoint}"]`);

before(async () => {
  browser = await launch();
  experimentId = (await api('mlflow/experiments/create', { name: prefix })).experiment_id;
  await api('skein/prompts/create', { name: ask, template: { text: 'Answer {{question}} briefly.' }, commit_message: 'first' });
});

after(async () => {
  await browser?.close();
});

test('prompt engineering: variables found as typed, a missing value refused and named, 2 rows × 3 endpoints side by side, an output kept as a prompt-lab run', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/experiments/${experimentId}`);
  await page.getByRole('link', { name: 'Prompt engineering' }).click();
  await page.getByRole('heading', { name: 'Prompt engineering', level: 1 }).waitFor();
  assert.equal(new URL(page.url()).hash, `#/experiments/${experimentId}/prompt-engineering`);
  const form = page.getByRole('form', { name: 'Prompt engineering' });

  await form.getByRole('textbox', { name: 'Template' }).fill('Tell {{who}} about {{ constructor }}, {{who}}.');
  await page.locator('.variables[data-variables="who,constructor"]').waitFor();
  await form.getByRole('button', { name: 'Add row' }).click();
  await form.getByRole('textbox', { name: 'who in row 1' }).fill('Ada');
  await form.getByRole('textbox', { name: 'constructor in row 1' }).fill('engines');
  await form.getByRole('textbox', { name: 'who in row 2' }).fill('Alan');
  for (const name of ['chat', 'chat-b', 'chat-c']) await form.getByRole('checkbox', { name: `${name} (chat)` }).check();

  // row 2 has no constructor (a name every JavaScript object inherits, yet not a value): nothing is called, and the page says which row lacks which variable
  await form.getByRole('button', { name: 'Run', exact: true }).click();
  const refused = form.getByRole('alert');
  await refused.waitFor();
  assert.match(await refused.textContent(), /Row 2 has no value for \{\{constructor\}\}\./);
  assert.doesNotMatch(await refused.textContent(), /Row 1/);
  assert.equal(await page.getByRole('table', { name: 'Outputs' }).count(), 0);

  await form.getByRole('textbox', { name: 'constructor in row 2' }).fill('machines');
  await form.getByRole('button', { name: 'Run', exact: true }).click();
  await form.getByRole('status').getByText('Done').waitFor();
  assert.equal(await form.getByRole('alert').count(), 0);
  assert.equal(await page.locator('table.outputs td[data-state="done"]').count(), 6);
  const rows = { 1: 'Tell Ada about engines, Ada.', 2: 'Tell Alan about machines, Alan.' };
  for (const [row, input] of Object.entries(rows)) {
    for (const [endpoint, mark] of [['chat', ''], ['chat-b', '[b] '], ['chat-c', '[c] ']]) {
      const shown = cell(page, row, endpoint);
      assert.equal(await shown.locator('.output').textContent(), `${mark}You said: ${input}`);
      assert.equal(await shown.locator('[data-tokens="input"]').textContent(), '5 in');
      assert.equal(await shown.locator('[data-tokens="output"]').textContent(), '3 out');
      assert.equal(await shown.locator('[data-tokens="total"]').textContent(), '8 tokens');
      assert.ok(Number(await shown.locator('[data-latency]').getAttribute('data-latency')) >= 0);
    }
  }
  await screenshot(page, 'prompt-engineering');
  assert.deepEqual(await accessibilityViolations(page), []);

  // row 2 on chat-b kept as MLflow's prompt-lab run, in this experiment
  await page.getByRole('button', { name: 'Save as run: row 2 on chat-b' }).click();
  const link = cell(page, 2, 'chat-b').locator('a[data-run]');
  await link.waitFor();
  const runId = await link.getAttribute('data-run');
  assert.equal(await link.getAttribute('href'), `#/experiments/${experimentId}/runs/${runId}`);
  const { run } = await api(`mlflow/runs/get?${q({ run_id: runId })}`);
  assert.equal(run.info.experiment_id, experimentId);
  assert.equal(run.info.status, 'FINISHED');
  const params = Object.fromEntries(run.data.params.map((p) => [p.key, p.value]));
  assert.equal(params.model_route, 'chat-b');
  assert.equal(params.prompt_template, 'Tell {{who}} about {{ constructor }}, {{who}}.');
  assert.equal(params.route_type, 'llm/v1/chat');
  assert.equal(params.max_tokens, '256');
  const tags = Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
  assert.equal(tags['mlflow.runSourceType'], 'PROMPT_ENGINEERING');
  // the row's input and output, as MLflow writes them
  const table = await (await fetch(`${BASE_URL}/ajax-api/2.0/mlflow/get-artifact?${q({ run_uuid: runId, path: 'eval_results_table.json' })}`)).json();
  const at = (column) => table.data[0][table.columns.indexOf(column)];
  assert.equal(at('who'), 'Alan');
  assert.equal(at('constructor'), 'machines');
  assert.equal(at('prompt'), 'Tell Alan about machines, Alan.');
  assert.equal(at('output'), '[b] You said: Tell Alan about machines, Alan.');
  assert.equal(String(at('MLFLOW_total_tokens')), '8');

  // the saved run opens
  await link.click();
  await page.waitForFunction((id) => window.location.hash.endsWith(`/runs/${id}`), runId);
  assert.deepEqual(errors, []);
  await context.close();
});

test('prompt engineering: opened from a prompt version, run, and its edited template saved as the next version and as a new prompt', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/prompts/${encodeURIComponent(ask)}`);
  await page.getByRole('link', { name: 'Open in prompt engineering: version 1' }).click();
  await page.getByRole('heading', { name: 'Prompt engineering', level: 1 }).waitFor();
  const form = page.getByRole('form', { name: 'Prompt engineering' });
  const template = form.getByRole('textbox', { name: 'Template' });
  await page.locator('.variables[data-variables="question"]').waitFor();
  assert.equal(await template.inputValue(), 'Answer {{question}} briefly.');
  await form.getByRole('textbox', { name: 'question in row 1' }).fill('why the sky is blue');
  await form.getByRole('checkbox', { name: 'chat (chat)' }).check();
  await form.getByRole('button', { name: 'Run', exact: true }).click();
  await form.getByRole('status').getByText('Done').waitFor();
  assert.equal(await cell(page, 1, 'chat').locator('.output').textContent(), 'You said: Answer why the sky is blue briefly.');

  // the next version of the prompt it came from
  await template.fill('Answer {{question}} in one sentence for {{audience}}.');
  await page.locator('.variables[data-variables="question,audience"]').waitFor();
  const save = page.getByRole('form', { name: 'Save the template' });
  assert.ok(await save.getByRole('radio', { name: 'a new version of a prompt' }).isChecked());
  assert.equal(await save.getByRole('textbox', { name: 'Prompt name' }).inputValue(), ask);
  await save.getByRole('textbox', { name: 'Commit message' }).fill('one sentence');
  await save.getByRole('button', { name: 'Save template' }).click();
  await page.getByRole('status').getByRole('link', { name: `version 2 of ${ask}` }).waitFor();
  const v2 = (await api(`skein/prompts/versions/get?${q({ name: ask, version: '2' })}`)).prompt_version;
  assert.equal(v2.template.text, 'Answer {{question}} in one sentence for {{audience}}.');
  assert.equal(v2.commit_message, 'one sentence');
  assert.deepEqual(v2.variables, ['question', 'audience']);

  // and a prompt of its own
  const copy = `${prefix}-copy`;
  await save.getByRole('radio', { name: 'a new prompt' }).check();
  await save.getByRole('textbox', { name: 'Prompt name' }).fill(copy);
  await save.getByRole('button', { name: 'Save template' }).click();
  await page.getByRole('status').getByRole('link', { name: `version 1 of ${copy}` }).waitFor();
  const made = (await api(`skein/prompts/versions/get?${q({ name: copy })}`)).prompt_version;
  assert.equal(made.version, '1');
  assert.equal(made.template.text, 'Answer {{question}} in one sentence for {{audience}}.');
  assert.deepEqual(errors, []);
  await context.close();
});

test('prompt engineering: a refused call is shown in its own cell, with the provider\'s message; the other rows answer', async () => {
  const { page, errors, expected, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/experiments/${experimentId}/prompt-engineering`);
  const form = page.getByRole('form', { name: 'Prompt engineering' });
  await form.getByRole('textbox', { name: 'Template' }).fill('{{word}}');
  await form.getByRole('button', { name: 'Add row' }).click();
  await form.getByRole('textbox', { name: 'word in row 1' }).fill('busy');
  await form.getByRole('textbox', { name: 'word in row 2' }).fill('hello');
  await form.getByRole('checkbox', { name: 'chat (chat)' }).check();
  // parameters the endpoints would refuse are refused here, before any call
  await form.getByRole('textbox', { name: 'Temperature' }).fill('hot');
  await form.getByRole('textbox', { name: 'Max tokens' }).fill('2.5');
  await form.getByRole('button', { name: 'Run', exact: true }).click();
  const wrong = await form.getByRole('alert').textContent();
  assert.match(wrong, /Temperature must be a number from 0 to 2\./);
  assert.match(wrong, /Max tokens must be a whole number of at least 1\./);
  assert.equal(await page.getByRole('table', { name: 'Outputs' }).count(), 0);
  await form.getByRole('textbox', { name: 'Temperature' }).fill('0.7');
  await form.getByRole('textbox', { name: 'Max tokens' }).fill('64');
  expected.push('/endpoints/chat/invocations');
  await form.getByRole('button', { name: 'Run', exact: true }).click();
  await form.getByRole('status').getByText('Done').waitFor();
  const refused = cell(page, 1, 'chat');
  assert.equal(await refused.getAttribute('data-state'), 'failed');
  assert.match(await refused.getByRole('alert').textContent(),
    /REQUEST_LIMIT_EXCEEDED \(HTTP 429\) The e2e provider is busy — try again in 7 s/);
  assert.equal(await cell(page, 2, 'chat').locator('.output').textContent(), 'You said: hello');
  expected.length = 0;
  assert.deepEqual(errors, []);
  await context.close();
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accessibilityViolations, api, BASE_URL, launch, open, putArtifact, screenshot } from './browser.mjs';

const stamp = Date.now();
const model = `ui-eval-model-${stamp}`;
let browser;
let experimentId;
let binary; // a binary classifier's run, evaluated when it finished
let multiclass; // a multiclass one: per-class metrics
let unevaluated; // a run with no evaluation
let binaryEvaluation;

/** Polls `read` until `done(value)`, for at most a minute. */
async function waitFor(what, read, done) {
  const until = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const evaluationsOf = async (runId) => (await api(`skein/evaluations/search?run_id=${runId}`)).evaluations || [];

/** A run whose predictions table is uploaded and which finishes with the skein.evaluate.* tags. */
async function evaluatedRun(runName, csv, tags, more = {}) {
  const run = (await api('mlflow/runs/create', { experiment_id: experimentId, run_name: runName })).run;
  await putArtifact(run, 'eval/preds.csv', csv);
  for (const [path, body] of Object.entries(more)) await putArtifact(run, path, body);
  for (const [key, value] of Object.entries(tags)) {
    await api('mlflow/runs/set-tag', { run_id: run.info.run_id, key: `skein.evaluate.${key}`, value });
  }
  await api('mlflow/runs/update', { run_id: run.info.run_id, status: 'FINISHED', end_time: Date.now() });
  const [evaluation] = await waitFor(`the evaluation of ${runName}`, () => evaluationsOf(run.info.run_id),
    (found) => found.length > 0 && ['SUCCEEDED', 'FAILED'].includes(found[0].status));
  assert.equal(evaluation.status, 'SUCCEEDED', evaluation.status_message);
  return { run, evaluation };
}

/** A finished run with the metrics an audit reads. */
async function runWithMetrics(runName, metrics) {
  const run = (await api('mlflow/runs/create', { experiment_id: experimentId, run_name: runName })).run;
  await api('mlflow/runs/log-batch', {
    run_id: run.info.run_id,
    metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp: Date.now(), step: 0 })),
  });
  await api('mlflow/runs/update', { run_id: run.info.run_id, status: 'FINISHED', end_time: Date.now() });
  return run;
}

/** A new version of the model from `run`, once its audit has ended and the registry tagged it. */
async function auditedVersion(run) {
  const { version } = (await api('mlflow/model-versions/create', {
    name: model, source: `runs:/${run.info.run_id}/model`, run_id: run.info.run_id,
  })).model_version;
  await waitFor(`the audit of version ${version}`,
    async () => (await api(`mlflow/model-versions/get?name=${model}&version=${version}`)).model_version.tags || [],
    (tags) => tags.some((t) => t.key === 'skein.audit.status'));
  return version;
}

before(async () => {
  browser = await launch();
  experimentId = (await api('mlflow/experiments/create', { name: `ui-eval-${stamp}` })).experiment_id;

  // 200 rows, every tenth one wrong: accuracy 0.9
  const rows = ['id,label,prediction,proba'];
  for (let i = 0; i < 200; i += 1) {
    const label = i % 2;
    const prediction = i % 10 === 0 ? 1 - label : label;
    const proba = prediction === 1 ? 0.6 + (i % 7) / 20 : 0.4 - (i % 7) / 20;
    rows.push(`row-${String(i).padStart(3, '0')},${label},${prediction},${proba.toFixed(3)}`);
  }
  ({ run: binary, evaluation: binaryEvaluation } = await evaluatedRun('binary', `${rows.join('\n')}\n`, {
    data: 'eval/preds.csv', model_type: 'classifier', targets: 'label', predictions: 'prediction', probabilities: 'proba',
  }));

  const classes = ['bird', 'cat', 'dog'];
  const lines = ['animal,guess,p_bird,p_cat,p_dog'];
  for (let i = 0; i < 60; i += 1) {
    const truth = classes[i % 3];
    const guess = i % 5 === 0 ? classes[(i + 1) % 3] : truth;
    const p = classes.map((c) => (c === guess ? 0.8 : 0.1));
    lines.push(`${truth},${guess},${p.join(',')}`);
  }
  ({ run: multiclass } = await evaluatedRun('multiclass', `${lines.join('\n')}\n`, {
    data: 'eval/preds.csv', model_type: 'classifier', targets: 'animal', predictions: 'guess', probabilities: 'p_bird,p_cat,p_dog',
  }, {
    // MLflow's per-row results, as mlflow.evaluate logs them for other model types
    'eval_results_table.json': JSON.stringify({ columns: ['photo', 'caption'], data: [['a.jpg', 'a cat'], ['b.jpg', 'two dogs'], ['c.jpg', 'a dog']] }),
  }));

  unevaluated = (await api('mlflow/runs/create', { experiment_id: experimentId, run_name: 'not-evaluated' })).run;

  // a model whose versions must reach 0.75 accuracy and beat the champion's f1 by 0.05
  await api('mlflow/registered-models/create', { name: model });
  await api('skein/evaluations/rules', {
    name: model,
    baseline_alias: 'champion',
    rules: [
      { metric: 'accuracy_score', threshold: 0.75, greater_is_better: true },
      { metric: 'f1_score', min_absolute_change: 0.05, greater_is_better: true },
    ],
  });
  const champion = await auditedVersion(await runWithMetrics('champion', { accuracy_score: 0.8, f1_score: 0.7 }));
  await api('mlflow/registered-models/alias', { name: model, alias: 'champion', version: champion });
  await auditedVersion(await runWithMetrics('too-close', { accuracy_score: 0.85, f1_score: 0.72 }));
  await auditedVersion(await runWithMetrics('better', { accuracy_score: 0.9, f1_score: 0.8 }));
});

after(async () => {
  await browser?.close();
});

const runUrl = (run) => `${BASE_URL}/#/experiments/${experimentId}/runs/${run.info.run_id}`;

test('evaluations: a run\'s evaluation — its status, trigger, rows, metrics and plots', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(runUrl(binary));
  const list = page.getByRole('table', { name: 'Evaluations' });
  const row = list.locator(`tr[data-evaluation="${binaryEvaluation.evaluation_id}"]`);
  await row.waitFor();
  const cells = await row.locator('td').allTextContents();
  assert.deepEqual(cells.slice(0, 5), ['SUCCEEDED', 'classifier', 'eval/preds.csv', 'run finished', '200']);
  assert.match(cells[5], /^\d+(\.\d)? (s|min)$/, 'how long it took');
  assert.equal(cells[6], binaryEvaluation.user_id || '');

  // the metrics as computed: 180 of 200 right, the 20 wrong ones all negatives predicted positive
  const metrics = page.getByRole('table', { name: 'Metrics of the evaluation' });
  const value = (key) => metrics.getByRole('row', { name: new RegExp(`^${key} `) }).locator('td').textContent();
  assert.equal(await value('accuracy_score'), '0.9');
  assert.equal(await value('example_count'), '200');
  assert.equal(await value('true_positives'), '100');
  assert.equal(await value('false_positives'), '20');
  assert.equal(await value('true_negatives'), '80');
  assert.equal(await metrics.locator('tbody tr').count(), binaryEvaluation.metrics.length);

  // the ROC, precision-recall, lift and confusion plots, drawn from the PNGs the evaluation logged
  for (const plot of ['roc_curve_plot.png', 'precision_recall_curve_plot.png', 'lift_curve_plot.png', 'confusion_matrix.png']) {
    const image = page.locator('.eval-plots').getByRole('img', { name: plot });
    await image.waitFor();
    await page.waitForFunction((alt) => document.querySelector(`.eval-plots img[alt="${alt}"]`)?.naturalWidth > 100, plot);
  }
  await page.locator('.eval-plots').scrollIntoViewIfNeeded();
  await screenshot(page, 'evaluations-run');
  assert.deepEqual(await accessibilityViolations(page), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('evaluations: the per-class metrics and the rows evaluated, as tables filtered by a text', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(runUrl(multiclass));
  await page.getByRole('table', { name: 'Metrics of the evaluation' }).waitFor();
  // per_class_metrics.csv first: a row per class
  const table = page.locator('.evaluations .preview-table table');
  await page.getByText('3 of 3 rows shown').waitFor();
  assert.equal(await table.locator('th').first().textContent(), 'positive_class');
  assert.deepEqual(await table.locator('tbody tr td:first-child').allTextContents(), ['bird', 'cat', 'dog']);
  const filter = page.getByRole('searchbox', { name: 'Filter rows of per_class_metrics.csv' });
  await filter.fill('dog');
  await page.getByText('1 of 1 matching rows shown (3 rows read)').waitFor();
  assert.deepEqual(await table.locator('tbody tr td:first-child').allTextContents(), ['dog']);

  // MLflow's results table, logged beside the evaluation
  const tables = page.getByRole('group', { name: 'Tables of the evaluation' });
  await tables.getByRole('button', { name: 'eval_results_table.json' }).click();
  await page.getByText('3 of 3 rows shown').waitFor();
  assert.deepEqual(await table.locator('th').allTextContents(), ['photo', 'caption']);
  await page.getByRole('searchbox', { name: 'Filter rows of eval_results_table.json' }).fill('dog');
  await page.getByText('2 of 2 matching rows shown (3 rows read)').waitFor();
  assert.deepEqual(await table.locator('tbody tr td:first-child').allTextContents(), ['b.jpg', 'c.jpg']);

  // the rows evaluated: the run's table of predictions
  await tables.getByRole('button', { name: 'Rows evaluated (eval/preds.csv)' }).click();
  await page.getByText('60 of 60 rows shown').waitFor();
  assert.deepEqual(await table.locator('th').allTextContents(), ['animal', 'guess', 'p_bird', 'p_cat', 'p_dog']);
  const rowsFilter = page.getByRole('searchbox', { name: 'Filter rows of eval/preds.csv' });
  await rowsFilter.fill('BIRD');
  // case ignored; a row holding "bird" in any column (as truth or as guess)
  await page.getByText(/^\d+ of \d+ matching rows shown \(60 rows read\)$/).waitFor();
  const animals = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].slice(0, 2).map((c) => c.textContent)));
  assert.ok(animals.length > 0 && animals.length < 60);
  assert.ok(animals.every(([truth, guess]) => truth === 'bird' || guess === 'bird'), JSON.stringify(animals));
  await rowsFilter.fill('no such text');
  await page.getByText('0 of 0 matching rows shown (60 rows read)').waitFor();
  assert.equal(await table.locator('tbody tr').count(), 0);
  await screenshot(page, 'evaluations-tables');
  assert.deepEqual(errors, []);
  await context.close();
});

test('evaluations: a summarization — ROUGE and readability, its per-row scores filtered, toxicity not computed', async () => {
  const csv = 'article,summary,generated\na1,The cat sat.,The cat sat.\na2,Dogs bark loudly at night.,Birds sing.\n';
  const { run } = await evaluatedRun('summaries', csv, {
    data: 'eval/preds.csv', model_type: 'text-summarization', targets: 'summary', predictions: 'generated',
  });
  const { page, errors, context } = await open(browser);
  await page.goto(runUrl(run));
  const metrics = page.getByRole('table', { name: 'Metrics of the evaluation' });
  await metrics.waitFor();
  // one summary matches its reference word for word, the other shares no word
  assert.equal(await metrics.locator('tr', { hasText: 'rouge1/v1/mean' }).locator('td').textContent(), '0.5');
  assert.equal(await metrics.locator('tr', { hasText: 'flesch_kincaid_grade_level/v1/mean' }).count(), 1);
  await page.getByText(/^Not computed: toxicity\/v1 \(.*model/).waitFor();

  // the evaluation's per-row results come first among its tables
  const table = page.locator('.evaluations .preview-table table');
  await page.getByText('2 of 2 rows shown').waitFor();
  assert.deepEqual((await table.locator('th').allTextContents()).slice(0, 5),
    ['article', 'summary', 'generated', 'token_count', 'flesch_kincaid_grade_level/v1/score']);
  await page.getByRole('searchbox', { name: 'Filter rows of eval_results_table.json' }).fill('birds');
  await page.getByText('1 of 1 matching rows shown (2 rows read)').waitFor();
  assert.deepEqual(await table.locator('tbody tr td:first-child').allTextContents(), ['a2']);
  await screenshot(page, 'evaluations-text');
  assert.deepEqual(errors, []);
  await context.close();
});

test('evaluations: a run evaluated from its page, and a failed evaluation\'s reason shown', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(runUrl(binary));
  await page.getByRole('table', { name: 'Evaluations' }).waitFor();
  await page.getByRole('button', { name: 'Evaluate …' }).click();
  const form = page.getByRole('form', { name: 'Evaluate this run' });
  // started from the last evaluation's spec
  assert.equal(await form.getByRole('textbox', { name: /Table of predictions/ }).inputValue(), 'eval/preds.csv');
  assert.equal(await form.getByRole('textbox', { name: 'Targets column' }).inputValue(), 'label');
  await form.getByRole('textbox', { name: 'Predictions column' }).fill('no_such_column');
  await form.getByRole('button', { name: 'Evaluate' }).click();

  // the new one is listed first, chosen, and followed until it ends
  const rows = page.getByRole('table', { name: 'Evaluations' }).locator('tbody tr');
  await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Evaluations"] tbody tr').length === 2);
  const reason = page.locator('.eval-detail .eval-reason');
  await reason.waitFor({ timeout: 30_000 });
  const failed = (await evaluationsOf(binary.info.run_id))[0];
  assert.equal(failed.status, 'FAILED');
  assert.equal(failed.spec.predictions, 'no_such_column');
  assert.equal(failed.trigger, 'API');
  assert.equal(await reason.textContent(), `Failed: ${failed.status_message}`);
  assert.match(failed.status_message, /no_such_column/);
  assert.match(await rows.first().textContent(), /FAILED/);
  assert.match(await rows.first().locator('.eval-why').textContent(), /no_such_column/);
  assert.match(await rows.first().textContent(), /API/);
  assert.equal(await page.getByRole('table', { name: 'Metrics of the evaluation' }).count(), 0, 'a failed evaluation has no metrics');

  // the earlier one can be chosen again
  await rows.nth(1).getByRole('button').click();
  await page.getByRole('table', { name: 'Metrics of the evaluation' }).waitFor();
  assert.equal(await reason.count(), 0);
  await screenshot(page, 'evaluations-failed');
  assert.deepEqual(errors, []);
  await context.close();
});

test('evaluations: compared across runs — the newest succeeded one\'s metrics side by side', async () => {
  const { page, errors, context } = await open(browser);
  const ids = [binary, multiclass, unevaluated].map((r) => r.info.run_id);
  await page.goto(`${BASE_URL}/#/compare-runs?runs=${encodeURIComponent(JSON.stringify(ids))}`
    + `&experiments=${encodeURIComponent(JSON.stringify([experimentId]))}`);
  const region = page.getByRole('region', { name: 'Evaluation metrics of the runs' });
  await region.waitFor();
  // the binary run also has a failed evaluation, newer: the succeeded one is compared
  const multi = (await evaluationsOf(multiclass.info.run_id))[0];
  const accuracy = region.locator('tr[data-key="accuracy_score"] td');
  await page.waitForFunction(() => !document.querySelector('.compare-evaluations .count'));
  assert.deepEqual(await accuracy.allTextContents(),
    ['0.9', String(multi.metrics.find((m) => m.key === 'accuracy_score').value), '']);
  assert.match(await region.locator('tr[data-key="accuracy_score"] th').textContent(), /values differ/);
  const evaluationRow = region.getByRole('row', { name: /^Evaluation/ }).locator('td');
  assert.match(await evaluationRow.nth(0).textContent(), /classifier · 200 rows/);
  assert.match(await evaluationRow.nth(1).textContent(), /classifier · 60 rows/);
  assert.equal(await evaluationRow.nth(2).textContent(), 'not evaluated');
  assert.deepEqual(await region.locator('thead th a').allTextContents(), ['binary', 'multiclass', 'not-evaluated']);
  await region.scrollIntoViewIfNeeded();
  await screenshot(page, 'evaluations-compare');
  assert.deepEqual(errors, []);
  await context.close();
});

test('validation: a version\'s audit verdict, its report and each rule\'s outcome against the champion', async () => {
  const { page, errors, context } = await open(browser);
  const [audit] = (await api(`skein/evaluations/audits/search?name=${model}&version=2`)).audits;
  assert.equal(audit.status, 'AUDIT_FAILED');
  await page.goto(`${BASE_URL}/#/models/${encodeURIComponent(model)}/versions/2`);
  const panel = page.locator('section.audit');
  await panel.locator('[data-verdict]').waitFor();
  assert.equal(await panel.locator('[data-verdict]').textContent(), 'Failed');
  assert.equal(await panel.locator('.audit-report').textContent(), audit.report);
  assert.equal(await panel.getByRole('link', { name: 'Version 1' }).getAttribute('href'), `#/models/${model}/versions/1`);
  assert.match(await panel.textContent(), /@ champion/);

  const outcomes = page.getByRole('table', { name: 'Rule outcomes' });
  const cells = (metric) => outcomes.locator(`tr[data-metric="${metric}"] td`).allTextContents();
  const said = (metric) => audit.outcomes.find((o) => o.metric === metric).message;
  assert.deepEqual(await cells('accuracy_score'), ['≥ 0.75; higher is better', '0.85', '0.8', 'Passed', said('accuracy_score')]);
  const f1 = await cells('f1_score');
  assert.deepEqual(f1.slice(0, 4), ['at least +0.05 over the baseline; higher is better', '0.72', '0.7', 'Failed']);
  assert.match(said('f1_score'), /f1_score/, 'the service says why the rule failed');
  assert.equal(f1[4], said('f1_score'));
  await screenshot(page, 'evaluations-audit-failed');
  assert.deepEqual(await accessibilityViolations(page), []);

  await page.goto(`${BASE_URL}/#/models/${encodeURIComponent(model)}/versions/3`);
  await panel.locator('[data-verdict]').waitFor();
  assert.equal(await panel.locator('[data-verdict]').textContent(), 'Passed');
  assert.deepEqual(await outcomes.locator('tbody tr td:nth-child(5)').allTextContents(), ['Passed', 'Passed']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('validation: the model\'s rules and its versions\' verdicts on the model page; rules edited there', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/models/${encodeURIComponent(model)}`);
  const rules = page.getByRole('table', { name: 'Validation rules' });
  await rules.waitFor();
  assert.deepEqual(await rules.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.textContent)), [
    'accuracy_score≥ 0.75; higher is better',
    'f1_scoreat least +0.05 over the baseline; higher is better',
  ]);
  const panel = page.locator('section[aria-labelledby="rules-heading"]');
  assert.equal(await panel.getByRole('link', { name: 'Version 1' }).getAttribute('href'), `#/models/${model}/versions/1`);
  // the verdicts the registry tagged the versions with
  const verdict = (v) => page.locator(`tr[data-version="${v}"] .verdict`).textContent();
  assert.equal(await verdict(2), 'Failed');
  assert.equal(await verdict(3), 'Passed');
  await screenshot(page, 'evaluations-rules');

  // a rule added, lower is better
  await page.getByRole('button', { name: 'Edit rules' }).click();
  await page.getByRole('button', { name: 'Add a rule' }).click();
  await page.getByRole('textbox', { name: 'Metric of rule 3' }).fill('log_loss');
  await page.getByRole('textbox', { name: 'Threshold of rule 3' }).fill('0.5');
  await page.getByRole('checkbox', { name: 'Higher is better for rule 3' }).uncheck();
  await page.getByRole('button', { name: 'Save rules' }).click();
  await rules.locator('tr[data-metric="log_loss"]').waitFor();
  assert.equal(await rules.locator('tr[data-metric="log_loss"] td').textContent(), '≤ 0.5; lower is better');
  const stored = (await api(`skein/evaluations/rules/get?name=${model}`)).rules;
  assert.deepEqual(stored.rules.find((r) => r.metric === 'log_loss'), { metric: 'log_loss', threshold: 0.5, greater_is_better: false });
  assert.equal(stored.rules.length, 3);
  assert.deepEqual(errors, []);
  await context.close();
});

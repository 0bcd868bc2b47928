import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accessibilityViolations, api, BASE_URL, launch, open, putArtifact, screenshot } from './browser.mjs';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
// a one-page PDF saying "Skein"
const PDF = Buffer.from(['%PDF-1.4',
  '1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj',
  '2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj',
  '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj',
  '4 0 obj<</Length 36>>stream\nBT /F1 18 Tf 20 40 Td (Skein) Tj ET\nendstream endobj',
  '5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj',
  'trailer<</Root 1 0 R>>', '%%EOF', ''].join('\n'));
const stamp = Date.now();
let browser;
let experimentId;
let run;
let parent;

before(async () => {
  browser = await launch();
  experimentId = (await api('mlflow/experiments/create', { name: `ui-run-${stamp}` })).experiment_id;
  parent = (await api('mlflow/runs/create', { experiment_id: experimentId, run_name: 'sweep' })).run;
  run = (await api('mlflow/runs/create', {
    experiment_id: experimentId,
    run_name: 'trial-7',
    start_time: 1_700_000_000_000,
    tags: [
      { key: 'mlflow.source.name', value: 'train.py' },
      { key: 'mlflow.parentRunId', value: parent.info.run_id },
      { key: 'team', value: 'vision' },
    ],
  })).run;
  const runId = run.info.run_id;
  const metrics = [];
  for (let step = 0; step < 40; step += 1) {
    metrics.push({ key: 'loss', value: 1 / (step + 1), timestamp: 1_700_000_000_000 + step, step });
  }
  metrics.push({ key: 'accuracy', value: 0.93, timestamp: 1_700_000_100_000, step: 39 });
  await api('mlflow/runs/log-batch', {
    run_id: runId,
    metrics,
    params: [{ key: 'lr', value: '0.01' }, { key: 'model', value: 'resnet' }],
  });
  await api('mlflow/runs/log-inputs', {
    run_id: runId,
    datasets: [{
      tags: [{ key: 'mlflow.data.context', value: 'training' }],
      dataset: {
        name: 'flowers', digest: 'abc123', source_type: 'local', source: '{"uri": "/data/flowers"}',
        schema: '{"mlflow_colspec": [{"type": "double", "name": "petal"}]}',
      },
    }],
  });
  await putArtifact(run, 'notes.txt', 'first line\nsecond line\n');
  await putArtifact(run, 'data/scores.csv', 'name,score\n"Smith, J",0.5\nLee,0.75\n');
  await putArtifact(run, 'data/config.json', '{"depth":3,"layers":[1,2]}');
  await putArtifact(run, 'eval_results_table.json', '{"columns":["input","output"],"data":[["2+2","4"],["3+3","6"]]}');
  await putArtifact(run, 'plots/confusion.png', PNG);
  await putArtifact(run, 'report.html', '<h1 id="r">Report</h1><script>document.title = "ran"</script>');
  await putArtifact(run, 'docs/summary.pdf', PDF);
  await putArtifact(run, 'plots/curve.svg', '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
    + '<script>parent.document.title = "svg ran"</script><rect width="40" height="20" fill="teal"/></svg>');
  await putArtifact(run, 'logs/train.log', `${'x'.repeat(99)}\n`.repeat(21_000));
  await putArtifact(run, 'model/MLmodel', 'artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n');
  await putArtifact(run, 'model/model.pkl', Buffer.from([0x80, 0x04, 0x95, 0x00]));
});

after(async () => {
  await browser?.close();
});

const runUrl = () => `${BASE_URL}/#/experiments/${experimentId}/runs/${run.info.run_id}`;

test('run: MLflow\'s #/experiments/{id}/runs/{run_id} shows the overview, params, metrics with sparklines and datasets', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(runUrl());
  await page.getByRole('heading', { name: 'trial-7' }).waitFor();
  const overview = page.locator('dl.overview');
  assert.match(await overview.textContent(), new RegExp(run.info.run_id));
  assert.match(await overview.textContent(), /train\.py/);
  assert.equal(await page.getByRole('link', { name: parent.info.run_id }).getAttribute('href'),
    `#/experiments/${experimentId}/runs/${parent.info.run_id}`);
  assert.equal(await page.getByRole('link', { name: `ui-run-${stamp}` }).getAttribute('href'), `#/experiments/${experimentId}`);

  const params = page.getByRole('table', { name: 'Parameters' });
  assert.equal(await params.getByRole('row', { name: /lr/ }).locator('td').textContent(), '0.01');
  const metrics = page.getByRole('table', { name: 'Metrics' });
  assert.equal(await metrics.getByRole('row', { name: /loss/ }).locator('td').first().textContent(), String(1 / 40));
  // the sparkline is read once it is scrolled into view, from the sampled history (40 steps)
  await metrics.scrollIntoViewIfNeeded();
  await metrics.getByRole('img', { name: 'loss: 40 points' }).waitFor();
  const link = await metrics.getByRole('link', { name: 'loss' }).getAttribute('href');
  assert.equal(link, `#/metric/loss?runs=${encodeURIComponent(JSON.stringify([run.info.run_id]))}`
    + `&experiments=${encodeURIComponent(JSON.stringify([experimentId]))}`);

  const datasets = page.locator('#run-datasets').locator('..');
  await datasets.getByText('flowers', { exact: true }).waitFor();
  assert.match(await datasets.textContent(), /training/);
  await datasets.getByText('Schema').click();
  assert.match(await datasets.textContent(), /petal/);

  assert.deepEqual(await accessibilityViolations(page), []);
  await screenshot(page, 'run');
  assert.deepEqual(errors, []);
  await context.close();
});

test('run: the description in Markdown and the tags are edited in place', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(runUrl());
  await page.getByRole('button', { name: 'Edit the description of trial-7' }).click();
  await page.getByRole('textbox', { name: 'Description of trial-7 (Markdown)' }).fill('# Findings\n\nLower **lr** helps.\n\n<img src=x onerror=alert(1)>');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.locator('.description h1', { hasText: 'Findings' }).waitFor();
  assert.equal(await page.locator('.description strong').textContent(), 'lr');
  assert.equal(await page.locator('.description img').count(), 0, 'raw HTML in a description is shown as text, never run');
  const stored = await api(`mlflow/runs/get?run_id=${run.info.run_id}`);
  assert.match(stored.run.data.tags.find((t) => t.key === 'mlflow.note.content').value, /^# Findings/);

  const tags = page.getByRole('table', { name: 'Run tags' });
  assert.equal(await tags.getByRole('row', { name: /mlflow\.source\.name/ }).count(), 0, 'system tags hidden');
  await page.getByRole('textbox', { name: 'Tag key' }).fill('owner');
  await page.getByRole('textbox', { name: 'Tag value' }).fill('ana');
  await page.getByRole('button', { name: 'Add tag' }).click();
  await tags.getByRole('row', { name: /owner/ }).waitFor();
  await page.getByRole('button', { name: 'Edit tag owner' }).click();
  await page.getByRole('textbox', { name: 'Value of tag owner' }).fill('bo');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await tags.getByRole('row', { name: 'owner bo' }).waitFor();
  await page.getByRole('button', { name: 'Delete tag team' }).click();
  await page.waitForFunction(() => ![...document.querySelectorAll('table[aria-label="Run tags"] th')].some((c) => c.textContent === 'team'));
  const after = (await api(`mlflow/runs/get?run_id=${run.info.run_id}`)).run.data.tags;
  assert.equal(after.find((t) => t.key === 'owner')?.value, 'bo');
  assert.equal(after.find((t) => t.key === 'team'), undefined);
  await page.getByRole('button', { name: /Show \d+ system tags/ }).click();
  await tags.getByRole('row', { name: /mlflow\.source\.name/ }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('run: artifacts browsed and previewed — text, CSV, JSON, MLflow tables, images, sandboxed HTML', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(runUrl());
  const tree = page.getByRole('navigation', { name: 'Artifact files' });
  await tree.getByRole('button', { name: /notes\.txt/ }).click();
  await page.getByRole('region', { name: 'Contents of notes.txt' }).or(page.locator('pre[aria-label="Contents of notes.txt"]')).waitFor();
  assert.equal(await page.locator('pre[aria-label="Contents of notes.txt"]').textContent(), 'first line\nsecond line\n');
  assert.equal(await page.getByRole('link', { name: 'Download notes.txt' }).getAttribute('href'),
    `/ajax-api/2.0/mlflow/get-artifact?run_uuid=${run.info.run_id}&path=notes.txt`);

  const data = tree.getByRole('button', { name: 'data', exact: false }).first();
  await data.click();
  assert.equal(await data.getAttribute('aria-expanded'), 'true');
  await tree.getByRole('button', { name: /scores\.csv/ }).click();
  const csv = page.locator('.preview-table table');
  await csv.waitFor();
  assert.deepEqual(await csv.locator('th').allTextContents(), ['name', 'score']);
  assert.deepEqual(await csv.locator('tbody tr').first().locator('td').allTextContents(), ['Smith, J', '0.5']);

  await tree.getByRole('button', { name: /config\.json/ }).click();
  await page.locator('pre[aria-label="Contents of data/config.json"]').waitFor();
  assert.match(await page.locator('pre[aria-label="Contents of data/config.json"]').textContent(), /"depth": 3/);

  await tree.getByRole('button', { name: /eval_results_table\.json/ }).click();
  await page.getByText('2 of 2 rows shown').waitFor();
  assert.deepEqual(await page.locator('.preview-table th').allTextContents(), ['input', 'output']);

  await tree.getByRole('button', { name: 'plots' }).click();
  await tree.getByRole('button', { name: /confusion\.png/ }).click();
  const image = page.getByRole('img', { name: 'plots/confusion.png' });
  await image.waitFor();
  await page.waitForFunction(() => document.querySelector('img.preview-image')?.naturalWidth === 1);

  // an SVG is an image, not a document: drawn, its script never run
  await tree.getByRole('button', { name: /curve\.svg/ }).click();
  await page.waitForFunction(() => document.querySelector('img.preview-image')?.naturalWidth === 40);
  assert.match(await page.getByRole('img', { name: 'plots/curve.svg' }).getAttribute('src'), /^data:image\/svg\+xml;base64,/);

  // a large text file: its first megabyte read and shown, and said so
  await tree.getByRole('button', { name: 'logs' }).click();
  await tree.getByRole('button', { name: /train\.log/ }).click();
  await page.getByText('The first 1.0 MB of 2.0 MB shown.').waitFor();
  assert.equal((await page.locator('pre[aria-label="Contents of logs/train.log"]').textContent()).length, 1024 * 1024);

  await tree.getByRole('button', { name: /report\.html/ }).click();
  const frame = page.frameLocator('iframe[title="HTML report.html"]');
  await frame.getByRole('heading', { name: 'Report' }).waitFor();
  assert.equal(await page.locator('iframe[title="HTML report.html"]').getAttribute('sandbox'), '');
  // the artifact's script never ran (Chromium reports it blocked by the sandbox: the one console error expected)
  assert.notEqual(await page.frame({ url: 'about:srcdoc' }).evaluate(() => document.title), 'ran');
  const blocked = errors.filter((e) => e.startsWith('Blocked script execution in \'about:srcdoc\''));
  assert.equal(blocked.length, 1, 'the artifact\'s script was blocked');
  errors.splice(errors.indexOf(blocked[0]), 1);

  await tree.getByRole('button', { name: 'docs' }).click();
  await tree.getByRole('button', { name: /summary\.pdf/ }).click();
  const pdf = page.locator('iframe[title="PDF docs/summary.pdf"]');
  await pdf.waitFor();
  assert.match(await pdf.getAttribute('src'), /^blob:/, 'the PDF is read through the API and shown from memory');

  await tree.getByRole('button', { name: 'model' }).click();
  await tree.getByRole('button', { name: /model\.pkl/ }).click();
  await page.getByText('No preview for this type of file.').waitFor();
  await screenshot(page, 'run-artifacts');
  assert.notEqual(await page.title(), 'svg ran');
  assert.deepEqual(await accessibilityViolations(page), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('run: a model directory is registered as a version, and the run links to it', async () => {
  const { page, errors, context } = await open(browser);
  const model = `ui-model-${stamp}`;
  await page.goto(runUrl());
  const tree = page.getByRole('navigation', { name: 'Artifact files' });
  await tree.getByRole('button', { name: 'model' }).click();
  await page.getByRole('textbox', { name: 'Register as model' }).fill(model);
  await page.getByRole('button', { name: 'Register model' }).click();
  await page.getByRole('status').getByRole('link', { name: `${model} version 1` }).waitFor();
  const versions = await api(`mlflow/model-versions/search?filter=${encodeURIComponent(`name='${model}'`)}`);
  assert.equal(versions.model_versions.length, 1);
  assert.equal(versions.model_versions[0].run_id, run.info.run_id);
  assert.equal(versions.model_versions[0].source, `${run.info.artifact_uri}/model`);
  // the overview's lineage names it
  await page.locator('dl.overview').getByRole('link', { name: `${model} v1` }).waitFor();
  assert.equal(await page.locator('dl.overview').getByRole('link', { name: `${model} v1` }).getAttribute('href'),
    `#/models/${model}/versions/1`);
  // the version's page leads back to the model's directory among the run's artifacts
  await page.locator('dl.overview').getByRole('link', { name: `${model} v1` }).click();
  await page.getByText('Model path in the run').waitFor();
  assert.equal(await page.getByRole('link', { name: 'The run\'s artifacts' }).getAttribute('href'),
    `#/experiments/${experimentId}/runs/${run.info.run_id}/artifactPath/model`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('run: MLflow\'s …/artifactPath/<path> links open the artifact', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(`${runUrl()}/artifactPath/data/scores.csv`);
  await page.locator('.preview-table table').waitFor();
  assert.deepEqual(await page.locator('.preview-table th').allTextContents(), ['name', 'score']);
  const tree = page.getByRole('navigation', { name: 'Artifact files' });
  assert.equal(await tree.getByRole('button', { name: 'data' }).getAttribute('aria-expanded'), 'true');
  assert.equal(await tree.getByRole('button', { name: /scores\.csv/ }).getAttribute('aria-current'), 'true');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a run that does not exist says so', async () => {
  const { page, errors, expected, context } = await open(browser);
  expected.push('/ajax-api/2.0/mlflow/runs/get', '/ajax-api/2.0/mlflow/model-versions/search', '/ajax-api/2.0/mlflow/artifacts/list');
  await page.goto(`${BASE_URL}/#/experiments/${experimentId}/runs/0123456789abcdef0123456789abcdef`);
  await page.getByText('RESOURCE_DOES_NOT_EXIST').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

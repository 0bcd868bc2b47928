import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accessibilityViolations, api, BASE_URL, launch, open, screenshot } from './browser.mjs';

const STEPS = 500;
const T0 = 1_700_000_000_000;
let browser;
let experimentId;
const runs = [];
const many = [];
const name = `ui-compare-${Date.now()}`;

const LR = ['0.1', '0.01', '0.001', null];
const MODEL = ['cnn', 'mlp', 'cnn', 'mlp'];

before(async () => {
  browser = await launch();
  experimentId = (await api('mlflow/experiments/create', { name })).experiment_id;
  // four runs: lr differs (the last has none), optimizer the same, model categorical; 500 steps of loss
  for (let r = 0; r < 4; r++) {
    const run = (await api('mlflow/runs/create', {
      experiment_id: experimentId, run_name: `c-run-${r}`, start_time: T0,
    })).run.info;
    const params = [{ key: 'optimizer', value: 'adam' }, { key: 'model', value: MODEL[r] }];
    if (LR[r]) params.push({ key: 'lr', value: LR[r] });
    const metrics = [];
    for (let step = 0; step < STEPS; step++) {
      metrics.push({ key: 'loss', value: (1 + r) / (1 + step / 50), timestamp: T0 + step * 1000, step });
    }
    metrics.push({ key: 'acc', value: 0.5 + r / 10, timestamp: T0, step: 0 });
    await api('mlflow/runs/log-batch', { run_id: run.run_id, params, metrics });
    runs.push(run);
  }
  // a dozen more, for the table turned a row per run
  for (let r = 0; r < 12; r++) {
    const run = (await api('mlflow/runs/create', {
      experiment_id: experimentId, run_name: `many-${String(r).padStart(2, '0')}`, start_time: T0,
    })).run.info;
    await api('mlflow/runs/log-batch', {
      run_id: run.run_id,
      params: [{ key: 'optimizer', value: 'sgd' }, { key: 'seed', value: String(r) }],
      metrics: [{ key: 'loss', value: r / 12, timestamp: T0, step: 0 }],
    });
    many.push(run);
  }
});

after(async () => {
  await browser?.close();
});

const q = (v) => encodeURIComponent(JSON.stringify(v));
const inked = (canvas) => canvas.evaluate((c) => {
  const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
  let n = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n += 1;
  return n;
});

test('compare: differing params marked, only differences, parallel coordinates, scatter, links', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/compare-runs?runs=${q(runs.map((r) => r.run_id))}&experiments=${q([experimentId])}`);
  await page.getByRole('heading', { name: 'Comparing 4 runs' }).waitFor();
  const table = page.getByRole('region', { name: 'Params and metrics of the runs' });
  await table.locator('tr[data-key="params.lr"]').waitFor();
  assert.equal(await table.locator('tr[data-key="params.lr"]').getAttribute('class'), 'differs');
  assert.equal(await table.locator('tr[data-key="params.model"]').getAttribute('class'), 'differs');
  assert.equal(await table.locator('tr[data-key="params.optimizer"]').getAttribute('class'), '');
  assert.deepEqual(await table.locator('tr[data-key="params.lr"] td').allTextContents(), ['0.1', '0.01', '0.001', '']);
  assert.match(await table.locator('tr[data-key="params.lr"] th').textContent(), /values differ/);
  await page.getByText('4 of 5 keys differ').waitFor();

  await page.getByRole('checkbox', { name: 'Only differences' }).check();
  await table.locator('tr[data-key="params.optimizer"]').waitFor({ state: 'detached' });
  assert.equal(await table.locator('tr[data-key="params.lr"]').count(), 1);
  await page.getByRole('checkbox', { name: 'Only differences' }).uncheck();
  await table.locator('tr[data-key="params.optimizer"]').waitFor();

  // parallel coordinates start on the differing keys: the run without an lr is left out and counted
  const parallel = page.getByRole('img', { name: /^Parallel coordinates of lr, model, acc, loss/ });
  await page.getByText('3 runs plotted, 1 without all 4 values.').waitFor();
  assert.ok(await inked(parallel) > 1000, 'lines drawn');
  await screenshot(page, 'compare');
  await page.getByRole('listbox', { name: /Axes/ }).selectOption(['params.model', 'metrics.loss']);
  await page.getByText('4 runs plotted, 0 without all 2 values.').waitFor();

  const scatter = page.getByRole('img', { name: /^Scatter of acc against lr/ });
  await page.getByText('3 runs plotted, 1 without both values.').waitFor();
  assert.ok(await inked(scatter) > 200, 'points drawn');
  await page.getByRole('combobox', { name: 'X axis' }).selectOption('metrics.loss');
  await page.getByRole('img', { name: /^Scatter of acc against loss: 4 runs plotted, 0 without both values/ }).waitFor();

  // hovering a point names its run (where the scatter puts it: its axes padded 5% past the values)
  const losses = runs.map((_, r) => (1 + r) / (1 + (STEPS - 1) / 50));
  const accs = runs.map((_, r) => 0.5 + r / 10);
  const padded = (vs) => {
    const [min, max] = [Math.min(...vs), Math.max(...vs)];
    return [min - (max - min) * 0.05, max + (max - min) * 0.05];
  };
  const [x0, x1] = padded(losses);
  const [y0, y1] = padded(accs);
  const scatterOfLoss = page.getByRole('img', { name: /^Scatter of acc against loss/ });
  await scatterOfLoss.scrollIntoViewIfNeeded();
  const plot = await scatterOfLoss.boundingBox();
  const hoverRun = async (r) => page.mouse.move(
    plot.x + 64 + ((losses[r] - x0) / (x1 - x0)) * (plot.width - 64 - 16),
    plot.y + plot.height - 40 - ((accs[r] - y0) / (y1 - y0)) * (plot.height - 12 - 40));
  const named = page.locator('.compare-hover');
  await hoverRun(2);
  await named.waitFor();
  assert.match(await named.textContent(), /^c-run-2: loss 0\.273\d*, acc 0\.7$/);
  await hoverRun(0);
  await page.getByText(/^c-run-0: loss/).waitFor();
  // the live region announces the count, not every run the mouse passes over
  const live = page.locator('figure[data-plotted] [aria-live]').last();
  assert.equal(await live.textContent(), '4 runs plotted, 0 without both values.');

  const charts = page.getByRole('link', { name: 'Charts' });
  await page.getByRole('combobox', { name: 'Metric to chart' }).selectOption('loss');
  const href = await charts.getAttribute('href');
  assert.ok(href.startsWith('#/metric/loss?runs='), href);
  assert.deepEqual(JSON.parse(new URLSearchParams(href.split('?')[1]).get('runs')), runs.map((r) => r.run_id));

  assert.deepEqual(await accessibilityViolations(page), []);

  await charts.click();
  await page.locator('figure[data-metric-key="loss"] canvas').waitFor();
  assert.equal(await page.locator('figure[data-metric-key="loss"] li').count(), 4);
  await page.goBack();
  await page.getByRole('link', { name: 'c-run-2' }).click();
  assert.equal(new URL(page.url()).hash, `#/experiments/${experimentId}/runs/${runs[2].run_id}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('compare: many runs turn the table a row per run, differing columns marked', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/compare-runs?runs=${q(many.map((r) => r.run_id))}&experiments=${q([experimentId])}`);
  await page.getByRole('heading', { name: 'Comparing 12 runs' }).waitFor();
  const table = page.getByRole('region', { name: 'Params and metrics of the runs' });
  await table.locator(`tr[data-run-id="${many[0].run_id}"]`).waitFor();
  assert.equal(await table.locator('th[data-key="params.seed"]').getAttribute('class'), 'differs');
  assert.equal(await table.locator('th[data-key="params.optimizer"]').getAttribute('class'), '');
  assert.equal(await table.getByRole('link', { name: 'many-05' }).getAttribute('href'),
    `#/experiments/${experimentId}/runs/${many[5].run_id}`);
  await page.getByRole('checkbox', { name: 'Only differences' }).check();
  await table.locator('th[data-key="params.optimizer"]').waitFor({ state: 'detached' });
  assert.equal(await table.locator('th[data-key="params.seed"]').count(), 1);
  assert.deepEqual(await accessibilityViolations(page), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('compare: runs named without their experiments are read one by one; an unknown one is reported', async () => {
  const { page, errors, expected, context } = await open(browser);
  expected.push('/ajax-api/2.0/mlflow/runs/get');
  await page.goto(`${BASE_URL}/#/compare-runs?runs=${runs[0].run_id},${runs[1].run_id},${'e'.repeat(32)}`);
  await page.getByText('1 run not found').waitFor();
  await page.getByRole('link', { name: 'c-run-1' }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('compare: back and forward between links of other runs show their own runs, nothing stale', async () => {
  const { page, errors, expected, context } = await open(browser);
  expected.push('/ajax-api/2.0/mlflow/runs/get');
  await page.goto(`${BASE_URL}/#/compare-runs?runs=${runs[0].run_id},${runs[1].run_id},${'e'.repeat(32)}`);
  await page.getByText('1 run not found').waitFor();
  await page.getByRole('heading', { name: 'Comparing 3 runs' }).waitFor();
  await page.getByRole('link', { name: 'c-run-1' }).waitFor();
  await page.getByRole('checkbox', { name: 'Only differences' }).check();

  await page.evaluate((hash) => { window.location.hash = hash; },
    `#/compare-runs?runs=${q(many.map((r) => r.run_id))}&experiments=${q([experimentId])}`);
  await page.getByRole('heading', { name: 'Comparing 12 runs' }).waitFor();
  const table = page.getByRole('region', { name: 'Params and metrics of the runs' });
  await table.locator(`tr[data-run-id="${many[0].run_id}"]`).waitFor();
  assert.equal(await page.getByText('not found').count(), 0, 'the other link\'s missing run is not reported');
  assert.equal(await page.getByRole('link', { name: 'c-run-1' }).count(), 0);
  assert.equal(await page.getByRole('checkbox', { name: 'Only differences' }).isChecked(), false);

  await page.goBack();
  await page.getByRole('heading', { name: 'Comparing 3 runs' }).waitFor();
  await page.getByText('1 run not found').waitFor();
  await page.getByRole('link', { name: 'c-run-1' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'many-05' }).count(), 0);
  await page.goForward();
  await page.getByRole('heading', { name: 'Comparing 12 runs' }).waitFor();
  await page.getByRole('link', { name: 'many-05' }).waitFor();
  assert.equal(await page.getByText('not found').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('compare: a link naming more than 1,000 runs compares the first 1,000 and says so', async () => {
  const { page, errors, context } = await open(browser);
  const ids = [...runs.map((r) => r.run_id)];
  for (let i = 0; ids.length < 1004; i++) ids.push(`e${i.toString(16).padStart(31, '0')}`);
  await page.goto(`${BASE_URL}/#/compare-runs?runs=${q(ids)}&experiments=${q([experimentId])}`);
  await page.getByText('This link names 1,004 runs: only the first 1,000 are compared.').waitFor();
  await page.getByRole('heading', { name: 'Comparing 1,000 runs' }).waitFor();
  await page.getByText('996 runs not found').waitFor();
  await page.getByRole('link', { name: 'c-run-3' }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

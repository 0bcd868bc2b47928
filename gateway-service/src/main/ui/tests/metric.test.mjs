import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accessibilityViolations, api, BASE_URL, launch, open, screenshot } from './browser.mjs';

const STEPS = 500;
const T0 = 1_700_000_000_000;
let browser;
let experimentId;
const runs = [];
const name = `ui-metric-${Date.now()}`;

/** A noisy falling loss: every run its own level, odd steps a little higher (so smoothing shows). */
const loss = (r, step) => (1 + r) / (1 + step / 50) + (step % 2 ? 0.05 : 0);
const acc = (r, step) => 1 - loss(r, step) / 3;

before(async () => {
  browser = await launch();
  experimentId = (await api('mlflow/experiments/create', { name })).experiment_id;
  for (let r = 0; r < 3; r++) {
    const run = (await api('mlflow/runs/create', {
      experiment_id: experimentId, run_name: `m-run-${r}`, start_time: T0,
    })).run.info;
    const metrics = [];
    for (let step = 0; step < STEPS; step++) {
      metrics.push({ key: 'loss', value: loss(r, step), timestamp: T0 + step * 1000, step });
      metrics.push({ key: 'acc', value: acc(r, step), timestamp: T0 + step * 1000, step });
    }
    await api('mlflow/runs/log-batch', { run_id: run.run_id, metrics });
    runs.push(run);
  }
});

after(async () => {
  await browser?.close();
});

/** MLflow's (TensorBoard's) debiased exponential moving average, to check what the chart holds. */
function ema(values, weight) {
  let last = 0;
  return values.map((v, i) => {
    last = last * weight + (1 - weight) * v;
    return last / (1 - weight ** (i + 1));
  });
}

const chart = (page, key) => page.locator(`figure[data-metric-key="${key}"]`);
const legendValue = (page, key, runId) => chart(page, key).locator(`li[data-run-id="${runId}"] .metric-legend-value`)
  .getAttribute('data-value').then(Number);
const plotData = (page, key) => chart(page, key).locator('.metric-chart-plot').evaluate((el) => ({ ...el.dataset }));

test('metric: MLflow\'s link draws a chart per key with the runs in the legend; x axis, smoothing, log scale', async () => {
  const { page, errors, context } = await open(browser);
  const q = (v) => encodeURIComponent(JSON.stringify(v));
  await page.goto(`${BASE_URL}/#/metric/loss?runs=${q(runs.map((r) => r.run_id))}&experiments=${q([experimentId])}`
    + `&plot_metric_keys=${q(['loss', 'acc'])}`);
  const lossChart = chart(page, 'loss');
  await lossChart.locator('canvas').waitFor();
  for (const run of runs) {
    await lossChart.getByRole('link', { name: run.run_name }).waitFor();
  }
  assert.equal(await lossChart.getByRole('link', { name: 'm-run-1' }).getAttribute('href'),
    `#/experiments/${experimentId}/runs/${runs[1].run_id}`);
  await chart(page, 'acc').locator('canvas').waitFor();
  // every point of these 500-step histories sampled; the legend shows each run's last value
  assert.equal(await lossChart.getAttribute('data-points'), String(3 * STEPS));
  assert.equal(await legendValue(page, 'loss', runs[2].run_id), loss(2, STEPS - 1));
  let data = await plotData(page, 'loss');
  assert.equal(Number(data.xMin), 0);
  assert.equal(Number(data.xMax), STEPS - 1);
  assert.equal(data.yScale, 'linear');

  // smoothing: the legend holds the moving average of the raw values, not the last raw value
  await page.getByRole('slider', { name: /Smoothing/ }).fill('0.9');
  await page.waitForFunction(() => document.querySelector('figure[data-metric-key="loss"] figcaption')
    ?.textContent.includes('smoothed (0.9)'));
  const raw = [...Array(STEPS).keys()].map((s) => loss(2, s));
  const smoothed = await legendValue(page, 'loss', runs[2].run_id);
  assert.ok(Math.abs(smoothed - ema(raw, 0.9).at(-1)) < 1e-9, `${smoothed} is the moving average`);
  assert.notEqual(smoothed, loss(2, STEPS - 1));
  await screenshot(page, 'metric');
  await page.getByRole('slider', { name: /Smoothing/ }).fill('0');
  await page.waitForFunction((v) => document.querySelector(
    `figure[data-metric-key="loss"] li[data-run-id="${v.id}"] .metric-legend-value`)?.dataset.value === String(v.value),
  { id: runs[2].run_id, value: loss(2, STEPS - 1) });

  // x axis: relative time counts seconds from each run's first point; wall time is the timestamps
  await page.getByRole('combobox', { name: 'X axis' }).selectOption('relative');
  await page.waitForFunction(() => document.querySelector('figure[data-metric-key="loss"] figcaption')
    ?.textContent.includes('by relative time'));
  data = await plotData(page, 'loss');
  assert.equal(Number(data.xMin), 0);
  assert.equal(Number(data.xMax), STEPS - 1);
  await page.getByRole('combobox', { name: 'X axis' }).selectOption('wall');
  await page.waitForFunction(() => document.querySelector('figure[data-metric-key="loss"] figcaption')
    ?.textContent.includes('by wall time'));
  data = await plotData(page, 'loss');
  assert.equal(Number(data.xMin), T0 / 1000);
  assert.equal(Number(data.xMax), T0 / 1000 + STEPS - 1);
  await page.getByRole('combobox', { name: 'X axis' }).selectOption('step');

  await page.getByRole('checkbox', { name: 'Log scale' }).check();
  await page.waitForFunction(() => document.querySelector('figure[data-metric-key="loss"] .metric-chart-plot')
    ?.dataset.yScale === 'log');
  await lossChart.locator('canvas').waitFor();
  await page.getByRole('checkbox', { name: 'Log scale' }).uncheck();

  assert.deepEqual(await accessibilityViolations(page), []);
  // the theme switch redraws the charts in the other theme's colours
  const other = await page.evaluate(() => (document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark'));
  await page.getByRole('button', { name: `Switch to the ${other} theme` }).click();
  await page.waitForFunction((t) => document.querySelector('figure[data-metric-key="loss"] .metric-chart-plot')
    ?.dataset.theme === t, other);
  assert.equal(await lossChart.locator('canvas').count(), 1, 'the old chart disposed');
  assert.deepEqual(await accessibilityViolations(page), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('metric: dragging across a chart zooms and asks for finer samples of that step range; reset', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/metric?runs=${runs.map((r) => r.run_id).join(',')}&metric=loss`);
  const lossChart = chart(page, 'loss');
  await lossChart.locator('canvas').waitFor();
  await lossChart.getByText('m-run-0').waitFor();
  const over = lossChart.locator('.u-over');
  const box = await over.boundingBox();
  const requested = page.waitForRequest((r) => r.url().includes('/metrics/get-history-bulk-interval')
    && r.url().includes('start_step=') && r.url().includes('end_step='));
  await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2, { steps: 5 });
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  const url = new URL((await requested).url());
  const start = Number(url.searchParams.get('start_step'));
  const end = Number(url.searchParams.get('end_step'));
  assert.ok(start > 100 && start < 140, `start_step ${start} near a quarter of 500`);
  assert.ok(end > 230 && end < 260, `end_step ${end} near half of 500`);
  assert.equal(url.searchParams.getAll('run_ids').length, 3);
  await page.waitForFunction(() => document.querySelector('figure[data-metric-key="loss"] figcaption')
    ?.textContent.includes('zoomed to steps'));
  const zoomed = await plotData(page, 'loss');
  assert.ok(Number(zoomed.xMin) >= start - 1 && Number(zoomed.xMax) <= end + 1, 'the chart shows the window');
  // the window's samples are the ones held: every step of it, for each run
  await page.waitForFunction((n) => Number(document.querySelector('figure[data-metric-key="loss"]')
    ?.dataset.points) === n, 3 * (end - start + 1));

  await lossChart.getByRole('button', { name: 'Reset zoom' }).click();
  await page.waitForFunction((n) => document.querySelector('figure[data-metric-key="loss"] .metric-chart-plot')
    ?.dataset.xMax === String(n), STEPS - 1);
  assert.equal(await lossChart.getByRole('button', { name: 'Reset zoom' }).isDisabled(), true);
  assert.deepEqual(errors, []);
  await context.close();
});

test('metric: an unknown run is reported, the others still charted', async () => {
  const { page, errors, expected, context } = await open(browser);
  expected.push('/ajax-api/2.0/mlflow/runs/get');
  await page.goto(`${BASE_URL}/#/metric/loss?runs=${encodeURIComponent(JSON.stringify([runs[0].run_id, 'f'.repeat(32)]))}`);
  await page.getByText('1 run not found').waitFor();
  await chart(page, 'loss').locator('canvas').waitFor();
  assert.equal(await chart(page, 'loss').locator('li').count(), 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('metric: a chart below the fold is drawn only once scrolled into view', async () => {
  const { page, errors, context } = await open(browser);
  const keys = ['loss', 'acc', 'absent-1', 'absent-2', 'absent-3'];
  await page.goto(`${BASE_URL}/#/metric?runs=${runs[0].run_id}&metric=${keys.join(',')}`);
  await chart(page, 'loss').locator('canvas').waitFor();
  const last = chart(page, 'absent-3');
  await last.getByText('Shown when scrolled into view').waitFor();
  assert.equal(await last.locator('canvas').count(), 0);
  await last.scrollIntoViewIfNeeded();
  await last.getByText('No values of absent-3 logged by these runs.').waitFor();
  assert.equal(await last.locator('canvas').count(), 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('metric: back and forward between links of other runs and keys show their own charts, nothing stale', async () => {
  const { page, errors, expected, context } = await open(browser);
  expected.push('/ajax-api/2.0/mlflow/runs/get');
  const unknown = 'f'.repeat(32);
  // the same screen, only the query differs: the screen need not be mounted anew to follow it
  const first = `${BASE_URL}/#/metric?runs=${runs[0].run_id},${unknown}&metric=loss`;
  const second = `#/metric?runs=${runs[1].run_id},${runs[2].run_id}&metric=loss`;
  await page.goto(first);
  await page.getByText('1 run not found').waitFor();
  await chart(page, 'loss').getByRole('link', { name: 'm-run-0' }).waitFor();
  await page.getByRole('combobox', { name: 'Add a chart' }).selectOption('acc');
  await page.getByRole('button', { name: 'Add' }).click();
  await chart(page, 'acc').locator('canvas').waitFor();

  await page.evaluate((hash) => { window.location.hash = hash; }, second);
  await chart(page, 'loss').getByRole('link', { name: 'm-run-2' }).waitFor();
  assert.deepEqual(await chart(page, 'loss').getByRole('link').allTextContents(), ['m-run-1', 'm-run-2']);
  assert.equal(await chart(page, 'acc').count(), 0, 'the chart added for the other link is not kept');
  assert.equal(await page.getByText('not found').count(), 0, 'the other link\'s missing run is not reported');
  await page.waitForFunction((v) => document.querySelector(
    `figure[data-metric-key="loss"] li[data-run-id="${v.id}"] .metric-legend-value`)?.dataset.value === String(v.value),
  { id: runs[2].run_id, value: loss(2, STEPS - 1) });

  await page.goBack();
  await page.getByText('1 run not found').waitFor();
  await chart(page, 'loss').getByRole('link', { name: 'm-run-0' }).waitFor();
  assert.deepEqual(await chart(page, 'loss').getByRole('link').allTextContents(), ['m-run-0']);
  await page.goForward();
  await chart(page, 'loss').getByRole('link', { name: 'm-run-1' }).waitFor();
  assert.deepEqual(await chart(page, 'loss').getByRole('link').allTextContents(), ['m-run-1', 'm-run-2']);
  assert.equal(await page.getByText('not found').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('metric: leaving the page before its charts are answered withdraws the reads still queued', async () => {
  const { page, errors, context } = await open(browser);
  // tall enough for four charts at once: two reads run, two wait for their turn
  await page.setViewportSize({ width: 1280, height: 2400 });
  const sent = [];
  await page.route('**/metrics/get-history-bulk-interval*', async (route) => {
    sent.push(new URL(route.request().url()).searchParams.get('metric_key'));
    await new Promise((resolve) => { setTimeout(resolve, 1500); });
    try {
      await route.continue();
    } catch {
      // the page withdrew it meanwhile
    }
  });
  await page.goto(`${BASE_URL}/#/metric?runs=${runs[0].run_id}&metric=loss,acc,absent-1,absent-2`);
  await chart(page, 'absent-2').getByText('Loading…').waitFor();
  for (let i = 0; i < 50 && sent.length < 2; i++) await page.waitForTimeout(50);
  assert.equal(sent.length, 2, 'two reads at once');
  await page.evaluate(() => { window.location.hash = '#/experiments'; });
  await page.getByRole('heading', { name: 'Experiments' }).waitFor();
  await page.waitForTimeout(2500);
  assert.equal(sent.length, 2, `the waiting reads were never sent (${sent.join(', ')})`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('metric: runs logging at their own times on the wall-time axis: every point held, the legend follows the cursor', async () => {
  const { page, errors, context } = await open(browser);
  // 3 × 800 points at timestamps no other run shares: more x values than the chart has pixels
  const own = [];
  for (let r = 0; r < 3; r++) {
    const run = (await api('mlflow/runs/create', {
      experiment_id: experimentId, run_name: `t-run-${r}`, start_time: T0,
    })).run.info;
    const metrics = [];
    for (let step = 0; step < 800; step++) {
      metrics.push({ key: 'loss', value: loss(r, step), timestamp: T0 + step * 1000 + r * 333, step });
    }
    await api('mlflow/runs/log-batch', { run_id: run.run_id, metrics });
    own.push(run);
  }
  await page.goto(`${BASE_URL}/#/metric/loss?runs=${own.map((r) => r.run_id).join(',')}`);
  await page.getByRole('combobox', { name: 'X axis' }).selectOption('wall');
  const lossChart = chart(page, 'loss');
  await page.waitForFunction(() => document.querySelector('figure[data-metric-key="loss"] figcaption')
    ?.textContent.includes('by wall time'));
  await lossChart.locator('canvas').waitFor();
  assert.equal(await lossChart.getAttribute('data-points'), String(3 * 800));
  const data = await plotData(page, 'loss');
  assert.equal(Number(data.xMin), T0 / 1000);
  assert.equal(Number(data.xMax), (T0 + 799 * 1000 + 666) / 1000);
  assert.equal(await legendValue(page, 'loss', own[1].run_id), loss(1, 799));

  // the cursor half way: each run's value there, about that of step 400; off the chart, the last again
  const box = await lossChart.locator('.u-over').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const cell = lossChart.locator(`li[data-run-id="${own[1].run_id}"] .metric-legend-value`);
  await page.waitForFunction((id) => document.querySelector(`li[data-run-id="${id}"] .metric-legend-value`)
    ?.title === 'Value at the cursor', own[1].run_id);
  const atCursor = Number(await cell.getAttribute('data-value'));
  assert.ok(atCursor > loss(1, 420) && atCursor < loss(1, 380) + 0.05, `${atCursor} is a value near step 400`);
  assert.equal(await cell.textContent(), String(Number(atCursor.toPrecision(5))));
  await page.mouse.move(box.x + box.width / 2, box.y + box.height + 200);
  await page.waitForFunction((id) => document.querySelector(`li[data-run-id="${id}"] .metric-legend-value`)
    ?.title === 'Last value', own[1].run_id);
  assert.equal(await legendValue(page, 'loss', own[1].run_id), loss(1, 799));
  assert.deepEqual(errors, []);
  await context.close();
});

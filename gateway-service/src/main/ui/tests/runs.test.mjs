import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accessibilityViolations, api, BASE_URL, launch, open, screenshot } from './browser.mjs';

const RUNS = 250;
let browser;
let experimentId;
const name = `ui-runs-${Date.now()}`;

before(async () => {
  browser = await launch();
  experimentId = (await api('mlflow/experiments/create', { name })).experiment_id;
  const numbers = [...Array(RUNS).keys()];
  for (let i = 0; i < numbers.length; i += 25) {
    await Promise.all(numbers.slice(i, i + 25).map((n) => api('mlflow/runs/create', {
      experiment_id: experimentId,
      run_name: `r-${String(n).padStart(3, '0')}`,
      start_time: 1_700_000_000_000 + n * 1000,
      tags: [{ key: 'mlflow.source.name', value: 'train.py' }],
    })));
  }
});

after(async () => {
  await browser?.close();
});

const rowNames = (page) => page.$$eval('tr[data-run-id] td:first-child', (cells) => cells.map((c) => c.textContent));

test('runs: MLflow\'s #/experiments/{id}, pages read as the table scrolls, only rows in view rendered', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/experiments/${experimentId}`);
  await page.getByRole('heading', { name }).waitFor();
  await page.getByText('100 runs loaded, more as you scroll').waitFor();
  assert.equal((await rowNames(page))[0], `r-${RUNS - 1}`, 'newest first');
  const rendered = await page.locator('tr[data-run-id]').count();
  assert.ok(rendered > 0 && rendered < 60, `only the rows in view are in the page (${rendered})`);
  await screenshot(page, 'runs');

  // each page is asked for once the table is scrolled near its end
  const table = page.getByRole('region', { name: 'Runs' });
  for (const shown of [200, RUNS]) {
    await table.evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await page.waitForFunction(
      (n) => document.querySelector('.count')?.textContent.trim().startsWith(`${n} runs loaded`), shown);
  }
  await page.getByText(`${RUNS} runs loaded`, { exact: true }).waitFor();
  assert.equal(new Set(await page.$$eval('tr[data-run-id]', (rows) => rows.map((r) => r.dataset.runId))).size,
    await page.locator('tr[data-run-id]').count(), 'no run twice');
  await table.evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await page.waitForFunction(() => {
    const cells = document.querySelectorAll('tr[data-run-id] td:first-child');
    return cells.length > 0 && cells[cells.length - 1].textContent === 'r-000';
  });
  const last = await rowNames(page);
  assert.equal(last[last.length - 1], 'r-000', 'the oldest run at the end');
  assert.ok(last.length < 60, `still only the rows in view (${last.length})`);

  assert.deepEqual(await accessibilityViolations(page), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('runs: sorted on a column through order_by, filtered with MLflow\'s language and its errors', async () => {
  const { page, errors, expected, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/experiments/${experimentId}`);
  await page.getByText('100 runs loaded, more as you scroll').waitFor();

  const byName = page.getByRole('button', { name: 'Run name' });
  await byName.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('tr[data-run-id] td')?.textContent === 'r-000');
  assert.equal(await page.getByRole('columnheader', { name: /Run name/ }).getAttribute('aria-sort'), 'ascending');
  // sorted from the keyboard, the focus stays on the header to sort again
  await page.keyboard.press('Enter');
  await page.waitForFunction((n) => document.querySelector('tr[data-run-id] td')?.textContent === n, `r-${RUNS - 1}`);
  assert.equal(await page.getByRole('columnheader', { name: /Run name/ }).getAttribute('aria-sort'), 'descending');

  const filter = page.getByRole('searchbox', { name: 'Filter runs' });
  await filter.fill("attributes.run_name = 'r-042'");
  await filter.press('Enter');
  await page.getByText('1 run loaded', { exact: true }).waitFor();
  assert.deepEqual(await rowNames(page), ['r-042']);

  expected.push('/ajax-api/2.0/mlflow/runs/search');
  await filter.fill('metrics.loss ~ 1');
  await filter.press('Enter');
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /INVALID_PARAMETER_VALUE/);
  expected.length = 0;

  assert.deepEqual(errors, []);
  await context.close();
});

test('an experiment that does not exist says so', async () => {
  const { page, errors, expected, context } = await open(browser);
  expected.push('/ajax-api/2.0/mlflow/experiments/get');
  await page.goto(`${BASE_URL}/#/experiments/987654321`);
  await page.getByText('RESOURCE_DOES_NOT_EXIST').waitFor();
  await page.getByText('0 runs loaded', { exact: true }).waitFor();
  await page.getByText('RESOURCE_DOES_NOT_EXIST').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('experiments link to their runs', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/experiments`);
  const search = page.getByRole('searchbox', { name: 'Filter' });
  await search.fill(`name = '${name}'`);
  await search.press('Enter');
  await page.getByRole('link', { name }).click();
  await page.getByRole('heading', { name }).waitFor();
  assert.equal(new URL(page.url()).hash, `#/experiments/${experimentId}`);
  assert.deepEqual(errors, []);
  await context.close();
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accessibilityViolations, api, BASE_URL, expectRefusedFilter, launch, open, screenshot } from './browser.mjs';

let browser;
const prefix = `ui-${Date.now()}`;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

test('the index is served at / and the bundle loads', async () => {
  const { page, errors, context } = await open(browser);
  const response = await page.goto(`${BASE_URL}/`);
  assert.equal(response.status(), 200);
  assert.equal(response.headers()['cache-control'], 'no-cache');
  await page.getByRole('heading', { name: 'Experiments' }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('experiments: search with MLflow filters, create, rename, delete and restore', async () => {
  await api('mlflow/experiments/create', { name: `${prefix}-seeded` });
  const { page, errors, expected, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/experiments`);
  const filter = page.getByRole('searchbox', { name: 'Filter' });

  // a filter in MLflow's language narrows the list
  await filter.fill(`name LIKE '${prefix}-%'`);
  await filter.press('Enter');
  // the list the page opened with may hold it too: wait for the filtered answer itself
  await page.waitForFunction(() => document.querySelectorAll('table.grid tbody tr').length === 1);
  await page.getByText(`${prefix}-seeded`).waitFor();

  // a filter the API refuses shows MLflow's error under the box, and the list empties
  await expectRefusedFilter({ page, expected }, filter, 'name ~ 1', '/ajax-api/2.0/mlflow/experiments/search');

  // create through the form
  await filter.fill(`name LIKE '${prefix}-%'`);
  await filter.press('Enter');
  await page.getByText(`${prefix}-seeded`).waitFor();
  await page.getByRole('textbox', { name: 'New experiment' }).fill(`${prefix}-made`);
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByText(`${prefix}-made`).waitFor();
  const made = await api(`mlflow/experiments/get-by-name?experiment_name=${prefix}-made`);
  assert.equal(made.experiment.lifecycle_stage, 'active');
  await screenshot(page, 'experiments');

  // rename
  await page.getByRole('button', { name: `Rename ${prefix}-made` }).click();
  const input = page.getByRole('textbox', { name: `New name for ${prefix}-made` });
  await input.fill(`${prefix}-renamed`);
  await input.press('Enter');
  await page.getByText(`${prefix}-renamed`).waitFor();
  const renamed = await api(`mlflow/experiments/get?experiment_id=${made.experiment.experiment_id}`);
  assert.equal(renamed.experiment.name, `${prefix}-renamed`);

  // delete: gone from the active list, shown under Deleted, restored from there
  await page.getByRole('button', { name: `Delete ${prefix}-renamed` }).click();
  await page.getByText(`${prefix}-renamed`).waitFor({ state: 'detached' });
  await page.getByRole('combobox', { name: 'Show' }).selectOption('DELETED_ONLY');
  await page.getByRole('button', { name: `Restore ${prefix}-renamed` }).click();
  await page.getByText(`${prefix}-renamed`).waitFor({ state: 'detached' });
  const restored = await api(`mlflow/experiments/get?experiment_id=${made.experiment.experiment_id}`);
  assert.equal(restored.experiment.lifecycle_stage, 'active');

  // a name the API refuses (taken) is reported, not swallowed
  await page.getByRole('combobox', { name: 'Show' }).selectOption('ACTIVE_ONLY');
  await page.getByRole('textbox', { name: 'New experiment' }).fill(`${prefix}-seeded`);
  expected.push('/ajax-api/2.0/mlflow/experiments/create');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByText('RESOURCE_ALREADY_EXISTS').waitFor();
  expected.length = 0;

  assert.deepEqual(await accessibilityViolations(page), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the dark theme is kept across visits', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/experiments`);
  await page.getByRole('button', { name: 'Switch to the dark theme' }).click();
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  await page.reload();
  await page.getByRole('heading', { name: 'Experiments' }).waitFor();
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  await page.getByRole('button', { name: 'Switch to the light theme' }).waitFor();
  await screenshot(page, 'experiments-dark');
  assert.deepEqual(await accessibilityViolations(page), []);
  assert.deepEqual(errors, []);
  await context.close();
});

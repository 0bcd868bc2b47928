import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accessibilityViolations, api, BASE_URL, expectRefusedFilter, launch, open, screenshot } from './browser.mjs';

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

const rowNames = (page) => page.$$eval('tr[data-run-id] td.name a', (cells) => cells.map((c) => c.textContent));

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
    const cells = document.querySelectorAll('tr[data-run-id] td.name a');
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
  await page.waitForFunction(() => document.querySelector('tr[data-run-id] td.name a')?.textContent === 'r-000');
  assert.equal(await page.getByRole('columnheader', { name: /Run name/ }).getAttribute('aria-sort'), 'ascending');
  // sorted from the keyboard, the focus stays on the header to sort again
  await page.keyboard.press('Enter');
  await page.waitForFunction((n) => document.querySelector('tr[data-run-id] td.name a')?.textContent === n, `r-${RUNS - 1}`);
  assert.equal(await page.getByRole('columnheader', { name: /Run name/ }).getAttribute('aria-sort'), 'descending');

  const filter = page.getByRole('searchbox', { name: 'Filter runs' });
  await filter.fill("attributes.run_name = 'r-042'");
  await filter.press('Enter');
  await page.getByText('1 run loaded', { exact: true }).waitFor();
  assert.deepEqual(await rowNames(page), ['r-042']);

  await expectRefusedFilter({ page, expected }, filter, 'metrics.loss ~ 1', '/ajax-api/2.0/mlflow/runs/search');

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

// A small experiment of its own for columns, datasets, nesting and selection: a parent with two
// children, runs with params, metrics ("val loss" needs backticks in order_by), tags and datasets.
const small = `ui-runs-small-${Date.now()}`;
let smallId;
const ids = {};

async function makeRun(experiment, runName, start, { metrics = {}, params = {}, tags = {}, dataset, parent } = {}) {
  const allTags = { 'mlflow.source.name': 'train.py', ...tags, ...(parent ? { 'mlflow.parentRunId': ids[parent] } : {}) };
  const run = (await api('mlflow/runs/create', {
    experiment_id: experiment, run_name: runName, start_time: start,
    tags: Object.entries(allTags).map(([key, value]) => ({ key, value })),
  })).run.info.run_id;
  ids[runName] = run;
  await api('mlflow/runs/log-batch', {
    run_id: run,
    metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp: start, step: 0 })),
    params: Object.entries(params).map(([key, value]) => ({ key, value })),
  });
  if (dataset) {
    await api('mlflow/runs/log-inputs', {
      run_id: run,
      datasets: [{
        tags: [{ key: 'mlflow.data.context', value: 'training' }],
        dataset: { name: dataset[0], digest: dataset[1], source_type: 'local', source: '{"uri": "/data"}' },
      }],
    });
  }
  return run;
}

before(async () => {
  smallId = (await api('mlflow/experiments/create', { name: small })).experiment_id;
  const t = Date.now() - 60_000;
  await makeRun(smallId, 'p-parent', t, { metrics: { 'val loss': 0.5 }, params: { lr: '0.1' }, tags: { team: 'vision' }, dataset: ['iris', 'd1'] });
  await makeRun(smallId, 'c-one', t + 1000, { metrics: { 'val loss': 0.2 }, params: { lr: '0.01' }, parent: 'p-parent' });
  await makeRun(smallId, 'c-two', t + 2000, { metrics: { 'val loss': 0.9 }, params: { lr: '0.2' }, parent: 'p-parent', dataset: ['wine', 'd2'] });
  await makeRun(smallId, 'solo-a', t + 3000, { metrics: { 'val loss': 0.7 }, params: { lr: '0.3' }, dataset: ['wine', 'd2'] });
  await makeRun(smallId, 'solo-b', t + 4000, { metrics: { 'val loss': 0.3 }, tags: { team: 'nlp' } });
  await makeRun(smallId, 'd-victim', t + 5000, {});
});

/** The rows shown: name, depth and the cells of the given column. */
const shownRows = (page, column) => page.$$eval('tr[data-run-id]', (rows, col) => rows.map((r) => ({
  name: r.querySelector('td.name a').textContent,
  depth: Number(r.dataset.depth),
  value: col ? r.querySelector(`td[data-column="${col}"]`)?.textContent ?? null : null,
})), column);

async function openSmall(page) {
  await page.goto(`${BASE_URL}/#/experiments/${smallId}`);
  await page.getByRole('heading', { name: small }).waitFor();
  await page.getByText('6 runs loaded', { exact: true }).waitFor();
}

test('runs: metric and param columns chosen, sorted both ways through order_by, pinned, kept after a reload', { timeout: 120_000 }, async () => {
  const { page, errors, context } = await open(browser);
  await openSmall(page);

  // the chooser from the keyboard: its filter box takes the focus, Escape gives it back
  const columnsButton = page.getByRole('button', { name: /^Columns/ });
  await columnsButton.focus();
  await page.keyboard.press('Enter');
  assert.equal(await columnsButton.getAttribute('aria-expanded'), 'true');
  const chooser = page.getByRole('group', { name: 'Choose columns' });
  await page.keyboard.type('loss');
  assert.equal(await chooser.getByRole('checkbox', { name: 'metric val loss' }).count(), 1);
  assert.equal(await chooser.getByRole('checkbox', { name: 'param lr' }).count(), 0, 'the filter box narrows the keys');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Space');
  await page.getByRole('columnheader', { name: /val loss/ }).waitFor();

  // sorted on the metric through the API: values in order among top-level runs and under the
  // parent, the run without the metric last both ways
  const header = page.getByRole('columnheader', { name: /val loss/ });
  await page.keyboard.press('Escape');
  assert.equal(await columnsButton.getAttribute('aria-expanded'), 'false');
  const sorted = page.waitForRequest((r) => r.url().includes('/runs/search')
    && (r.postDataJSON().order_by || [])[0] === 'metrics.`val loss` ASC');
  await header.getByRole('button').click();
  await sorted;
  await page.waitForFunction(() => document.querySelector('tr[data-run-id] td.name a')?.textContent === 'solo-b');
  assert.equal(await header.getAttribute('aria-sort'), 'ascending');
  let rows = await shownRows(page, 'metrics.val loss');
  assert.deepEqual(rows.filter((r) => r.depth === 0).map((r) => [r.name, r.value]),
    [['solo-b', '0.3'], ['p-parent', '0.5'], ['solo-a', '0.7'], ['d-victim', '']]);
  assert.deepEqual(rows.filter((r) => r.depth === 1).map((r) => r.name), ['c-one', 'c-two']);
  await header.getByRole('button').click();
  await page.waitForFunction(() => document.querySelector('tr[data-run-id] td.name a')?.textContent === 'solo-a');
  assert.equal(await header.getAttribute('aria-sort'), 'descending');
  rows = await shownRows(page, 'metrics.val loss');
  assert.deepEqual(rows.filter((r) => r.depth === 0).map((r) => [r.name, r.value]),
    [['solo-a', '0.7'], ['p-parent', '0.5'], ['solo-b', '0.3'], ['d-victim', '']]);
  assert.deepEqual(rows.filter((r) => r.depth === 1).map((r) => r.name), ['c-two', 'c-one']);

  // a param column too, and the metric pinned: it stays in view when the table scrolls sideways
  await columnsButton.click();
  await chooser.getByRole('checkbox', { name: 'param lr' }).check();
  await chooser.getByRole('checkbox', { name: 'Pin metric val loss to the left' }).check();
  await page.getByRole('columnheader', { name: /param lr/ }).waitFor();
  await page.getByRole('region', { name: 'Runs' }).evaluate((el) => { el.scrollLeft = 0; });
  await screenshot(page, 'runs-columns');
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.keyboard.press('Escape');
  const table = page.getByRole('region', { name: 'Runs' });
  assert.ok(await table.evaluate((el) => el.scrollWidth > el.clientWidth), 'many columns scroll sideways');
  const before = (await header.boundingBox()).x;
  const lr = page.getByRole('columnheader', { name: /param lr/ });
  const lrBefore = (await lr.boundingBox()).x;
  await table.evaluate((el) => { el.scrollLeft = 300; });
  await page.waitForFunction(() => document.querySelector('.virtual').scrollLeft > 0);
  assert.equal((await header.boundingBox()).x, before, 'the pinned column stays');
  assert.ok((await lr.boundingBox()).x < lrBefore, 'the others scroll');
  const cell = page.locator(`tr[data-run-id="${ids['p-parent']}"] td[data-column="params.lr"]`);
  assert.equal(await cell.textContent(), '0.1');
  assert.equal(await cell.getAttribute('title'), '0.1', 'the full value in a title');

  // the choice is kept for this experiment
  await page.reload();
  await page.getByText('6 runs loaded', { exact: true }).waitFor();
  await page.getByRole('columnheader', { name: /val loss/ }).waitFor();
  await page.getByRole('columnheader', { name: /param lr/ }).waitFor();
  assert.match(await page.getByRole('columnheader', { name: /val loss/ }).getAttribute('class'), /pinned/);
  assert.deepEqual(JSON.parse(await page.evaluate((k) => localStorage.getItem(k), `skein.runs.columns.${smallId}`)).columns,
    ['metrics.val loss', 'params.lr']);

  // a stored layout naming a column twice shows it once, and opening the screen rewrites nothing
  const key = `skein.runs.columns.${smallId}`;
  const stored = JSON.stringify({ columns: ['params.lr', 'params.lr'], pinned: ['name', 'name', 'params.lr'] });
  await page.evaluate(([k, v]) => localStorage.setItem(k, v), [key, stored]);
  await page.reload();
  await page.getByText('6 runs loaded', { exact: true }).waitFor();
  await page.getByRole('columnheader', { name: /param lr/ }).waitFor();
  assert.equal(await page.getByRole('columnheader', { name: /param lr/ }).count(), 1, 'a column listed twice shown once');
  assert.equal(await page.getByRole('columnheader', { name: /Run name/ }).count(), 1, 'a column pinned twice shown once');
  assert.equal(await page.locator('tr[data-run-id]').first().locator('td.name').count(), 1);
  assert.equal(await page.evaluate((k) => localStorage.getItem(k), key), stored, 'opening the screen writes nothing');

  // the run name leads to MLflow's run page
  await page.getByRole('link', { name: 'solo-a' }).click();
  assert.equal(new URL(page.url()).hash, `#/experiments/${smallId}/runs/${ids['solo-a']}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('runs: a dataset chosen from the loaded runs narrows the search, shown as a removable chip', { timeout: 120_000 }, async () => {
  const { page, errors, context } = await open(browser);
  await openSmall(page);
  const searched = page.waitForRequest((r) => r.url().includes('/runs/search')
    && r.postDataJSON().filter === "attributes.status = 'RUNNING' and dataset.digest = 'd2'");
  const filter = page.getByRole('searchbox', { name: 'Filter runs' });
  await filter.fill("attributes.status = 'RUNNING'");
  await filter.press('Enter');
  await page.getByRole('combobox', { name: 'Dataset' }).selectOption({ label: 'wine (d2)' });
  await searched;
  await page.getByText('2 runs loaded', { exact: true }).waitFor();
  const rows = await shownRows(page, 'dataset');
  assert.deepEqual(rows.map((r) => r.name).sort(), ['c-two', 'solo-a']);
  assert.ok(rows.every((r) => r.value === 'wine (d2) · training'));
  assert.ok(rows.every((r) => r.depth === 0), 'a child whose parent is not loaded is shown at the top');
  await page.getByRole('button', { name: 'Remove dataset filter wine (d2)' }).click();
  await page.getByText('6 runs loaded', { exact: true }).waitFor();
  assert.equal(await page.getByRole('list', { name: 'Dataset filters' }).count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('runs: a chosen dataset keeps only the runs that used it, not a dataset of the same name with another digest', { timeout: 120_000 }, async () => {
  const decoys = (await api('mlflow/experiments/create', { name: `ui-runs-datasets-${Date.now()}` })).experiment_id;
  const t = Date.now() - 30_000;
  await makeRun(decoys, 'ds-wine-d2', t, { dataset: ['wine', 'd2'] });
  await makeRun(decoys, 'ds-wine-d9', t + 1000, { dataset: ['wine', 'd9'] });
  await makeRun(decoys, 'ds-iris-d1', t + 2000, { dataset: ['iris', 'd1'] });
  const { page, errors, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/experiments/${decoys}`);
  await page.getByText('3 runs loaded', { exact: true }).waitFor();
  const dataset = page.getByRole('combobox', { name: 'Dataset' });

  let searched = page.waitForRequest((r) => r.url().includes('/runs/search') && r.postDataJSON().filter === "dataset.digest = 'd2'");
  await dataset.selectOption({ label: 'wine (d2)' });
  await searched;
  await page.getByText('1 run loaded', { exact: true }).waitFor();
  assert.deepEqual((await shownRows(page)).map((r) => r.name), ['ds-wine-d2'], 'the same name with another digest left out');

  // a second dataset widens the choice; the one chosen first is no longer offered
  assert.equal(await dataset.locator('option', { hasText: 'wine (d2)' }).count(), 0);
  searched = page.waitForRequest((r) => r.url().includes('/runs/search') && r.postDataJSON().filter === "dataset.digest IN ('d2', 'd1')");
  await dataset.selectOption({ label: 'iris (d1)' });
  await searched;
  await page.getByText('2 runs loaded', { exact: true }).waitFor();
  assert.deepEqual((await shownRows(page)).map((r) => r.name).sort(), ['ds-iris-d1', 'ds-wine-d2']);
  assert.deepEqual(await page.getByRole('list', { name: 'Dataset filters' }).getByRole('listitem').allTextContents()
    .then((texts) => texts.map((x) => x.replace(/\s+/g, ' ').replace('×', '').trim())),
  ['Dataset: wine (d2)', 'Dataset: iris (d1)'], 'the chips keep the names');
  assert.deepEqual(errors, []);
  await context.close();
});

test('runs: children under their parent, indented, collapsed and expanded from the keyboard', { timeout: 120_000 }, async () => {
  const { page, errors, context } = await open(browser);
  await openSmall(page);
  const toggle = page.getByRole('button', { name: 'Child runs of p-parent (2)' });
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  const names = (await shownRows(page)).map((r) => `${r.depth}:${r.name}`);
  const at = names.indexOf('0:p-parent');
  assert.deepEqual(names.slice(at, at + 3), ['0:p-parent', '1:c-two', '1:c-one'], 'children right under the parent');
  const indent = (name) => page.locator(`tr[data-run-id="${ids[name]}"] td.name`).evaluate((td) => parseFloat(getComputedStyle(td).paddingLeft));
  assert.ok(await indent('c-one') > await indent('p-parent'), 'children indented');
  assert.equal(await page.getByRole('table').getAttribute('aria-rowcount'), '7', 'header and six runs');
  assert.equal(await page.locator('tr[data-run-id]').first().getAttribute('aria-rowindex'), '2');

  await toggle.focus();
  await page.keyboard.press('Enter');
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  assert.equal(await page.locator(`tr[data-run-id="${ids['c-one']}"]`).count(), 0, 'collapsed: children hidden');
  assert.equal(await page.locator('tr[data-run-id]').count(), 4);
  await page.keyboard.press('Enter');
  await page.locator(`tr[data-run-id="${ids['c-one']}"]`).waitFor();

  assert.deepEqual(await accessibilityViolations(page), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('runs: a cycle of parents shown once from its first run, collapsed as a whole; deep nesting indented at most 12 levels', { timeout: 120_000 }, async () => {
  const nested = (await api('mlflow/experiments/create', { name: `ui-runs-nesting-${Date.now()}` })).experiment_id;
  const t = Date.now() - 30_000;
  // cy-a (the newer, read first) and cy-b, each the other's parent
  await makeRun(nested, 'cy-a', t + 1000);
  await makeRun(nested, 'cy-b', t, { parent: 'cy-a' });
  await api('mlflow/runs/set-tag', { run_id: ids['cy-a'], key: 'mlflow.parentRunId', value: ids['cy-b'] });
  // a chain fifteen deep, older than the cycle
  for (let i = 0; i < 15; i++) {
    await makeRun(nested, `deep-${String(i).padStart(2, '0')}`, t - 100_000 + i * 10,
      i ? { parent: `deep-${String(i - 1).padStart(2, '0')}` } : {});
  }
  const { page, errors, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/experiments/${nested}`);
  await page.getByText('17 runs loaded', { exact: true }).waitFor();
  const names = (await shownRows(page)).map((r) => `${r.depth}:${r.name}`);
  const at = names.indexOf('0:cy-a');
  assert.deepEqual(names.slice(at, at + 2), ['0:cy-a', '1:cy-b']);
  assert.equal(names.filter((n) => n.endsWith(':cy-a') || n.endsWith(':cy-b')).length, 2, 'each run of the cycle once');
  assert.equal(await page.getByRole('button', { name: /^Child runs of cy-b/ }).count(), 0,
    'no twisty for the parent above it');
  const toggle = page.getByRole('button', { name: 'Child runs of cy-a (1)' });
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  assert.equal(await page.locator(`tr[data-run-id="${ids['cy-b']}"]`).count(), 0, 'collapsed: the rest of the cycle hidden, not moved to the top');
  await toggle.click();
  await page.locator(`tr[data-run-id="${ids['cy-b']}"]`).waitFor();

  const indent = (n) => page.locator(`tr[data-run-id="${ids[n]}"] td.name`).evaluate((td) => parseFloat(getComputedStyle(td).paddingLeft));
  assert.equal(await page.locator(`tr[data-run-id="${ids['deep-14']}"]`).getAttribute('data-depth'), '14');
  assert.ok(await indent('deep-12') > await indent('deep-11'), 'indented down to 12 levels');
  assert.equal(await indent('deep-14'), await indent('deep-12'), 'and no further');
  assert.deepEqual(errors, []);
  await context.close();
});

test('runs: pages that add no row in view (children of a collapsed parent) are still read at the end; a failed one is not asked again on its own', { timeout: 180_000 }, async () => {
  const wide = (await api('mlflow/experiments/create', { name: `ui-runs-wide-${Date.now()}` })).experiment_id;
  const t = Date.now() - 600_000;
  // the parent newest, so first; its 200 children fill this page and the next two
  const parent = await makeRun(wide, 'wide-parent', t + 500_000);
  const kids = [...Array(200).keys()];
  for (let i = 0; i < kids.length; i += 25) {
    await Promise.all(kids.slice(i, i + 25).map((n) => api('mlflow/runs/create', {
      experiment_id: wide, run_name: `wide-${String(n).padStart(3, '0')}`, start_time: t + n * 1000,
      tags: [{ key: 'mlflow.parentRunId', value: parent }],
    })));
  }
  const { page, errors, expected, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/experiments/${wide}`);
  await page.getByText('100 runs loaded, more as you scroll').waitFor();

  // collapsed, one row is left: the next page is asked for, adds no row in view, and the one after
  // it is asked for all the same
  const toggle = page.getByRole('button', { name: /^Child runs of wide-parent/ });
  await toggle.click();
  await page.getByText('201 runs loaded', { exact: true }).waitFor();
  assert.equal(await page.locator('tr[data-run-id]').count(), 1, 'only the collapsed parent in view');
  assert.equal(await toggle.getAttribute('aria-label'), 'Child runs of wide-parent (200)');

  // the next page fails: told once, not asked for again while nothing moves
  await page.reload();
  await page.getByText('100 runs loaded, more as you scroll').waitFor();
  let refused = 0;
  const refuse = (route) => {
    if (!route.request().postDataJSON().page_token) return route.continue();
    refused += 1;
    return route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error_code: 'TEMPORARILY_UNAVAILABLE', message: 'try later' }) });
  };
  await page.route('**/runs/search', refuse);
  expected.push('/ajax-api/2.0/mlflow/runs/search');
  await toggle.click();
  await page.getByRole('alert').waitFor();
  await page.waitForTimeout(1500);
  assert.equal(refused, 1, 'a failed page is not retried in a loop');
  await page.unroute('**/runs/search', refuse);
  expected.length = 0;
  assert.deepEqual(errors, []);
  await context.close();
});

test('runs: two selected runs compared on MLflow\'s compare URL; a run deleted once confirmed, found under Deleted, restored', { timeout: 120_000 }, async () => {
  const { page, errors, expected, context } = await open(browser);
  await openSmall(page);
  await page.getByRole('checkbox', { name: 'Select all loaded runs' }).check();
  await page.getByText('6 selected').waitFor();
  await page.getByRole('checkbox', { name: 'Select all loaded runs' }).uncheck();
  await page.getByText('0 selected').waitFor();

  await page.getByRole('checkbox', { name: 'Select c-one' }).check();
  await page.getByRole('checkbox', { name: 'Select solo-a' }).check();
  await page.getByText('2 selected').waitFor();
  await page.getByRole('button', { name: 'Compare' }).click();
  await page.waitForFunction(() => window.location.hash.startsWith('#/compare-runs?'));
  const query = new URLSearchParams(new URL(page.url()).hash.split('?')[1]);
  assert.deepEqual(JSON.parse(query.get('runs')).sort(), [ids['c-one'], ids['solo-a']].sort());
  assert.deepEqual(JSON.parse(query.get('experiments')), [smallId]);

  await openSmall(page);
  // asked in the page first, naming the chosen runs out of view; Cancel (focused) deletes nothing
  await page.getByRole('checkbox', { name: 'Select c-one' }).check();
  await page.getByRole('button', { name: 'Child runs of p-parent (2)' }).click();
  await page.getByRole('checkbox', { name: 'Select d-victim' }).check();
  const deleteButton = page.getByRole('button', { name: 'Delete', exact: true });
  await deleteButton.click();
  const confirm = page.getByRole('group', { name: /^Delete 2 runs\?/ });
  await confirm.waitFor();
  assert.match(await confirm.textContent(), /1 of them is hidden under a collapsed parent/);
  // the focus moves once the question is painted (an effect): wait for it, bounded, rather than race it
  await page
    .waitForFunction(() => document.activeElement?.textContent === 'Cancel', null, { timeout: 10_000 })
    .catch(() => {});
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancel', 'the safe answer has the focus');
  await page.keyboard.press('Enter');
  assert.equal(await confirm.count(), 0);
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Delete', 'the focus back on Delete');
  await page.getByText('6 runs loaded', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Child runs of p-parent (2)' }).click();
  await page.getByRole('checkbox', { name: 'Select c-one' }).uncheck();
  await page.getByText('1 selected').waitFor();

  await deleteButton.click();
  await page.getByRole('group', { name: /^Delete 1 run\?/ }).waitFor();
  await page.getByRole('button', { name: 'Delete 1 run', exact: true }).click();
  await page.getByText('5 runs loaded', { exact: true }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'd-victim' }).count(), 0, 'gone from Active');
  await page.getByRole('combobox', { name: 'Show' }).selectOption('DELETED_ONLY');
  await page.getByRole('link', { name: 'd-victim' }).waitFor();

  // a restore that fails says how many were restored and the first error
  const refuse = (route) => route.fulfill({ status: 503, contentType: 'application/json',
    body: JSON.stringify({ error_code: 'TEMPORARILY_UNAVAILABLE', message: 'try later' }) });
  await page.route('**/runs/restore', refuse);
  expected.push('/ajax-api/2.0/mlflow/runs/restore');
  await page.getByRole('checkbox', { name: 'Select d-victim' }).check();
  await page.getByRole('button', { name: 'Restore' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /^0 of 1 restored; the first error: TEMPORARILY_UNAVAILABLE try later$/);
  await page.unroute('**/runs/restore', refuse);
  expected.length = 0;

  await page.getByRole('checkbox', { name: 'Select d-victim' }).check();
  await page.getByRole('button', { name: 'Restore' }).click();
  await page.getByText('No runs match.').waitFor();
  assert.equal(await page.getByRole('alert').count(), 0, 'the error gone once a restore succeeds');
  await page.getByRole('combobox', { name: 'Show' }).selectOption('ACTIVE_ONLY');
  await page.getByText('6 runs loaded', { exact: true }).waitFor();
  await page.getByRole('link', { name: 'd-victim' }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('runs: several experiments on MLflow\'s compare-experiments URL, with an Experiment column', { timeout: 120_000 }, async () => {
  const { page, errors, context } = await open(browser);
  const searched = page.waitForRequest((r) => r.url().includes('/runs/search'));
  await page.goto(`${BASE_URL}/#/compare-experiments/s?experiments=${encodeURIComponent(JSON.stringify([experimentId, smallId]))}`);
  assert.deepEqual((await searched).postDataJSON().experiment_ids, [experimentId, smallId]);
  await page.getByRole('heading', { name: `${name}, ${small}` }).waitFor();
  await page.getByText('100 runs loaded, more as you scroll').waitFor();
  assert.equal(await page.getByRole('table').getAttribute('aria-rowcount'), '-1', 'more rows than known');
  await page.getByRole('columnheader', { name: 'Experiment' }).waitFor();
  // the small experiment's runs are the newest: first, named by their experiment
  const first = page.locator('tr[data-run-id]').first().locator('td[data-column="experiment"]');
  await page.waitForFunction((n) => document.querySelector('tr[data-run-id] td[data-column="experiment"]')?.textContent === n, small);
  assert.equal(await first.textContent(), small);
  assert.ok((await page.$$eval('td[data-column="experiment"]', (cells) => cells.map((c) => c.textContent))).includes(name),
    'runs of both experiments');
  assert.deepEqual(await accessibilityViolations(page), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('runs: a link naming more than 100 experiments is refused in the page, without reading them', async () => {
  const { page, errors, context } = await open(browser);
  const asked = [];
  // the app asks who is signed in first; no experiment may be read
  page.on('request', (r) => { if (r.url().includes('/ajax-api/2.0/mlflow/')) asked.push(r.url()); });
  const many = [...Array(101).keys()].map((n) => String(n + 1));
  await page.goto(`${BASE_URL}/#/compare-experiments/s?experiments=${encodeURIComponent(JSON.stringify(many))}`);
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /names 101 experiments: at most 100 are shown together/);
  assert.deepEqual(asked, [], 'no experiment read');
  assert.deepEqual(errors, []);
  await context.close();
});

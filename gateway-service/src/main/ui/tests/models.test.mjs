import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accessibilityViolations, api, BASE_URL, expectRefusedFilter, launch, open, screenshot } from './browser.mjs';

let browser;
const prefix = `ui-reg-${Date.now()}`;
const iris = `${prefix}-iris`;
let run;

const modelUrl = (name) => `${BASE_URL}/#/models/${encodeURIComponent(name)}`;
const rowsShown = (page) => page.$$eval('tr[data-model]', (rows) => rows.map((r) => r.dataset.model));

before(async () => {
  browser = await launch();
  const experimentId = (await api('mlflow/experiments/create', { name: prefix })).experiment_id;
  run = (await api('mlflow/runs/create', { experiment_id: experimentId, run_name: `${prefix}-train` })).run;
  await api('mlflow/registered-models/create', { name: iris, tags: [{ key: 'team', value: 'vision' }] });
  for (let i = 0; i < 2; i += 1) {
    await api('mlflow/model-versions/create', {
      name: iris, source: `runs:/${run.info.run_id}/model`, run_id: run.info.run_id,
    });
  }
  await api('mlflow/registered-models/create', { name: `${prefix}-other` });
});

after(async () => {
  await browser?.close();
});

test('models: MLflow filters and their errors, sorted through order_by, created, opened from the list', async () => {
  const { page, errors, expected, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/models`);
  await page.getByRole('heading', { name: 'Registered models' }).waitFor();
  const filter = page.getByRole('searchbox', { name: 'Filter models' });
  await filter.fill(`name LIKE '${prefix}-%'`);
  await filter.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('tr[data-model]').length === 2);

  // the columns as MLflow's list shows them: latest version, aliases, tags
  const row = page.locator(`tr[data-model="${iris}"]`);
  await row.getByRole('link', { name: 'Version 2' }).waitFor();
  assert.equal(await row.getByRole('link', { name: 'Version 2' }).getAttribute('href'),
    `#/models/${encodeURIComponent(iris)}/versions/2`);
  assert.match(await row.textContent(), /team: vision/);

  // sorted by name through order_by: ascending, then descending
  await page.getByRole('button', { name: 'Name' }).click();
  await page.waitForFunction((n) => document.querySelector('tr[data-model]')?.dataset.model === n, iris);
  assert.equal(await page.getByRole('columnheader', { name: /Name/ }).getAttribute('aria-sort'), 'ascending');
  await page.getByRole('button', { name: /Name/ }).click();
  await page.waitForFunction((n) => document.querySelector('tr[data-model]')?.dataset.model === n, `${prefix}-other`);
  assert.deepEqual(await rowsShown(page), [`${prefix}-other`, iris]);

  // a filter the API refuses: its error under the box
  await expectRefusedFilter({ page, expected }, filter, 'name ~ 1', '/ajax-api/2.0/mlflow/registered-models/search');

  await filter.fill(`name LIKE '${prefix}-%'`);
  await filter.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('tr[data-model]').length === 2);
  await screenshot(page, 'models');
  assert.deepEqual(await accessibilityViolations(page), []);

  // opened from the list
  await page.getByRole('link', { name: iris, exact: true }).click();
  await page.getByRole('heading', { name: iris, level: 1 }).waitFor();
  assert.equal(new URL(page.url()).hash, `#/models/${encodeURIComponent(iris)}`);

  // created through the form: the new model's page opens
  await page.goto(`${BASE_URL}/#/models`);
  await page.getByRole('textbox', { name: 'New model' }).fill(`${prefix}-made`);
  await page.getByRole('button', { name: 'Create model' }).click();
  await page.getByRole('heading', { name: `${prefix}-made`, level: 1 }).waitFor();
  assert.equal((await api(`mlflow/registered-models/get?name=${prefix}-made`)).registered_model.name, `${prefix}-made`);

  // a taken name is reported, not swallowed
  await page.goto(`${BASE_URL}/#/models`);
  await page.getByRole('textbox', { name: 'New model' }).fill(iris);
  expected.push('/ajax-api/2.0/mlflow/registered-models/create');
  await page.getByRole('button', { name: 'Create model' }).click();
  await page.getByText('RESOURCE_ALREADY_EXISTS').waitFor();
  expected.length = 0;

  assert.deepEqual(errors, []);
  await context.close();
});

test('model: description, tags, aliases, stages and versions with their source runs', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(modelUrl(iris));
  await page.getByRole('heading', { name: iris, level: 1 }).waitFor();

  // the versions, newest first, each with its source run linked to MLflow's run URL
  await page.waitForFunction(() => document.querySelectorAll('tr[data-version]').length === 2);
  assert.deepEqual(await page.$$eval('tr[data-version]', (rows) => rows.map((r) => r.dataset.version)), ['2', '1']);
  const runLink = page.locator('tr[data-version="1"]').getByRole('link', { name: `${prefix}-train` });
  await runLink.waitFor();
  assert.equal(await runLink.getAttribute('href'), `#/experiments/${run.info.experiment_id}/runs/${run.info.run_id}`);

  // description
  await page.getByRole('button', { name: `Edit the description of ${iris}` }).click();
  await page.getByRole('textbox', { name: `Description of ${iris}` }).fill('Classifies irises.\nSecond line.');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Classifies irises.').waitFor();
  assert.equal((await api(`mlflow/registered-models/get?name=${iris}`)).registered_model.description,
    'Classifies irises.\nSecond line.');

  // tags: added, edited, deleted
  await page.getByRole('textbox', { name: 'Tag key' }).fill('owner');
  await page.getByRole('textbox', { name: 'Tag value' }).fill('ml');
  await page.getByRole('button', { name: 'Add tag' }).click();
  await page.locator('tr[data-tag="owner"]').waitFor();
  await page.getByRole('button', { name: 'Edit tag owner' }).click();
  await page.getByRole('textbox', { name: 'Value of tag owner' }).fill('ml-platform');
  await page.getByRole('textbox', { name: 'Value of tag owner' }).press('Enter');
  await page.locator('tr[data-tag="owner"]').getByText('ml-platform').waitFor();
  await page.getByRole('button', { name: 'Delete tag team' }).click();
  await page.locator('tr[data-tag="team"]').waitFor({ state: 'detached' });
  const tags = (await api(`mlflow/registered-models/get?name=${iris}`)).registered_model.tags;
  assert.deepEqual(tags, [{ key: 'owner', value: 'ml-platform' }]);

  // an alias set on version 1: listed with the model and on the version's row
  await page.getByRole('textbox', { name: 'Alias' }).fill('champion');
  await page.getByRole('combobox', { name: 'On version' }).selectOption('1');
  await page.getByRole('button', { name: 'Set alias' }).click();
  await page.locator('li[data-alias="champion"]').waitFor();
  await page.locator('tr[data-version="1"]').getByText('@ champion').waitFor();
  assert.deepEqual((await api(`mlflow/registered-models/get?name=${iris}`)).registered_model.aliases,
    [{ alias: 'champion', version: '1' }]);

  // stages: version 1 to Production, then version 2 to Production archiving version 1
  await page.getByRole('button', { name: 'Change stage of version 1' }).click();
  await page.getByRole('combobox', { name: 'New stage for version 1' }).selectOption('Production');
  await page.getByRole('button', { name: 'Transition' }).click();
  await page.locator('tr[data-version="1"] .stage', { hasText: 'Production' }).waitFor();
  await page.getByRole('button', { name: 'Change stage of version 2' }).click();
  await page.getByRole('combobox', { name: 'New stage for version 2' }).selectOption('Production');
  await page.getByRole('checkbox', { name: 'Archive the versions now in Production' }).check();
  await screenshot(page, 'model');
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.getByRole('button', { name: 'Transition' }).click();
  await page.locator('tr[data-version="2"] .stage', { hasText: 'Production' }).waitFor();
  await page.locator('tr[data-version="1"] .stage', { hasText: 'Archived' }).waitFor();
  const v1 = (await api(`mlflow/model-versions/get?name=${iris}&version=1`)).model_version;
  assert.equal(v1.current_stage, 'Archived');

  // the alias removed again
  await page.getByRole('button', { name: 'Remove alias champion' }).click();
  await page.locator('li[data-alias="champion"]').waitFor({ state: 'detached' });
  assert.equal((await api(`mlflow/registered-models/get?name=${iris}`)).registered_model.aliases, undefined);

  // the model's audit trail, one click away
  await page.getByRole('link', { name: `Audit trail of ${iris}` }).click();
  await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
  assert.equal(new URL(page.url()).hash, `#/audit?model=${encodeURIComponent(iris).replace(/%20/g, '+')}`);
  await page.locator('tr[data-event-id]').first().waitFor();

  assert.deepEqual(errors, []);
  await context.close();
});

test('version: MLflow\'s #/models/{name}/versions/{n}, its lineage, edits, aliases and stage', async () => {
  const { page, errors, expected, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/models/${encodeURIComponent(iris)}/versions/2`);
  await page.getByRole('heading', { name: `${iris} · Version 2` }).waitFor();
  assert.match(await page.locator('dl.facts').first().textContent(), /READY/);
  await page.getByText(`runs:/${run.info.run_id}/model`).waitFor();

  // lineage: the run and its experiment, the model's path in the run, the run's artifacts
  const lineage = page.getByRole('region', { name: 'Lineage' });
  await lineage.getByRole('link', { name: `${prefix}-train` }).waitFor();
  assert.equal(await lineage.getByRole('link', { name: prefix, exact: true }).getAttribute('href'),
    `#/experiments/${run.info.experiment_id}`);
  assert.match(await lineage.textContent(), /Model path in the run\s*model/);
  assert.equal(await lineage.getByRole('link', { name: 'The run\'s artifacts' }).getAttribute('href'),
    `#/experiments/${run.info.experiment_id}/runs/${run.info.run_id}/artifactPath/model`);

  // description and tags of the version
  await page.getByRole('button', { name: 'Edit the description of version 2' }).click();
  await page.getByRole('textbox', { name: 'Description of version 2' }).fill('Retrained on May data');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Retrained on May data').waitFor();
  await page.getByRole('textbox', { name: 'Tag key' }).fill('validated');
  await page.getByRole('textbox', { name: 'Tag value' }).fill('yes');
  await page.getByRole('button', { name: 'Add tag' }).click();
  await page.locator('tr[data-tag="validated"]').waitFor();
  let v2 = (await api(`mlflow/model-versions/get?name=${iris}&version=2`)).model_version;
  assert.equal(v2.description, 'Retrained on May data');
  // (beside the tags evaluation-service's audit of the version sets: skein.audit.*)
  assert.deepEqual(v2.tags.filter((t) => !t.key.startsWith('skein.audit.')), [{ key: 'validated', value: 'yes' }]);
  await page.getByRole('button', { name: 'Delete tag validated' }).click();
  await page.locator('tr[data-tag="validated"]').waitFor({ state: 'detached' });

  // an alias of this version, set and removed
  await page.getByRole('textbox', { name: 'Alias' }).fill('challenger');
  await page.getByRole('button', { name: 'Set alias' }).click();
  await page.locator('li[data-alias="challenger"]').waitFor();
  assert.deepEqual((await api(`mlflow/model-versions/get?name=${iris}&version=2`)).model_version.aliases, ['challenger']);

  // a stage change
  await page.getByRole('button', { name: 'Change stage' }).click();
  await page.getByRole('combobox', { name: 'New stage for version 2' }).selectOption('Staging');
  await page.getByRole('button', { name: 'Transition' }).click();
  await page.getByRole('region', { name: 'Stage' }).locator('.stage', { hasText: 'Staging' }).waitFor();
  v2 = (await api(`mlflow/model-versions/get?name=${iris}&version=2`)).model_version;
  assert.equal(v2.current_stage, 'Staging');
  await screenshot(page, 'version');
  assert.deepEqual(await accessibilityViolations(page), []);

  await page.getByRole('button', { name: 'Remove alias challenger' }).click();
  await page.locator('li[data-alias="challenger"]').waitFor({ state: 'detached' });

  // a version that does not exist: the API's answer, in the page
  expected.push('/ajax-api/2.0/mlflow/model-versions/get');
  await page.goto(`${BASE_URL}/#/models/${encodeURIComponent(iris)}/versions/99`);
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /RESOURCE_DOES_NOT_EXIST/);
  expected.length = 0;

  assert.deepEqual(errors, []);
  await context.close();
});

test('model: renamed, then deleted after a confirmation in the page', async () => {
  const name = `${prefix}-doomed`;
  await api('mlflow/registered-models/create', { name });
  await api('mlflow/model-versions/create', { name, source: `runs:/${run.info.run_id}/model`, run_id: run.info.run_id });
  const { page, errors, context } = await open(browser);
  await page.goto(modelUrl(name));
  await page.getByRole('heading', { name, level: 1 }).waitFor();

  await page.getByRole('button', { name: 'Rename' }).click();
  await page.getByRole('textbox', { name: `New name for ${name}` }).fill(`${name} renamed`);
  await page.getByRole('button', { name: 'Save name' }).click();
  await page.getByRole('heading', { name: `${name} renamed`, level: 1 }).waitFor();
  assert.equal(new URL(page.url()).hash, `#/models/${encodeURIComponent(`${name} renamed`)}`);
  await assert.rejects(api(`mlflow/registered-models/get?name=${name}`), /RESOURCE_DOES_NOT_EXIST/);

  // the deletion asks first, in the page; "Keep it" keeps it
  await page.getByRole('button', { name: 'Delete model' }).click();
  const confirm = page.getByRole('group', { name: new RegExp(`Delete ${name} renamed\\?`) });
  await confirm.waitFor();
  assert.deepEqual(await accessibilityViolations(page), []);
  await confirm.getByRole('button', { name: 'Keep it' }).click();
  await confirm.waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Delete model' }).click();
  await page.getByRole('button', { name: `Delete ${name} renamed` }).click();
  await page.getByRole('heading', { name: 'Registered models' }).waitFor();
  await assert.rejects(api(`mlflow/registered-models/get?name=${encodeURIComponent(`${name} renamed`)}`),
    /RESOURCE_DOES_NOT_EXIST/);

  assert.deepEqual(errors, []);
  await context.close();
});

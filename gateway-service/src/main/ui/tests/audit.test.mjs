import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accessibilityViolations, api, BASE_URL, launch, open, screenshot } from './browser.mjs';

let browser;
const prefix = `ui-audit-${Date.now()}`;
const model = `${prefix}-audited`;
const other = `${prefix}-other`;
let trail; // the model's changes as the API lists them, oldest first

const auditUrl = (params) => `${BASE_URL}/#/audit?${new URLSearchParams(params)}`;
const kindsShown = (page) => page.$$eval('tr[data-event-id]', (rows) => rows.map((r) => r.dataset.kind));

before(async () => {
  browser = await launch();
  const experimentId = (await api('mlflow/experiments/create', { name: prefix })).experiment_id;
  const runId = (await api('mlflow/runs/create', { experiment_id: experimentId })).run.info.run_id;
  // a finished run: the audit of a version whose run goes on waits for the run to end
  await api('mlflow/runs/update', { run_id: runId, status: 'FINISHED' });
  await api('mlflow/registered-models/create', { name: model });
  await api('mlflow/registered-models/set-tag', { name: model, key: 'team', value: 'vision' });
  await api('mlflow/model-versions/create', { name: model, source: `runs:/${runId}/model`, run_id: runId });
  await audited(model, '1');
  await api('mlflow/model-versions/transition-stage', {
    name: model, version: '1', stage: 'Production', archive_existing_versions: false,
  });
  await api('mlflow/registered-models/alias', { name: model, alias: 'champion', version: '1' });
  await api('mlflow/registered-models/create', { name: other });
  trail = (await api(`skein/audit/events?model=${model}`)).events;
});

/**
 * Waits for evaluation-service's audit of a new version: the registry then tags it (skein.audit.status
 * and skein.audit.report, two changes in the trail), and the trail's order is known only after that.
 */
async function audited(name, version) {
  const until = Date.now() + 60_000;
  for (;;) {
    const { tags = [] } = (await api(`mlflow/model-versions/get?name=${name}&version=${version}`)).model_version;
    if (['skein.audit.status', 'skein.audit.report'].every((key) => tags.some((t) => t.key === key))) return;
    if (Date.now() > until) throw new Error(`version ${version} of ${name} was not audited within a minute`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

after(async () => {
  await browser?.close();
});

const KINDS = [
  'REGISTERED_MODEL_CREATED',
  'REGISTERED_MODEL_TAG_SET',
  'MODEL_VERSION_CREATED',
  'MODEL_VERSION_TAG_SET', // the audit's verdict and report
  'MODEL_VERSION_TAG_SET',
  'MODEL_VERSION_STAGE_TRANSITIONED',
  'MODEL_VERSION_ALIAS_SET',
];

test('audit: a model\'s changes in order, who made them and what changed, filtered from the query string', async () => {
  assert.deepEqual(trail.map((e) => e.change.kind), KINDS);
  const { page, errors, context } = await open(browser);
  await page.goto(auditUrl({ model }));
  await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
  await page.waitForFunction((n) => document.querySelectorAll('tr[data-event-id]').length === n, KINDS.length);
  assert.deepEqual(await kindsShown(page), KINDS);
  // the filter read from the location is the one in the form
  assert.equal(await page.getByRole('textbox', { name: 'Model' }).inputValue(), model);

  // each change: time, kind, model, version, actor, and what it changed, in words and as recorded
  const promoted = page.locator('tr[data-kind="MODEL_VERSION_STAGE_TRANSITIONED"]');
  const cells = await promoted.locator('td').allTextContents();
  assert.match(cells[1], /Version stage changed/);
  assert.match(cells[1], /dev\.skein\.registry\.model_version\.stage_transitioned\.v1/);
  assert.match(cells[2], new RegExp(model));
  assert.equal(cells[3].trim(), '1');
  const stageChange = trail.find((e) => e.change.kind === 'MODEL_VERSION_STAGE_TRANSITIONED').change;
  assert.equal(cells[4].trim(), stageChange.actor);
  assert.match(cells[5], /Stage None → Production/);
  assert.match(await page.locator('tr[data-kind="MODEL_VERSION_ALIAS_SET"]').textContent(), /@champion → version 1/);
  assert.match(await page.locator('tr[data-kind="REGISTERED_MODEL_TAG_SET"]').textContent(), /Tag team = “vision”/);
  const recorded = promoted.locator('pre');
  assert.equal(await recorded.isVisible(), false);
  await promoted.getByText('Change as recorded').click();
  await recorded.waitFor();
  const json = JSON.parse(await recorded.textContent());
  assert.equal(json.event_id, stageChange.event_id);
  assert.equal(json.version_after.current_stage, 'Production');
  await screenshot(page, 'audit');
  assert.deepEqual(await accessibilityViolations(page), []);

  // since: the changes from the third on
  await page.goto(auditUrl({ model, since: trail[2].change.time }));
  await page.waitForFunction((n) => document.querySelectorAll('tr[data-event-id]').length === n, KINDS.length - 2);
  assert.deepEqual(await kindsShown(page), KINDS.slice(2));

  // another model, chosen in the form: the location follows, so the view can be linked to
  await page.getByRole('textbox', { name: 'Model' }).fill(other);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForFunction(() => document.querySelectorAll('tr[data-event-id]').length === 1);
  assert.deepEqual(await kindsShown(page), ['REGISTERED_MODEL_CREATED']);
  const hash = new URLSearchParams(new URL(page.url()).hash.split('?')[1]);
  assert.equal(hash.get('model'), other);
  assert.equal(hash.get('since'), String(trail[2].change.time), 'an untouched time keeps its exact value');

  // a model link leads to the model's page
  await page.locator('tr[data-event-id]').getByRole('link', { name: other }).click();
  await page.getByRole('heading', { name: other, level: 1 }).waitFor();

  assert.deepEqual(errors, []);
  await context.close();
});

// The server-side actor, type and until filters are new in registry-service: this test passes only
// against a suite running that build.
test('audit: kind, actor and until filtered by the API, and the filters it refuses shown', async () => {
  const { page, errors, expected, context } = await open(browser);
  await page.goto(auditUrl({ model }));
  await page.waitForFunction((n) => document.querySelectorAll('tr[data-event-id]').length === n, KINDS.length);

  // the kind chosen in the form
  await page.getByRole('combobox', { name: 'Kind' }).selectOption({ label: 'Version stage changed' });
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForFunction(() => document.querySelectorAll('tr[data-event-id]').length === 1);
  assert.deepEqual(await kindsShown(page), ['MODEL_VERSION_STAGE_TRANSITIONED']);
  assert.equal(new URLSearchParams(new URL(page.url()).hash.split('?')[1]).get('type'),
    'dev.skein.registry.model_version.stage_transitioned.v1');

  // until: the changes up to the second
  await page.goto(auditUrl({ model, until: trail[1].change.time }));
  await page.waitForFunction(() => document.querySelectorAll('tr[data-event-id]').length === 2);
  assert.deepEqual(await kindsShown(page), KINDS.slice(0, 2));

  // actor: the one who made them, and someone who made none
  // (the audit's tags are set by evaluation-service, as itself)
  const actor = trail[0].change.actor;
  const theirs = trail.filter((e) => e.change.actor === actor).map((e) => e.change.kind);
  assert.deepEqual(theirs, KINDS.filter((k) => k !== 'MODEL_VERSION_TAG_SET'));
  await page.goto(auditUrl({ model, actor }));
  await page.waitForFunction((n) => document.querySelectorAll('tr[data-event-id]').length === n, theirs.length);
  assert.deepEqual(await kindsShown(page), theirs);
  await page.goto(auditUrl({ model, actor: `nobody-${prefix}` }));
  await page.getByText('No changes match.').waitFor();
  assert.equal(await page.locator('tr[data-event-id]').count(), 0);

  // filters the API refuses: its error in the page, not an empty trail
  expected.push('/ajax-api/2.0/skein/audit/events');
  await page.goto(auditUrl({ type: 'model.exploded' }));
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /INVALID_PARAMETER_VALUE/);
  await page.goto(auditUrl({ model, since: trail[2].change.time, until: trail[0].change.time - 1 }));
  await page.getByRole('alert').filter({ hasText: 'until' }).waitFor();
  expected.length = 0;

  assert.deepEqual(await accessibilityViolations(page), []);
  assert.deepEqual(errors, []);
  await context.close();
});

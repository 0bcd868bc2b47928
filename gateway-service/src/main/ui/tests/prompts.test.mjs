// The prompt screens against the running suite: prompts (MLflow's prompt registry, registered models tagged
// mlflow.prompt.is_prompt) listed and searched, a prompt's versions diffed, its alias moved and removed, a new
// version and a new prompt made, each checked through the API.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accessibilityViolations, api, BASE_URL, launch, open, screenshot } from './browser.mjs';

let browser;
const prefix = `ui-prompt-${Date.now()}`;
const greeting = `${prefix}-Greeting`;
const other = `${prefix}-other`;
const model = `${prefix}-model`;

const promptUrl = (name) => `${BASE_URL}/#/prompts/${encodeURIComponent(name)}`;
const listed = (page) => page.$$eval('tr[data-prompt]', (rows) => rows.map((r) => r.dataset.prompt));
const q = (params) => new URLSearchParams(params).toString();

before(async () => {
  browser = await launch();
  await api('skein/prompts/create', {
    name: greeting, template: { text: 'Hello {{name}}.\nWelcome to {{place}}.' }, commit_message: 'first words',
  });
  await api('skein/prompts/versions/create', {
    name: greeting, template: { text: 'Hello {{name}}.\nWelcome to {{place}}.\nEnjoy your stay.' }, commit_message: 'a wish',
  });
  await api('skein/prompts/versions/create', {
    name: greeting, template: { text: 'Hi {{name}}.\nWelcome to {{place}}.\nEnjoy your stay.' }, commit_message: 'less formal',
  });
  await api('mlflow/registered-models/alias', { name: greeting, alias: 'production', version: '1' });
  await api('skein/prompts/create', { name: other, template: { text: 'Summarise {{text}}' } });
  // a model whose name matches the search: not a prompt, never listed among them
  await api('mlflow/registered-models/create', { name: model });
});

after(async () => {
  await browser?.close();
});

test('prompts: listed from the navigation, searched by part of a name in any case, models left out', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/experiments`);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Prompts' }).click();
  await page.getByRole('heading', { name: 'Prompts', level: 1 }).waitFor();
  assert.equal(new URL(page.url()).hash, '#/prompts');

  const search = page.getByRole('searchbox', { name: 'Search prompts' });
  await search.fill(prefix);
  await search.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('tr[data-prompt]').length === 2);
  assert.deepEqual((await listed(page)).sort(), [greeting, other].sort());
  const row = page.locator(`tr[data-prompt="${greeting}"]`);
  assert.match(await row.textContent(), /Version 3/);
  assert.match(await row.textContent(), /@ production : v1/);

  // any case, any part of the name
  await search.fill(`${prefix}-gREETing`.toUpperCase());
  await search.press('Enter');
  await page.waitForFunction((n) => {
    const rows = [...document.querySelectorAll('tr[data-prompt]')].map((r) => r.dataset.prompt);
    return rows.length === 1 && rows[0] === n;
  }, greeting);
  await search.fill(`${prefix}-no-such`);
  await search.press('Enter');
  await page.getByText(`No prompt's name contains “${prefix}-no-such”.`).waitFor();
  assert.equal(await page.locator('tr[data-prompt]').count(), 0);

  await search.fill(prefix);
  await search.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('tr[data-prompt]').length === 2);
  await screenshot(page, 'prompts');
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.getByRole('link', { name: greeting }).click();
  await page.getByRole('heading', { name: greeting, level: 1 }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('prompt: versions with template, commit message and aliases; any two diffed; an alias moved and removed', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(promptUrl(greeting));
  const versions = page.getByRole('table', { name: 'Versions' });
  await versions.locator('tr[data-version="1"]').waitFor();
  assert.deepEqual(await page.$$eval('tr[data-version]', (rows) => rows.map((r) => r.dataset.version)), ['3', '2', '1']);
  const first = versions.locator('tr[data-version="1"]');
  assert.match(await first.textContent(), /Hello \{\{name\}\}\.\s*Welcome to \{\{place\}\}\./);
  assert.match(await first.textContent(), /first words/);
  assert.match(await first.textContent(), /@ production/);
  assert.match(await first.textContent(), /Variables: \{\{name\}\}, \{\{place\}\}/);
  assert.match(await versions.locator('tr[data-version="3"]').textContent(), /less formal/);

  // version 1 against version 3: the greeting changed, a line added
  const compare = page.getByRole('form', { name: 'Compare versions' });
  await compare.getByRole('combobox', { name: 'From version' }).selectOption('1');
  await compare.getByRole('combobox', { name: 'To version' }).selectOption('3');
  await compare.getByRole('button', { name: 'Show diff' }).click();
  const diff = page.getByRole('table', { name: 'Diff of version 1 and version 3' });
  await diff.waitFor();
  const lines = await diff.locator('tbody tr').evaluateAll((rows) => rows.map((r) => `${r.dataset.op} ${r.querySelector('code').textContent}`));
  assert.deepEqual(lines.sort(), [
    'DELETE Hello {{name}}.', 'EQUAL Welcome to {{place}}.', 'INSERT Enjoy your stay.', 'INSERT Hi {{name}}.',
  ].sort());
  assert.match(await page.locator('.diff-summary').textContent(), /2 lines added,\s*1 removed/);
  // the other way round, between neighbours
  await compare.getByRole('combobox', { name: 'From version' }).selectOption('3');
  await compare.getByRole('combobox', { name: 'To version' }).selectOption('2');
  await compare.getByRole('button', { name: 'Show diff' }).click();
  await page.getByRole('table', { name: 'Diff of version 3 and version 2' }).waitFor();
  assert.match(await page.locator('.diff-summary').textContent(), /1 line added,\s*1 removed/);
  await screenshot(page, 'prompt');
  assert.deepEqual(await accessibilityViolations(page), []);

  // the alias moved from version 1 to version 3
  const aliases = page.getByRole('form', { name: 'Set an alias' });
  await aliases.getByRole('textbox', { name: 'Alias' }).fill('production');
  await aliases.getByRole('combobox', { name: 'On version' }).selectOption('3');
  await aliases.getByRole('button', { name: 'Set alias' }).click();
  await page.locator('li[data-alias="production"][data-version="3"]').waitFor();
  await versions.locator('tr[data-version="3"]', { hasText: '@ production' }).waitFor();
  assert.doesNotMatch(await versions.locator('tr[data-version="1"]').textContent(), /@ production/);
  const moved = await api(`skein/prompts/versions/get?${q({ name: greeting, alias: 'production' })}`);
  assert.equal(moved.prompt_version.version, '3');

  // and removed
  await page.getByRole('button', { name: 'Remove alias production' }).click();
  await page.locator('li[data-alias="production"]').waitFor({ state: 'detached' });
  const model = await api(`mlflow/registered-models/get?${q({ name: greeting })}`);
  assert.deepEqual(model.registered_model.aliases || [], []);

  // a new version from the latest template
  await page.getByRole('button', { name: 'New version' }).click();
  const form = page.getByRole('form', { name: 'New version' });
  const template = form.getByRole('textbox', { name: 'Template' });
  assert.equal(await template.inputValue(), 'Hi {{name}}.\nWelcome to {{place}}.\nEnjoy your stay.');
  await template.fill('Hi {{name}}, welcome to {{place}}!');
  await form.getByRole('textbox', { name: 'Commit message' }).fill('one line');
  await form.getByRole('button', { name: 'Create version' }).click();
  await versions.locator('tr[data-version="4"]', { hasText: 'one line' }).waitFor();
  const latest = await api(`skein/prompts/versions/get?${q({ name: greeting })}`);
  assert.equal(latest.prompt_version.version, '4');
  assert.equal(latest.prompt_version.template.text, 'Hi {{name}}, welcome to {{place}}!');
  assert.equal(latest.prompt_version.commit_message, 'one line');
  assert.deepEqual(errors, []);
  await context.close();
});

test('prompts: a new prompt made from the list (a name the registry refuses told in the page), then a chat version', async () => {
  const { page, errors, expected, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/prompts`);
  await page.getByRole('button', { name: 'New prompt' }).click();
  const form = page.getByRole('form', { name: 'New prompt' });
  // MLflow's rule for prompt names: letters, digits, _ - . only
  expected.push('/ajax-api/2.0/skein/prompts/create');
  await form.getByRole('textbox', { name: 'Name' }).fill(`${prefix} with spaces`);
  await form.getByRole('textbox', { name: 'Template' }).fill('Translate {{text}} into {{language}}.');
  await form.getByRole('button', { name: 'Create prompt' }).click();
  assert.match(await page.getByRole('alert').textContent(), /INVALID_PARAMETER_VALUE.*only contain alphanumeric characters/);
  expected.length = 0;

  const name = `${prefix}-translate`;
  await form.getByRole('textbox', { name: 'Name' }).fill(name);
  await form.getByRole('textbox', { name: 'Commit message' }).fill('the first');
  await form.getByRole('button', { name: 'Create prompt' }).click();
  await page.getByRole('heading', { name, level: 1 }).waitFor();
  assert.equal(new URL(page.url()).hash, `#/prompts/${encodeURIComponent(name)}`);
  await page.locator('tr[data-version="1"]', { hasText: 'the first' }).waitFor();
  const made = await api(`skein/prompts/versions/get?${q({ name, version: '1' })}`);
  assert.equal(made.prompt_version.template.text, 'Translate {{text}} into {{language}}.');
  assert.deepEqual(made.prompt_version.variables, ['text', 'language']);

  // its next version a chat: a system and a user message
  await page.getByRole('button', { name: 'New version' }).click();
  const next = page.getByRole('form', { name: 'New version' });
  await next.getByRole('radio', { name: 'Chat' }).check();
  assert.equal(await next.getByRole('combobox', { name: 'Role of message 1' }).inputValue(), 'system');
  await next.getByRole('textbox', { name: 'Content of message 1' }).fill('You translate into {{language}}.');
  await next.getByRole('textbox', { name: 'Content of message 2' }).fill('{{text}}');
  await next.getByRole('button', { name: 'Add message' }).click();
  await next.getByRole('combobox', { name: 'Role of message 3' }).selectOption('assistant');
  await next.getByRole('textbox', { name: 'Content of message 3' }).fill('Which register?');
  await next.getByRole('button', { name: 'Remove message 3' }).click();
  await next.getByRole('textbox', { name: 'Commit message' }).fill('as a chat');
  await next.getByRole('button', { name: 'Create version' }).click();
  const chat = page.locator('tr[data-version="2"]', { hasText: 'as a chat' });
  await chat.waitFor();
  assert.match(await chat.textContent(), /Version 2\s*chat/);
  assert.match(await chat.textContent(), /Variables: \{\{language\}\}, \{\{text\}\}/);
  const v2 = (await api(`skein/prompts/versions/get?${q({ name, version: '2' })}`)).prompt_version;
  assert.equal(v2.type, 'chat');
  assert.deepEqual(v2.template.messages, [
    { role: 'system', content: 'You translate into {{language}}.' }, { role: 'user', content: '{{text}}' },
  ]);
  await screenshot(page, 'prompt-chat');
  assert.deepEqual(await accessibilityViolations(page), []);
  assert.deepEqual(errors, []);
  await context.close();
});

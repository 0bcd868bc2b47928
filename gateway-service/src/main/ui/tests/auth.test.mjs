// Signing in, access tokens, users and permissions, against a gateway with authentication on
// (SKEIN_UI_AUTH_URL, its administrator SKEIN_UI_AUTH_ADMIN / SKEIN_UI_AUTH_PASSWORD).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accessibilityViolations, launch, open, screenshot } from './browser.mjs';

const URL_ = process.env.SKEIN_UI_AUTH_URL;
const ADMIN = process.env.SKEIN_UI_AUTH_ADMIN;
const ADMIN_PASSWORD = process.env.SKEIN_UI_AUTH_PASSWORD;
const tag = `u${Date.now().toString(36)}`;
const ANA = { username: `${tag}-ana`, password: 'ana-password-1' };
const BEN = { username: `${tag}-ben`, password: 'ben-password-1' };
/** Chromium logs every answer of 400 or more; these are the ones the tests cause on purpose. */
const SIGNED_OUT = ['/ajax-api/2.0/skein/session', '/ajax-api/2.0/skein/session/sign-in'];

let browser;

before(async () => {
  assert.ok(URL_ && ADMIN && ADMIN_PASSWORD, 'SKEIN_UI_AUTH_URL, SKEIN_UI_AUTH_ADMIN and SKEIN_UI_AUTH_PASSWORD must be set');
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** The public API as a user (Basic), or with a token (`{ token }`). */
async function as(who, pathName, body, method) {
  const authorization = who.token
    ? `Bearer ${who.token}`
    : `Basic ${Buffer.from(`${who.username}:${who.password}`).toString('base64')}`;
  const response = await fetch(`${URL_}/api/2.0/${pathName}`, {
    method: method || (body === undefined ? 'GET' : 'POST'),
    headers: { 'Content-Type': 'application/json', Authorization: authorization },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : {} };
}

async function signIn(page, who) {
  await page.goto(`${URL_}/#/experiments`);
  await page.getByRole('heading', { name: 'Sign in to Skein' }).waitFor();
  await page.getByRole('textbox', { name: 'User name' }).fill(who.username);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Experiments' }).waitFor();
}

const admin = () => ({ username: ADMIN, password: ADMIN_PASSWORD });

test('sign-in: a form (not the browser\'s dialog), wrong passwords refused, navigation by role', async () => {
  const { page, errors, expected, context } = await open(browser);
  expected.push(...SIGNED_OUT);
  await page.goto(`${URL_}/#/experiments`);
  await page.getByRole('heading', { name: 'Sign in to Skein' }).waitFor();
  assert.deepEqual(await accessibilityViolations(page), []);
  await screenshot(page, 'sign-in');

  await page.getByRole('textbox', { name: 'User name' }).fill(ADMIN);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  assert.match(await page.getByRole('alert').textContent(), /UNAUTHENTICATED/);

  await signIn(page, admin());
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const name of ['Experiments', 'Models', 'Audit trail', 'Tokens', 'Users']) {
    await nav.getByRole('link', { name }).waitFor();
  }
  await page.getByText(`Signed in as ${ADMIN}`).waitFor();

  // the session is an HttpOnly cookie: the page's scripts cannot read it
  assert.equal(await page.evaluate(() => document.cookie.includes('skein_session')), false);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'skein_session');
  assert.ok(session && session.httpOnly && session.sameSite === 'Strict');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Skein' }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('users: an administrator creates users; a user sees no administration', async () => {
  const { page, errors, expected, context } = await open(browser);
  expected.push(...SIGNED_OUT);
  await signIn(page, admin());
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByRole('heading', { name: 'Users' }).waitFor();
  for (const who of [ANA, BEN]) {
    await page.getByRole('textbox', { name: 'New user' }).fill(who.username);
    await page.getByLabel('Password', { exact: true }).fill(who.password);
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('link', { name: who.username }).waitFor();
  }
  assert.deepEqual(await accessibilityViolations(page), []);
  await screenshot(page, 'users');
  assert.equal((await as(ANA, `mlflow/users/get?username=${ANA.username}`)).status, 200);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, ANA);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Tokens' }).waitFor();
  assert.equal(await nav.getByRole('link', { name: 'Users' }).count(), 0);
  assert.equal(await nav.getByRole('link', { name: 'Audit trail' }).count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('tokens: created and shown once, usable by MLflow clients, revoked at once', async () => {
  const { page, errors, expected, context } = await open(browser);
  expected.push(...SIGNED_OUT);
  await signIn(page, ANA);
  await page.getByRole('link', { name: 'Tokens' }).click();
  await page.getByRole('heading', { name: 'Access tokens' }).waitFor();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill('nightly');
  await page.getByRole('checkbox', { name: 'Read only' }).check();
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = (await page.locator('.secret-value').textContent()).trim();
  assert.match(secret, /^skein_[A-Za-z0-9_-]{43}$/);
  await page.getByRole('cell', { name: 'nightly' }).waitFor();
  assert.deepEqual(await accessibilityViolations(page), []);
  await screenshot(page, 'tokens');

  // what an MLflow client with MLFLOW_TRACKING_TOKEN sees: reads yes, writes no (read only)
  assert.equal((await as({ token: secret }, 'mlflow/experiments/search?max_results=1')).status, 200);
  assert.equal((await as({ token: secret }, 'mlflow/experiments/create', { name: `${tag}-by-token` })).status, 403);

  // once the page is left, the secret is gone for good
  await page.getByRole('button', { name: 'Done' }).click();
  assert.equal(await page.locator('.secret-value').count(), 0);
  assert.equal((await page.content()).includes(secret), false);

  await page.getByRole('button', { name: 'Revoke…' }).click();
  await page.getByRole('button', { name: 'Revoke nightly' }).click();
  await page.getByText('No tokens yet.').waitFor();
  assert.equal((await as({ token: secret }, 'mlflow/experiments/search?max_results=1')).status, 401);
  assert.deepEqual(errors, []);
  await context.close();
});

test('permissions: the owner grants on the experiment page; others are offered only what they may do', async () => {
  const created = await as(ANA, 'mlflow/experiments/create', { name: `${tag}-owned` });
  assert.equal(created.status, 200);
  const id = created.json.experiment_id;
  const { page, errors, expected, context } = await open(browser);
  expected.push(...SIGNED_OUT);
  await signIn(page, ANA);
  await page.goto(`${URL_}/#/experiments/${id}`);
  await page.getByRole('heading', { name: 'Permissions' }).waitFor();
  await page.getByRole('textbox', { name: 'User' }).fill(BEN.username);
  await page.getByRole('combobox', { name: 'Permission', exact: true }).selectOption('READ');
  await page.getByRole('button', { name: 'Grant' }).click();
  await page.getByRole('combobox', { name: `Permission of ${BEN.username}` }).waitFor();
  assert.deepEqual(await accessibilityViolations(page), []);
  await screenshot(page, 'experiment-permissions');
  const grant = await as(ANA, `mlflow/experiments/permissions/get?experiment_id=${id}&username=${BEN.username}`);
  assert.equal(grant.json.experiment_permission.permission, 'READ');
  await page.getByRole('button', { name: 'Sign out' }).click();

  // ben may read ana's experiment: no rename, no delete, no permissions offered
  await signIn(page, BEN);
  const filter = page.getByRole('searchbox', { name: 'Filter' });
  await filter.fill(`name = '${tag}-owned'`);
  await filter.press('Enter');
  await page.getByRole('link', { name: `${tag}-owned` }).waitFor();
  assert.equal(await page.getByRole('button', { name: `Rename ${tag}-owned` }).count(), 0);
  assert.equal(await page.getByRole('button', { name: `Delete ${tag}-owned` }).count(), 0);
  await page.goto(`${URL_}/#/experiments/${id}`);
  await page.locator('table.grid').first().waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Permissions' }).count(), 0);

  // the administrator sees both grants on ana's page
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, admin());
  await page.goto(`${URL_}/#/admin/users/${encodeURIComponent(ANA.username)}`);
  await page.getByRole('combobox', { name: `Permission on experiment ${id}` }).waitFor();
  assert.equal(await page.getByRole('combobox', { name: `Permission on experiment ${id}` }).inputValue(), 'MANAGE');
  assert.deepEqual(errors, []);
  await context.close();
});

/** MLflow 3's permissions API for LLM endpoints (under /api/3.0/), as a user: a GET with `query`, or a POST of `body`. */
async function endpointGrant(who, action, query, body) {
  const authorization = `Basic ${Buffer.from(`${who.username}:${who.password}`).toString('base64')}`;
  const response = await fetch(`${URL_}/api/3.0/mlflow/gateway/endpoints/permissions/${action}?${new URLSearchParams(query)}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: authorization, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : {} };
}

test('permissions: an administrator grants USE on an LLM endpoint on its page; others are not offered it', async () => {
  const { page, errors, expected, context } = await open(browser);
  expected.push(...SIGNED_OUT);
  await signIn(page, admin());
  await page.goto(`${URL_}/#/llm/endpoints/chat`);
  await page.getByRole('heading', { name: 'Permissions' }).waitFor();
  await page.getByRole('textbox', { name: 'User' }).fill(BEN.username);
  await page.getByRole('combobox', { name: 'Permission', exact: true }).selectOption('USE');
  await page.getByRole('button', { name: 'Grant' }).click();
  const held = page.getByRole('combobox', { name: `Permission of ${BEN.username}` });
  await held.waitFor();
  assert.equal(await held.inputValue(), 'USE');
  assert.deepEqual(await accessibilityViolations(page), []);
  await screenshot(page, 'llm-endpoint-permissions');
  const query = { endpoint_id: 'chat', username: BEN.username };
  assert.equal((await endpointGrant(admin(), 'get', query)).json.gateway_endpoint_permission.permission, 'USE');

  // changed to READ, then removed: MLflow's update and delete
  await held.selectOption('READ');
  // the panel's buttons are disabled while the change is sent: Remove is clicked once it has been made
  await page.getByRole('button', { name: `Remove ${BEN.username}` }).click();
  await page.getByText('Nobody has a permission of their own here').waitFor();
  assert.equal((await endpointGrant(admin(), 'get', query)).status, 404);

  // ben holds READ (the default): the endpoint's page, without its permissions
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, BEN);
  await page.goto(`${URL_}/#/llm/endpoints/chat`);
  await page.getByRole('heading', { name: 'Configuration' }).waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Permissions' }).count(), 0);
  // READ cannot call it: the try-it box is not offered, the reason is
  await page.getByText('Calling this endpoint needs the USE permission').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Send' }).count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('identity provider: signed in through the provider (authorization code with PKCE), admin by group', async (t) => {
  const provider = process.env.SKEIN_UI_AUTH_PROVIDER; // the button's name
  const user = process.env.SKEIN_UI_AUTH_PROVIDER_USER; // who the test's provider signs in
  assert.ok(provider && user, 'SKEIN_UI_AUTH_PROVIDER and SKEIN_UI_AUTH_PROVIDER_USER must be set');
  const { page, errors, expected, context } = await open(browser);
  expected.push(...SIGNED_OUT);
  await page.goto(`${URL_}/#/experiments`);
  await page.getByRole('heading', { name: 'Sign in to Skein' }).waitFor();
  await page.getByRole('link', { name: `Sign in with ${provider}` }).click();
  await page.getByRole('heading', { name: 'Experiments' }).waitFor();
  await page.getByText(`Signed in as ${user}`).waitFor();
  // the provider's group makes the user an administrator here
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).waitFor();
  assert.deepEqual(errors, []);

  // a return that this browser did not start is refused, with the reason on the form
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.goto(`${URL_}/ajax-api/2.0/skein/session/oidc/callback?code=forged&state=forged`);
  await page.getByRole('heading', { name: 'Sign in to Skein' }).waitFor();
  assert.match(await page.getByRole('alert').textContent(), /not started in this browser/);
  await context.close();
});

test('LLM endpoints with authentication on: tried with the session, each user\'s own usage, an administrator\'s everyone\'s', async () => {
  // a call of Ben's, through the API as an MLflow client makes it: refused with the default READ, made with USE
  const call = () => fetch(`${URL_}/endpoints/chat/invocations`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(`${BEN.username}:${BEN.password}`).toString('base64')}` },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }] }),
  });
  const refused = await call();
  assert.equal(refused.status, 403, await refused.text());
  for (const who of [ANA, BEN]) {
    const granted = await endpointGrant(admin(), 'create', {}, { endpoint_id: 'chat', username: who.username, permission: 'USE' });
    assert.equal(granted.status, 200, JSON.stringify(granted.json));
  }
  const called = await call();
  assert.equal(called.status, 200, await called.text());

  /** The callers in the endpoint's usage table once `who` is among them (usage is written a moment after a call). */
  async function callersOnceShown(page, who) {
    const usage = page.getByRole('region', { name: 'Usage' });
    const row = usage.locator(`tr[data-caller="${who}"]`);
    for (let i = 0; i < 30 && (await row.count()) === 0; i += 1) {
      await page.waitForTimeout(500);
      await usage.getByRole('button', { name: 'Refresh usage' }).click();
    }
    await row.waitFor();
    return usage.locator('tr[data-caller]').evaluateAll((rows) => rows.map((r) => r.dataset.caller));
  }

  // Ana tries the endpoint from its page (her session's cookie and the UI's header) and sees only her own calls
  const ana = await open(browser);
  ana.expected.push(...SIGNED_OUT);
  await signIn(ana.page, ANA);
  await ana.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'LLM endpoints' }).click();
  await ana.page.getByRole('link', { name: 'chat', exact: true }).click();
  const tryIt = ana.page.getByRole('form', { name: 'Try chat' });
  await tryIt.getByRole('textbox', { name: 'Message' }).fill('Hello');
  await tryIt.getByRole('button', { name: 'Send' }).click();
  await ana.page.locator('.answer[data-state="done"]').waitFor();
  assert.equal(await ana.page.locator('.answer').textContent(), 'first answer');
  await ana.page.getByText('your own calls only').waitFor();
  assert.deepEqual(await callersOnceShown(ana.page, ANA.username), [ANA.username]);
  assert.deepEqual(ana.errors, []);
  await ana.context.close();

  // the administrator sees every caller's
  const boss = await open(browser);
  boss.expected.push(...SIGNED_OUT);
  await signIn(boss.page, admin());
  await boss.page.goto(`${URL_}/#/llm/endpoints/chat`);
  await boss.page.getByText('every caller\'s calls').waitFor();
  const callers = await callersOnceShown(boss.page, BEN.username);
  assert.ok(callers.includes(ANA.username) && callers.includes(BEN.username), `callers shown: ${callers}`);
  assert.deepEqual(boss.errors, []);
  await boss.context.close();
});

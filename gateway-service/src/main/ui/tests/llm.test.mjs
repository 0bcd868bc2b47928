// The LLM endpoints screens against the running suite, whose endpoints (chat, embeddings, e2e-limited) call the
// local OpenAI-wire provider of deploy/e2e (OpenAiProvider): it streams "first" then " answer" with 5 + 2 tokens,
// holds a stream open after "first" for the message "hold", and refuses "busy" with 429 and Retry-After: 7.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accessibilityViolations, BASE_URL, launch, open, screenshot } from './browser.mjs';

// the key written in the suite's endpoints file: no page, no answer may show it
const PROVIDER_KEY = process.env.SKEIN_UI_LLM_PROVIDER_KEY || 'sk-e2e-provider-key-4b1d';

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

const endpointUrl = (name) => `${BASE_URL}/#/llm/endpoints/${encodeURIComponent(name)}`;

/** The endpoint's calls in the usage panel, once it is read. */
async function callsShown(page) {
  const total = page.locator('[data-total-calls]');
  await total.waitFor();
  return Number(await total.getAttribute('data-total-calls'));
}

test('LLM endpoints: listed from MLflow\'s list_endpoints with type, provider, model, limit and usage', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(`${BASE_URL}/#/experiments`);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'LLM endpoints' }).click();
  await page.getByRole('heading', { name: 'LLM endpoints', level: 1 }).waitFor();
  for (const name of ['chat', 'embeddings', 'e2e-limited']) {
    await page.locator(`tr[data-endpoint="${name}"]`).waitFor();
  }
  const chat = page.locator('tr[data-endpoint="chat"]');
  assert.match(await chat.textContent(), /chat.*openai \/ gpt-e2e/s);
  assert.match(await page.locator('tr[data-endpoint="embeddings"]').textContent(), /embeddings.*openai \/ text-embedding-e2e/s);
  // the usage of the last 30 days beside each endpoint, once read
  await chat.locator('[data-calls]').waitFor();
  await page.getByRole('heading', { name: 'Usage by caller' }).waitFor();
  assert.ok(!(await page.content()).includes(PROVIDER_KEY), 'the provider\'s key is not in the page');
  await screenshot(page, 'llm-endpoints');
  assert.deepEqual(await accessibilityViolations(page), []);

  await chat.getByRole('link', { name: 'chat', exact: true }).click();
  await page.getByRole('heading', { name: 'chat', level: 1 }).waitFor();
  assert.equal(new URL(page.url()).hash, '#/llm/endpoints/chat');
  assert.deepEqual(errors, []);
  await context.close();
});

test('LLM endpoint: its configuration — provider, where calls go, limits, retries — and never its key', async () => {
  const { page, errors, expected, context } = await open(browser);
  await page.goto(endpointUrl('e2e-limited'));
  const config = page.getByRole('region', { name: 'Configuration' });
  await config.waitFor();
  await config.getByText('gpt-e2e').waitFor();
  const text = await config.textContent();
  assert.match(text, /API base\s*http:\/\/127\.0\.0\.1:\d+\/v1/);
  assert.match(text, /Type\s*llm\/v1\/chat/);
  assert.match(text, /Provider\s*openai/);
  assert.match(text, /Model\s*gpt-e2e/);
  assert.match(text, /4 calls per 1 year for the endpoint/);
  assert.match(text, /Attempts\s*one \(no retries\)/);
  assert.match(text, /Fallbacks\s*none/);
  assert.ok(!(await page.content()).includes(PROVIDER_KEY), 'the provider\'s key is not in the page');
  // nor in anything the page read
  const detail = await (await fetch(`${BASE_URL}/api/2.0/skein/llm/endpoints/get?name=e2e-limited`)).text();
  assert.match(detail, /"limits":\[\{"per":"endpoint","renewal_period":"1 year","calls":4\}\]/);
  assert.ok(!detail.includes(PROVIDER_KEY));
  await screenshot(page, 'llm-endpoint');
  assert.deepEqual(await accessibilityViolations(page), []);

  // an endpoint that does not exist: the API's answer, in the page
  expected.push('/api/2.0/skein/llm/endpoints/get');
  await page.goto(endpointUrl('no-such-endpoint'));
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /RESOURCE_DOES_NOT_EXIST.*no-such-endpoint/);
  expected.length = 0;

  assert.deepEqual(errors, []);
  await context.close();
});

test('LLM endpoint: try it streams the answer as it comes, Stop ends it, refusals read, usage grows', async () => {
  const { page, errors, expected, context } = await open(browser);
  await page.goto(endpointUrl('chat'));
  const tryIt = page.getByRole('form', { name: 'Try chat' });
  await tryIt.waitFor();
  const before = await callsShown(page);
  const answer = page.locator('.answer');
  const message = tryIt.getByRole('textbox', { name: 'Message' });

  // a stream the provider holds open after its first chunk: the text is shown while the stream still runs
  await message.fill('hold');
  await tryIt.getByRole('button', { name: 'Send' }).click();
  await page.locator('.answer[data-state="running"]', { hasText: 'first' }).waitFor();
  assert.equal(await tryIt.getByRole('status').textContent(), 'Streaming…');
  await tryIt.getByRole('button', { name: 'Stop' }).click();
  await tryIt.getByRole('status').getByText('Stopped').waitFor();
  assert.equal(await answer.textContent(), 'first');

  // a whole stream: every piece in order, then the tokens the provider reported and the latency
  const pieces = [];
  await page.exposeFunction('answerShown', (text) => pieces.push(text));
  await page.evaluate(() => {
    new MutationObserver(() => {
      const shown = document.querySelector('.answer');
      if (shown) window.answerShown(shown.textContent);
    }).observe(document.querySelector('main'), { subtree: true, childList: true, characterData: true });
  });
  await message.fill('Hello');
  await tryIt.getByRole('button', { name: 'Send' }).click();
  await page.locator('.answer[data-state="done"]').waitFor();
  assert.equal(await answer.textContent(), 'first answer');
  assert.ok(pieces.includes('first answer'), `the pieces shown: ${JSON.stringify(pieces)}`);
  assert.ok(pieces.every((p) => 'first answer'.startsWith(p)), `each shown text begins the answer: ${JSON.stringify(pieces)}`);
  assert.equal(await page.locator('[data-tokens="input"]').textContent(), '5');
  assert.equal(await page.locator('[data-tokens="output"]').textContent(), '2');
  assert.equal(await page.locator('[data-tokens="total"]').textContent(), '7');
  assert.ok(Number(await page.locator('[data-latency]').getAttribute('data-latency')) >= 0);

  // the provider's refusal, with its status, message and when to retry
  expected.push('/endpoints/chat/invocations');
  await message.fill('busy');
  await tryIt.getByRole('button', { name: 'Send' }).click();
  const refused = page.getByRole('alert');
  await refused.waitFor();
  assert.match(await refused.textContent(), /REQUEST_LIMIT_EXCEEDED \(HTTP 429\) The e2e provider is busy — try again in 7 s/);
  expected.length = 0;

  // the calls counted in the usage (written a moment after each call ends): at least the three above
  const usage = page.getByRole('region', { name: 'Usage' });
  let shown = before;
  for (let i = 0; i < 30 && shown < before + 3; i += 1) {
    await page.waitForTimeout(500);
    // (a click waits for the button to be enabled: the read before it has ended)
    await usage.getByRole('button', { name: 'Refresh usage' }).click();
    shown = await callsShown(page);
  }
  assert.ok(shown >= before + 3, `calls shown: ${before} before, ${shown} after`);
  await usage.getByRole('table', { name: 'Usage of chat by caller' }).locator('tbody tr').first().waitFor();
  assert.ok(Number(await page.locator('.usage-chart').getAttribute('data-total')) >= before + 3);
  await page.locator('.usage-chart-plot[data-drawn="requests"] canvas').waitFor();
  await usage.getByRole('radio', { name: 'Tokens' }).check();
  await page.locator('.usage-chart-plot[data-drawn="tokens"] canvas').waitFor();
  assert.ok(Number(await page.locator('.usage-chart').getAttribute('data-total')) >= 7);
  await screenshot(page, 'llm-try-it');
  assert.deepEqual(await accessibilityViolations(page), []);

  assert.deepEqual(errors, []);
  await context.close();
});

test('LLM endpoint: an embeddings endpoint answers its vector whole', async () => {
  const { page, errors, context } = await open(browser);
  await page.goto(endpointUrl('embeddings'));
  const tryIt = page.getByRole('form', { name: 'Try embeddings' });
  await tryIt.getByRole('textbox', { name: 'Input' }).fill('a sentence to embed');
  await tryIt.getByRole('button', { name: 'Send' }).click();
  await tryIt.getByRole('status').getByText('Done').waitFor();
  assert.match(await page.locator('.answer').textContent(), /2 dimensions: \[0\.5000, -0\.2500\]/);
  assert.equal(await page.locator('[data-tokens="total"]').textContent(), '2');
  assert.deepEqual(errors, []);
  await context.close();
});

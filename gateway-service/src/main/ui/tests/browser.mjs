// What every browser test shares: Debian's Chromium driven by playwright-core, a page that fails
// its test on any console error (or uncaught exception), screenshots kept as test output, and the
// axe accessibility engine.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

export const BASE_URL = process.env.SKEIN_UI_URL || 'http://127.0.0.1:8080';
const SHOTS = process.env.SKEIN_UI_SCREENSHOTS || path.resolve('target/ui-screenshots');

export async function launch() {
  return chromium.launch({
    executablePath: process.env.SKEIN_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-first-run', '--disable-gpu'],
  });
}

/**
 * A page at 1280×720 recording console errors. `expected` lists the API calls a test makes fail on
 * purpose (a refused filter): Chromium logs every response of 400 or more as a console error, so
 * those — and only those — are let through.
 */
export async function open(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const errors = [];
  const expected = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const at = message.location().url || '';
    if (message.text().startsWith('Failed to load resource') && expected.some((p) => at.includes(p))) return;
    errors.push(`${message.text()} (${at})`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  return { context, page, errors, expected };
}

export async function screenshot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** The axe engine's violations on the page as it is (serious and critical ones). */
export async function accessibilityViolations(page) {
  // evaluated through the DevTools protocol: the page's Content-Security-Policy refuses inline scripts
  await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const result = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/** The public API, for a test's own data (the same calls as any MLflow client). */
export async function api(pathName, body) {
  const response = await fetch(`${BASE_URL}/api/2.0/${pathName}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${pathName}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** Uploads a file to a run's artifacts through the artifact proxy, as MLflow's clients do. */
export async function putArtifact(run, path, body) {
  const root = run.info.artifact_uri.replace(/^mlflow-artifacts:\//, '');
  const response = await fetch(`${BASE_URL}/api/2.0/mlflow-artifacts/artifacts/${root}/${path}`, { method: 'PUT', body });
  if (!response.ok) throw new Error(`upload ${path}: ${response.status} ${await response.text()}`);
}

/**
 * Types a filter the API refuses into a search box and waits for MLflow's error under it:
 * INVALID_PARAMETER_VALUE, shown as an alert. `search` is the API path whose 400 the console may log.
 */
export async function expectRefusedFilter({ page, expected }, box, text, search) {
  expected.push(search);
  await box.fill(text);
  await box.press('Enter');
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /INVALID_PARAMETER_VALUE/);
  expected.splice(expected.indexOf(search), 1);
}

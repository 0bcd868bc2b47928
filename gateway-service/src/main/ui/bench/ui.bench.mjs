// The browser half of `./skein bench ui` (bench/src/main/java/dev/skein/bench/UiBench.java loads the
// data, times the floors from its own HTTP client and prints the tables): Debian's Chromium driven by
// playwright-core measures, inside the page, what a user of the web UI waits for —
//   - the runs table of a large experiment (#/experiments/{id}): the time from navigation until the
//     first row (`tr[data-run-id]`) is in the page, and until the first screen is complete (rows
//     filling the visible table, or all of them when fewer fit, the heading named, no API call in
//     flight, its body read) and painted;
//   - scrolling that table with the mouse wheel at a steady rate through thousands of rows, pages of
//     100 loading as it nears the end: every frame's interval (requestAnimationFrame), long tasks
//     (PerformanceObserver 'longtask'), frames whose view showed no rows, time spent at the end of the
//     rows loaded waiting for the next page;
//   - a chart of 100 runs' long histories (#/metric/{key}?runs=[…]&experiments=[…]): time to the chart
//     drawn, then zooms (a drag across the uPlot canvas, `.u-over`) until the window's finer samples
//     (get-history-bulk-interval with start_step/end_step) are drawn, with frames and long tasks.
//
// Usage (UiBench runs it; by hand against a suite that holds the data):
//   node bench/ui.bench.mjs --api http://127.0.0.1:28080 --experiment 12 --experiment-name NAME
//     --population 100000 (--chart-experiment 13 --chart-runs id1,id2,… [--metric loss] | --no-chart)
//     [--loads 5] [--seconds 30] [--rate 100] [--zooms 5]
// Without --no-chart a chart that is not drawn fails the run (exit 1), as does any other failure.
// The UI measured: SKEIN_UI_URL (a UI that proxies the API itself, e.g. `npx vite preview`), else
// SKEIN_UI_DIST (a `vite build` output directory, served here with the production Content-Security-
// Policy and the API proxied to --api), else the gateway at --api (the bundle in its jar).
//
// Output on stdout, one fact a line, for UiBench: `UI …`, `BROWSER …`, `VALUES <name> <numbers…>`
// (milliseconds unless named otherwise), `REQUEST <kind> <method> <path?query> <body or ->` (API
// calls the UI made, for UiBench to replay as floors), `NOTE …`.
// Progress goes to stderr.
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { launch } from '../tests/browser.mjs';

const CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-src 'self' blob:;"
  + " object-src 'none'";
const ROW_TIMEOUT = 60000;

function options(argv) {
  const o = {};
  for (let i = 0; i < argv.length;) {
    if (argv[i] === '--no-chart') {
      o['no-chart'] = true;
      i += 1;
      continue;
    }
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) throw new Error(`expected --name value pairs: ${argv.join(' ')}`);
    o[argv[i].slice(2)] = argv[i + 1];
    i += 2;
  }
  const required = ['api', 'experiment', 'experiment-name', 'population'];
  if (!o['no-chart']) required.push('chart-experiment', 'chart-runs');
  for (const name of required) {
    if (!o[name]) throw new Error(`--${name} is required${name.startsWith('chart') ? ' (or --no-chart)' : ''}`);
  }
  return {
    api: o.api.replace(/\/$/, ''),
    experiment: o.experiment,
    experimentName: o['experiment-name'],
    population: Number(o.population),
    noChart: !!o['no-chart'],
    chartExperiment: o['chart-experiment'] || null,
    chartRuns: o['chart-runs'] ? o['chart-runs'].split(',') : [],
    metric: o.metric || 'loss',
    loads: Number(o.loads || 5),
    seconds: Number(o.seconds || 30),
    rate: Number(o.rate || 100),
    zooms: Number(o.zooms || 5),
  };
}

const log = (...args) => console.error('[ui-bench]', ...args);
const out = (line) => process.stdout.write(`${line}\n`);
const values = (name, list) => out(`VALUES ${name} ${list.map((v) => (Number.isFinite(v) ? v.toFixed(2) : 'NaN')).join(' ')}`.trimEnd());
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A `vite build` output served as the gateway serves it (its CSP), the API proxied to `api`. */
function serveDist(dist, api) {
  const target = new URL(api);
  const agent = new http.Agent({ keepAlive: true });
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml',
    '.json': 'application/json', '.png': 'image/png', '.woff2': 'font/woff2' };
  const refuse = (res, status, text) => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(text);
  };
  const server = http.createServer((req, res) => {
    let url;
    try {
      url = new URL(req.url, 'http://localhost');
    } catch {
      refuse(res, 400, 'malformed address');
      return;
    }
    if (/^\/(ajax-api|api|get-artifact|model-versions)(\/|$)/.test(url.pathname)) {
      const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url,
        headers: { ...req.headers, host: target.host }, agent }, (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
      req.pipe(upstream);
      return;
    }
    let name;
    try {
      name = decodeURIComponent(url.pathname);
    } catch {
      refuse(res, 400, 'malformed escape in the path');
      return;
    }
    // inside dist only: `..` resolved first, and dist itself or below it (not a sibling such as dist-x)
    let file = path.resolve(dist, `.${name}`);
    if (file !== dist && !file.startsWith(dist + path.sep)) {
      refuse(res, 404, 'not found');
      return;
    }
    if (!existsSync(file) || statSync(file).isDirectory()) file = path.join(dist, 'index.html');
    const asset = file.includes(`${path.sep}assets${path.sep}`);
    res.writeHead(200, {
      'Content-Type': types[path.extname(file)] || 'application/octet-stream',
      'Content-Security-Policy': CSP,
      'Cache-Control': asset ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * Runs in every page before its own scripts (through DevTools, so the page's CSP does not apply):
 * long tasks from the start, fetches in flight, the milestones of the screen being loaded, and a
 * frame recorder started and stopped by the bench.
 */
function instrument({ experimentName, population }) {
  const B = { longTasks: [], marks: {}, inflight: 0, frames: null };
  window.__bench = B;
  // the default buffer keeps 250 entries and then drops the rest silently: a long scroll or zoom
  // phase makes more requests than that
  performance.setResourceTimingBufferSize(100000);
  // a callback queued from a requestAnimationFrame callback runs once that frame is painted (the
  // frame's paint is in the same task as its rAF callbacks)
  const afterPaint = (f) => setTimeout(f, 0);
  B.afterPaint = afterPaint;
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) B.longTasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    B.noLongTasks = true;
  }
  // a call is in flight until its body has been read (fetch resolves at the headers): the first of
  // the body readers the page calls settles it; a call that fails or has no body, at once
  const fetch = window.fetch;
  window.fetch = function counted(...args) {
    B.inflight += 1;
    let open = true;
    const done = () => {
      if (open) {
        open = false;
        B.inflight -= 1;
      }
    };
    return fetch.apply(this, args).then((response) => {
      if (!response.body) {
        done();
        return response;
      }
      for (const reader of ['arrayBuffer', 'blob', 'formData', 'json', 'text']) {
        const read = response[reader];
        response[reader] = function readCounted(...a) { return read.apply(this, a).finally(done); };
      }
      return response;
    }, (e) => {
      done();
      throw e;
    });
  };
  window.addEventListener('mouseup', () => { B.mouseUpAt = performance.now(); }, true);

  const region = () => document.querySelector('[role=region][aria-label="Runs"]');
  // the first row, to the DOM mutation that inserted it
  const rows = new MutationObserver(() => {
    if (!B.marks.firstRow && document.querySelector('tr[data-run-id]')) {
      B.marks.firstRow = performance.now();
      rows.disconnect();
    }
  });
  rows.observe(document, { childList: true, subtree: true });
  // the complete first screen, to the paint of the frame that shows it: polled each frame
  const started = performance.now();
  const poll = () => {
    if (performance.now() - started > 120000) return;
    const hash = window.location.hash;
    if (hash.startsWith('#/experiments/')) {
      const box = region();
      const shown = box ? box.querySelectorAll('tr[data-run-id]') : [];
      // full: the rows reach the bottom of the table's visible area (below its header, above a
      // horizontal scroll bar, within the window), or every run of the experiment is shown
      let full = false;
      if (shown.length) {
        const view = box.getBoundingClientRect();
        const bottom = Math.min(view.top + box.clientTop + box.clientHeight, window.innerHeight);
        full = shown[shown.length - 1].getBoundingClientRect().bottom >= bottom - 1 || shown.length >= population;
      }
      const named = (document.querySelector('h1')?.textContent || '').includes(experimentName);
      if (full && named && B.inflight === 0) {
        afterPaint(() => { B.marks.firstScreen = performance.now(); });
        return;
      }
    } else if (hash.startsWith('#/metric')) {
      const figure = document.querySelector('figure.metric-chart');
      const points = figure?.dataset.points;
      if (figure && points && points !== '0' && figure.querySelector('canvas') && B.inflight === 0) {
        afterPaint(() => { B.marks.chart = performance.now(); });
        return;
      }
    } else {
      return;
    }
    requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);

  /**
   * Records every frame until stopped: its time, and for the runs table its scroll position and
   * whether the rows rendered covered the view (by their aria-rowindex, without a layout).
   */
  B.startFrames = (rowHeight) => {
    B.frames = [];
    B.scroll = { distance: 0, atEnd: 0, blank: 0, checked: 0, last: null };
    B.recording = true;
    const box = region();
    const headHeight = box?.querySelector('thead')?.offsetHeight || 0;
    const tick = (t) => {
      if (!B.recording) return;
      const previous = B.frames.length ? B.frames[B.frames.length - 1] : null;
      B.frames.push(t);
      if (box && rowHeight) {
        const top = box.scrollTop;
        const s = B.scroll;
        if (s.last !== null && top > s.last) s.distance += top - s.last;
        if (previous !== null && top >= box.scrollHeight - box.clientHeight - 1) s.atEnd += t - previous;
        s.last = top;
        // blank: the rows rendered start below the top of the view, or end above its bottom while
        // more loaded rows follow (a spacer row after them)
        const shown = box.querySelectorAll('tr[data-run-id]');
        if (shown.length && shown[0].hasAttribute('aria-rowindex')) {
          const first = Number(shown[0].getAttribute('aria-rowindex')) - 2;
          const last = Number(shown[shown.length - 1].getAttribute('aria-rowindex')) - 2;
          const wantFirst = Math.max(0, Math.floor((top - headHeight) / rowHeight));
          const wantLast = Math.floor((top + box.clientHeight - headHeight - 1) / rowHeight);
          const spacerAfter = shown[shown.length - 1].nextElementSibling !== null;
          s.checked += 1;
          if (first > wantFirst || (last < wantLast && spacerAfter)) s.blank += 1;
        }
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    return performance.now();
  };
  B.stopFrames = () => {
    B.recording = false;
    return performance.now();
  };
}

/** Frame intervals and long tasks between two page times. */
async function recorded(page, from, to) {
  return page.evaluate(([a, b]) => {
    const B = window.__bench;
    const intervals = [];
    for (let i = 1; i < B.frames.length; i++) intervals.push(B.frames[i] - B.frames[i - 1]);
    return {
      intervals,
      longTasks: B.longTasks.filter(([start]) => start >= a && start <= b).map(([, d]) => d),
      scroll: B.scroll,
      noLongTasks: !!B.noLongTasks,
    };
  }, [from, to]);
}

/** Records the page's API requests as sent: [path and query, method, body]. */
function trackRequests(page) {
  const sent = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (/^\/(ajax-api|api)\//.test(url.pathname)) sent.push([url.pathname + url.search, r.method(), r.postData() || '-']);
  });
  return sent;
}

/** One request for UiBench to replay from its own client (a floor): `REQUEST kind method path body`. */
function request(kind, [address, method, body]) {
  out(`REQUEST ${kind} ${method} ${address} ${body.replace(/\s*\n\s*/g, ' ')}`);
}

/**
 * The floor, interleaved: `calls` sent again in sequence, right after the browser's measurement (the
 * machine as loaded as it was then), from this script's own HTTP client straight to the gateway.
 */
async function replay(o, calls) {
  const t0 = performance.now();
  for (const [address, method, body] of calls) {
    const r = await fetch(o.api + address, method === 'POST'
      ? { method, headers: { 'Content-Type': 'application/json' }, body } : { method });
    await r.arrayBuffer();
    if (!r.ok) throw new Error(`${address.slice(0, 80)} answered ${r.status}`);
  }
  return performance.now() - t0;
}

function watch(page, errors) {
  page.on('console', (m) => m.type() === 'error' && errors.push(`${m.text()} (${m.location().url || ''})`));
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
}

async function newContext(browser, o) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  await context.addInitScript(instrument, { experimentName: o.experimentName, population: o.population });
  return context;
}

/** Waits in the page for a milestone mark; null when it never came. */
async function mark(page, name, timeout = ROW_TIMEOUT) {
  try {
    await page.waitForFunction((n) => window.__bench?.marks[n] !== undefined, name, { timeout, polling: 100 });
  } catch {
    return null;
  }
  return page.evaluate((n) => window.__bench.marks[n], name);
}

/** The resource timings of API calls whose address contains `part`: [startTime, responseEnd, duration, name]. */
async function requests(page, part) {
  return page.evaluate((p) => performance.getEntriesByType('resource').filter((e) => e.name.includes(p))
    .map((e) => [e.startTime, e.responseEnd, e.duration, e.name]), part);
}

async function tableLoads(browser, url, o, errors) {
  const kinds = { empty: [], cached: [] };
  let warm = null;
  // one load not counted: the browser's own first navigation (its renderer and caches starting)
  const warmup = await newContext(browser, o);
  const first = await warmup.newPage();
  await first.goto(url);
  await mark(first, 'firstScreen');
  await warmup.close();
  for (let i = 0; i < o.loads; i++) {
    // empty cache: a new browser context, as a first visit; cached: a new tab of a context that has
    // loaded the UI once, as when a user opens a link again (the bundle's assets are immutable)
    const context = await newContext(browser, o);
    for (const kind of ['empty', 'cached']) {
      const page = await context.newPage();
      watch(page, errors);
      const sent = trackRequests(page);
      await page.goto(url);
      const firstRow = await mark(page, 'firstRow');
      const firstScreen = await mark(page, 'firstScreen');
      if (firstRow === null || firstScreen === null) throw new Error(`the runs table did not show its rows within ${ROW_TIMEOUT} ms (${url})`);
      const search = (await requests(page, 'runs/search'))[0];
      const script = (await requests(page, '/assets/')).filter((r) => r[3].endsWith('.js'));
      const firstPage = sent.find(([address]) => address.includes('runs/search'));
      kinds[kind].push({
        firstRow, firstScreen, floor: firstPage ? await replay(o, [firstPage]) : NaN,
        sent: search ? search[0] : NaN, answered: search ? search[1] : NaN, request: search ? search[2] : NaN,
        bundle: script.length ? Math.max(...script.map((r) => r[1])) : NaN,
      });
      log(`runs table, ${kind} cache: first row ${firstRow.toFixed(0)} ms, first screen ${firstScreen.toFixed(0)} ms`);
      if (kind === 'cached' && i === o.loads - 1) {
        warm = page;
        const first = sent.find(([address]) => address.includes('runs/search'));
        if (first) request('table-first-page', first);
      }
      else await page.close();
    }
    if (i < o.loads - 1) await context.close();
  }
  for (const kind of ['empty', 'cached']) {
    for (const field of ['firstRow', 'firstScreen', 'floor', 'sent', 'answered', 'request', 'bundle']) {
      values(`table.${kind}.${field}`, kinds[kind].map((l) => l[field]));
    }
  }
  return warm;
}

/** Wheel scrolling over the Runs region at `rate` rows a second for `seconds`, as a steady trackpad scroll. */
async function scroll(page, o) {
  const region = page.getByRole('region', { name: 'Runs' });
  const box = await region.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const rowHeight = await page.evaluate(() => {
    const row = document.querySelector('tr[data-run-id]');
    return row ? row.getBoundingClientRect().height : 32;
  });
  const pxPerSecond = o.rate * rowHeight;
  await sleep(500);
  const searchesBefore = (await requests(page, 'runs/search')).length;
  const from = await page.evaluate((h) => window.__bench.startFrames(h), rowHeight);
  const began = Date.now();
  let sent = 0;
  for (;;) {
    const elapsed = (Date.now() - began) / 1000;
    if (elapsed >= o.seconds) break;
    const delta = Math.round(pxPerSecond * elapsed - sent);
    if (delta >= 1) {
      await page.mouse.wheel(0, delta);
      sent += delta;
    }
    await sleep(16);
  }
  const to = await page.evaluate(() => window.__bench.stopFrames());
  const r = await recorded(page, from, to);
  const pages = (await requests(page, 'runs/search')).slice(searchesBefore);
  // the rows loaded, from the table's scroll height (rendered rows and the spacers standing for the others)
  const loaded = await page.evaluate((h) => {
    const box = document.querySelector('[role=region][aria-label="Runs"]');
    const head = box?.querySelector('thead')?.offsetHeight || 0;
    return box ? Math.round((box.querySelector('table').offsetHeight - head) / h) : NaN;
  }, rowHeight);
  const pageY = await page.evaluate(() => window.scrollY);
  log(`scrolled ${(r.scroll.distance / rowHeight).toFixed(0)} rows in ${((to - from) / 1000).toFixed(1)} s, ${pages.length} pages loaded,`
    + ` ${r.longTasks.length} long tasks`);
  values('scroll.frames', r.intervals);
  // left out when not measured, so that UiBench prints "not measured" rather than none
  if (!r.noLongTasks) values('scroll.longTasks', r.longTasks);
  values('scroll.pageRequests', pages.map((p) => p[2]));
  values('scroll.summary', [(to - from) / 1000, sent / rowHeight, r.scroll.distance / rowHeight, r.scroll.atEnd,
    r.scroll.blank, r.scroll.checked, pages.length, loaded, rowHeight, pageY, o.rate]);
  if (r.noLongTasks) out('NOTE this Chromium reports no long tasks (PerformanceObserver longtask unsupported)');
}

async function chart(browser, o, base, errors) {
  const url = `${base}/#/metric/${encodeURIComponent(o.metric)}?runs=${encodeURIComponent(JSON.stringify(o.chartRuns))}`
    + `&experiments=${encodeURIComponent(JSON.stringify([o.chartExperiment]))}`;
  const context = await newContext(browser, o);
  const draws = [];
  const floors = [];
  const pageFetches = [];
  const bulk = [];
  const searches = [];
  let page = null;
  let sent = [];
  for (let i = 0; i < o.loads; i++) {
    if (page) await page.close();
    page = await context.newPage();
    watch(page, errors);
    sent = trackRequests(page);
    await page.goto(url);
    const drawn = await mark(page, 'chart');
    if (drawn === null && !(await page.locator('figure.metric-chart').count())) {
      throw new Error(`the UI measured shows no metric chart (figure.metric-chart) at #/metric/{key} within ${ROW_TIMEOUT} ms`
        + ` (${url.slice(0, 120)}…); a UI without the chart screen is measured with --no-chart`);
    }
    if (drawn === null) throw new Error(`the chart was not drawn within ${ROW_TIMEOUT} ms (${url.slice(0, 120)}…)`);
    draws.push(drawn);
    floors.push(await replay(o, sent.filter(([address]) => /runs\/search|get-history-bulk-interval/.test(address))));
    // where the time went: each API call's start and end since navigation
    const calls = (await requests(page, '/ajax-api/')).map(([start, end, , name]) => [start, end, new URL(name).pathname]);
    const bulkCalls = calls.filter(([, , name]) => name.includes('get-history-bulk-interval'));
    const searchCalls = calls.filter(([, , name]) => name.includes('runs/search'));
    bulk.push([bulkCalls.length ? bulkCalls[0][0] : NaN, bulkCalls.length ? Math.max(...bulkCalls.map((c) => c[1])) : NaN,
      bulkCalls.length]);
    searches.push([searchCalls.length ? searchCalls[0][0] : NaN, searchCalls.length ? Math.max(...searchCalls.map((c) => c[1])) : NaN]);
    if (i === 0) log(`chart page's API calls (start–end ms since navigation): ${calls.map(([a, e, n]) => `${n.replace(/.*\/mlflow\//, '')} ${a.toFixed(0)}–${e.toFixed(0)}`).join(', ')}`);
    // the same bulk-interval call(s) by a bare fetch in the page (after the page's own calls were read):
    // the browser's network path without the app
    const own = sent.length;
    pageFetches.push(await page.evaluate(async (addresses) => {
      const t0 = performance.now();
      for (const address of addresses) await (await fetch(address)).json();
      return performance.now() - t0;
    }, sent.filter(([address]) => address.includes('get-history-bulk-interval')).map(([address]) => address)));
    sent.length = own;
    log(`chart of ${o.chartRuns.length} runs drawn in ${drawn.toFixed(0)} ms`);
  }
  sent.filter(([address]) => address.includes('runs/search')).forEach((r) => request('chart-search', r));
  sent.filter(([address]) => address.includes('get-history-bulk-interval')).forEach((r) => request('chart-bulk', r));
  values('chart.draw', draws);
  values('chart.floor', floors);
  values('chart.pageFetch', pageFetches);
  values('chart.bulkStart', bulk.map((b) => b[0]));
  values('chart.bulkEnd', bulk.map((b) => b[1]));
  values('chart.bulkCalls', bulk.map((b) => b[2]));
  values('chart.searchStart', searches.map((x) => x[0]));
  values('chart.searchEnd', searches.map((x) => x[1]));
  const points = await page.evaluate(() => Number(document.querySelector('figure.metric-chart')?.dataset.points));
  values('chart.points', [points]);

  // zooms: each drag takes the middle half of what is shown (nested), a cycle of `zooms`, then Reset
  // zoom; two cycles
  const over = page.locator('.metric-chart .u-over').first();
  const b = await over.boundingBox();
  const y = b.y + b.height / 2;
  const feedback = [];
  const refined = [];
  const requestTimes = [];
  const zoomFloors = [];
  const from = await page.evaluate(() => window.__bench.startFrames(0));
  for (let cycle = 0; cycle < 2; cycle++) {
    for (let z = 0; z < o.zooms; z++) {
      const before = await page.evaluate(() => {
        const plot = document.querySelector('.metric-chart-plot');
        return { xMin: plot?.dataset.xMin, xMax: plot?.dataset.xMax, requests: performance.getEntriesByType('resource').length };
      });
      const x0 = b.x + b.width * 0.25;
      const x1 = b.x + b.width * 0.75;
      await page.mouse.move(x0 - 20, y);
      await page.mouse.move(x0, y);
      await page.mouse.down();
      for (let i = 1; i <= 15; i++) {
        await page.mouse.move(x0 + ((x1 - x0) * i) / 15, y);
        await sleep(16);
      }
      await page.mouse.up();
      const r = await page.evaluate(({ before: was, timeout }) => new Promise((resolve) => {
        const B = window.__bench;
        const began = performance.now();
        let rescaled = false;
        let scaled = null;
        const tick = () => {
          const plot = document.querySelector('.metric-chart-plot');
          if (!rescaled && plot && (plot.dataset.xMin !== was.xMin || plot.dataset.xMax !== was.xMax)) {
            // this frame shows the new scale: timed once it is painted
            rescaled = true;
            B.afterPaint(() => { scaled = performance.now(); });
          }
          const fresh = performance.getEntriesByType('resource').slice(was.requests)
            .filter((e) => e.name.includes('get-history-bulk-interval') && e.startTime >= B.mouseUpAt - 1);
          const status = document.querySelector('.metric-chart-status')?.textContent || '';
          if (rescaled && fresh.length && B.inflight === 0 && !/Loading/.test(status)) {
            // this frame has the window's samples: timed once it is painted (after `scaled`, queued first)
            B.afterPaint(() => resolve({ scaled: scaled - B.mouseUpAt, refined: performance.now() - B.mouseUpAt,
              request: fresh.reduce((n, e) => n + e.duration, 0), names: fresh.map((e) => e.name) }));
            return;
          }
          if (performance.now() - began > timeout) {
            resolve(null);
            return;
          }
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }), { before, timeout: ROW_TIMEOUT });
      if (!r) throw new Error('a zoom of the chart drew no finer samples within a minute');
      feedback.push(r.scaled);
      refined.push(r.refined);
      requestTimes.push(r.request);
      const calls = r.names.map((name) => [new URL(name).pathname + new URL(name).search, 'GET', '-']);
      calls.forEach((call) => request('zoom-bulk', call));
      zoomFloors.push(await replay(o, calls));
      log(`zoom ${cycle * o.zooms + z + 1}: scale ${r.scaled.toFixed(0)} ms, finer samples drawn ${r.refined.toFixed(0)} ms`
        + ` (request ${r.request.toFixed(0)} ms)`);
      await sleep(300);
    }
    await page.getByRole('button', { name: 'Reset zoom' }).click();
    await sleep(500);
  }
  const to = await page.evaluate(() => window.__bench.stopFrames());
  const rec = await recorded(page, from, to);
  values('zoom.scaled', feedback);
  values('zoom.refined', refined);
  values('zoom.request', requestTimes);
  values('zoom.floor', zoomFloors);
  values('zoom.frames', rec.intervals);
  if (!rec.noLongTasks) values('zoom.longTasks', rec.longTasks);
  values('zoom.summary', [(to - from) / 1000]);
  await context.close();
}

async function main() {
  const o = options(process.argv.slice(2));
  let base = process.env.SKEIN_UI_URL;
  let server = null;
  if (base) {
    out(`UI ${base} (SKEIN_UI_URL)`);
  } else if (process.env.SKEIN_UI_DIST) {
    const dist = path.resolve(process.env.SKEIN_UI_DIST);
    if (!existsSync(path.join(dist, 'index.html'))) throw new Error(`SKEIN_UI_DIST ${dist} holds no index.html`);
    server = await serveDist(dist, o.api);
    base = `http://127.0.0.1:${server.address().port}`;
    out(`UI ${dist} (SKEIN_UI_DIST) served at ${base} with the production CSP, API proxied to ${o.api}`);
  } else {
    base = o.api;
    out(`UI ${base} (the bundle in the gateway's jar)`);
  }
  base = base.replace(/\/$/, '');
  const browser = await launch();
  out(`BROWSER Chromium ${browser.version()}`);
  const errors = [];
  try {
    const page = await tableLoads(browser, `${base}/#/experiments/${encodeURIComponent(o.experiment)}`, o, errors);
    await scroll(page, o);
    await page.context().close();
    if (!o.noChart) await chart(browser, o, base, errors);
  } finally {
    await browser.close();
    server?.close();
  }
  if (errors.length) {
    out(`NOTE ${errors.length} console error(s) in the pages: ${errors.slice(0, 5).join(' | ')}`);
    process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

import { useEffect, useMemo, useState } from 'preact/hooks';
import { artifactUrl, readArtifact } from '../api.js';
import { html } from '../html.js';
import { ErrorMessage } from './ErrorMessage.js';
import { Markdown } from './Markdown.js';
import { byteSize } from '../format.js';

const TEXT_LIMIT = 1024 * 1024;
const BINARY_LIMIT = 20 * 1024 * 1024;
const TABLE_ROWS = 500;
const TABLE_COLUMNS = 100;

const IMAGE = new Set(['png', 'jpg', 'jpeg', 'gif', 'bmp', 'webp', 'svg']);
const TEXT = new Set(['txt', 'log', 'py', 'yaml', 'yml', 'toml', 'ini', 'cfg', 'conf', 'sh', 'sql', 'java', 'js',
  'ts', 'r', 'scala', 'go', 'rs', 'c', 'h', 'cpp', 'xml', 'properties', 'gitignore', 'env', 'lock', 'out', 'err']);
const TEXT_NAMES = new Set(['MLmodel', 'MLproject', 'Dockerfile', 'Makefile', 'LICENSE', 'README']);

/** How a file is shown, from its name: image, pdf, html, csv, tsv, json, markdown, text or none. */
export function previewKind(path) {
  const name = path.split('/').pop();
  if (TEXT_NAMES.has(name)) return 'text';
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  if (IMAGE.has(ext)) return 'image';
  if (ext === 'pdf') return 'pdf';
  if (ext === 'html' || ext === 'htm') return 'html';
  if (ext === 'csv' || ext === 'tsv') return ext;
  if (ext === 'json' || ext === 'jsonl' || ext === 'ipynb') return ext === 'jsonl' ? 'text' : 'json';
  if (ext === 'md' || ext === 'markdown') return 'markdown';
  if (TEXT.has(ext)) return 'text';
  return 'none';
}

/**
 * A table of at most 500 rows and 100 columns, with a text filter on its rows: a row is kept when
 * any of its cells holds the text (case ignored). The filter reads every row parsed, not only those
 * shown.
 */
function Table({ columns, rows, truncated, path }) {
  const [filter, setFilter] = useState('');
  const needle = filter.trim().toLowerCase();
  const matching = useMemo(
    () => (needle ? rows.filter((row) => row.some((v) => cell(v).toLowerCase().includes(needle))) : rows),
    [rows, needle]);
  const shown = columns.slice(0, TABLE_COLUMNS);
  const more = columns.length > shown.length ? `; ${shown.length} of ${columns.length} columns` : '';
  const caption = needle
    ? `${Math.min(matching.length, TABLE_ROWS)} of ${matching.length} matching rows shown (${rows.length}${truncated ? '+' : ''} rows read)`
    : rowsNote(rows.length, truncated);
  return html`<div>
    <label class="table-filter"><span class="label">Filter rows of ${path}</span>
      <input type="search" value=${filter} placeholder="text in any column" onInput=${(e) => setFilter(e.currentTarget.value)} /></label>
    <div class="preview-table" role="region" aria-label=${`Table ${path}`} tabindex="0">
      <table class="grid">
        <caption aria-live="polite">${caption}${more}</caption>
        <thead><tr>${shown.map((c) => html`<th scope="col">${String(c)}</th>`)}</tr></thead>
        <tbody>${matching.slice(0, TABLE_ROWS).map((row) => html`<tr>${shown.map((_, i) => html`<td>${cell(row[i])}</td>`)}</tr>`)}</tbody>
      </table>
    </div>
  </div>`;
}

function dataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

function cell(value) {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function rowsNote(count, truncated) {
  const shown = Math.min(count, TABLE_ROWS);
  return `${shown} of ${count}${truncated ? '+' : ''} rows shown`;
}

/** MLflow's logged-table JSON (`mlflow.log_table`, evaluation tables): {"columns": [...], "data": [[...]]}. */
function isTable(json) {
  return json && Array.isArray(json.columns) && Array.isArray(json.data) && json.data.every(Array.isArray);
}

async function csvTable(text, delimiter) {
  const { default: Papa } = await import('papaparse');
  const parsed = Papa.parse(text, { delimiter, skipEmptyLines: true });
  const [columns = [], ...rows] = parsed.data;
  return { columns, rows };
}

/**
 * A preview of one run artifact, read through the artifact API (a Range request for the first
 * megabyte of text, 20 MB of images and PDFs): text and code, JSON (pretty, or MLflow's table JSON as
 * a table), CSV/TSV as a table (its rows filtered by a text), images, Markdown, HTML in a sandboxed frame with no scripts, PDF;
 * anything else, or too large, has its download link only.
 */
export function ArtifactPreview({ runId, path, fileSize }) {
  const kind = previewKind(path);
  const [state, setState] = useState({ loading: true });

  useEffect(() => {
    const stop = new AbortController();
    let objectUrl = null;
    const binary = kind === 'image' || kind === 'pdf';
    if (kind === 'none') {
      setState({ loading: false });
      return undefined;
    }
    if (binary && Number(fileSize) > BINARY_LIMIT) {
      // the listing tells the size: nothing is read to find it too large
      setState({ loading: false, tooLarge: Number(fileSize) });
      return undefined;
    }
    setState({ loading: true });
    readArtifact(runId, path, binary ? BINARY_LIMIT : TEXT_LIMIT, stop.signal)
      .then(async ({ blob, size: total, truncated }) => {
        if (binary) {
          if (truncated) return { tooLarge: total };
          // SVG is served as text/plain (never run as a document): shown as an image from a data: URL,
          // which has no origin of its own, never from a blob: URL of this one
          if (path.toLowerCase().endsWith('.svg')) return { url: await dataUrl(new Blob([blob], { type: 'image/svg+xml' })) };
          if (stop.signal.aborted) return {};
          objectUrl = URL.createObjectURL(kind === 'pdf' ? new Blob([blob], { type: 'application/pdf' }) : blob);
          return { url: objectUrl };
        }
        const text = await blob.text();
        if (kind === 'csv' || kind === 'tsv') {
          // a cut file's last line may be cut too
          const whole = truncated ? text.slice(0, text.lastIndexOf('\n') + 1) : text;
          return { table: await csvTable(whole, kind === 'tsv' ? '\t' : ','), truncated, total };
        }
        if (kind === 'json' && !truncated) {
          try {
            const json = JSON.parse(text);
            return isTable(json) ? { table: { columns: json.columns, rows: json.data } } : { text: JSON.stringify(json, null, 2) };
          } catch {
            return { text, note: 'Not valid JSON: shown as text.' };
          }
        }
        return { text, truncated, total };
      })
      .then((result) => !stop.signal.aborted && setState({ loading: false, ...result }))
      .catch((error) => !stop.signal.aborted && setState({ loading: false, error }));
    return () => {
      stop.abort();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [runId, path]);

  const name = path.split('/').pop();
  const download = html`<a class="download" href=${artifactUrl(runId, path)} download=${name}>Download ${name}</a>`;
  let body = null;
  if (state.loading) body = html`<p class="muted" aria-live="polite">Loading ${name} …</p>`;
  else if (state.error) body = html`<${ErrorMessage} error=${state.error} />`;
  else if (kind === 'none') body = html`<p class="muted">No preview for this type of file.</p>`;
  else if (state.tooLarge) body = html`<p class="muted">${byteSize(state.tooLarge)}: too large to preview.</p>`;
  else if (kind === 'image') body = html`<img class="preview-image" src=${state.url} alt=${path} />`;
  else if (kind === 'pdf') body = html`<iframe class="preview-frame" src=${state.url} title=${`PDF ${path}`} />`;
  else if (kind === 'html') {
    // no scripts, no same-origin access, no forms or navigation: the page is only looked at
    body = html`<iframe class="preview-frame" sandbox="" srcdoc=${state.text} title=${`HTML ${path}`} />`;
  } else if (state.table) {
    body = html`<${Table} columns=${state.table.columns} rows=${state.table.rows} truncated=${state.truncated} path=${path} />`;
  } else if (kind === 'markdown' && !state.truncated) body = html`<${Markdown} text=${state.text} class="preview-markdown" />`;
  else body = html`<pre class="preview-text" tabindex="0" aria-label=${`Contents of ${path}`}>${state.text}</pre>`;

  return html`<div class="artifact-preview">
    <div class="preview-head">
      <strong>${path}</strong>
      ${fileSize !== undefined && fileSize !== null ? html`<span class="muted">${byteSize(Number(fileSize))}</span>` : null}
      ${download}
    </div>
    ${state.note ? html`<p class="muted">${state.note}</p>` : null}
    ${state.truncated && !state.table ? html`<p class="muted">The first ${byteSize(TEXT_LIMIT)} of ${byteSize(state.total)} shown.</p>` : null}
    ${body}
  </div>`;
}

import { useEffect, useRef, useState } from 'preact/hooks';
import { call } from '../api.js';
import { byteSize } from '../format.js';
import { html } from '../html.js';
import { ArtifactPreview } from './ArtifactPreview.js';
import { ErrorMessage } from './ErrorMessage.js';

/** Entries asked for a page at a time: a directory of 100,000 files is listed as the user asks. */
const PAGE = 500;

/**
 * A run's artifacts as a tree, each directory listed when it is first opened (artifacts/list, page
 * by page), and the chosen file previewed beside it. `actions({path, isDir, files})` renders what can
 * be done with the chosen entry (registering a model directory, say); `files` is a directory's
 * listing so far. `initialPath` (MLflow's `…/artifactPath/<path>` links) opens the directories down
 * to it and chooses it.
 */
export function ArtifactBrowser({ runId, actions, initialPath }) {
  // path ('' for the root) → {files, next, loading, error}
  const [dirs, setDirs] = useState({});
  const [open, setOpen] = useState(new Set(['']));
  const [chosen, setChosen] = useState(null);
  // the run whose listings are wanted: an answer for an earlier one is dropped
  const current = useRef(runId);
  current.current = runId;

  /** Lists a directory (from `token` on); resolves to the entries listed, empty when it failed. */
  const list = async (path, token) => {
    setDirs((d) => ({ ...d, [path]: { ...(d[path] || { files: [] }), loading: true, error: null } }));
    try {
      const answer = await call('mlflow/artifacts/list', {
        query: { run_id: runId, path: path || undefined, page_token: token, max_results: PAGE },
      });
      if (current.current !== runId) return [];
      setDirs((d) => ({
        ...d,
        [path]: {
          // directories first, then files, by name: sorted as each page arrives, not on every render
          files: (token ? d[path].files : []).concat(answer.files || [])
            .sort((a, b) => (b.is_dir - a.is_dir) || a.path.localeCompare(b.path)),
          next: answer.next_page_token || null,
          loading: false,
          error: null,
        },
      }));
      return answer.files || [];
    } catch (error) {
      if (current.current === runId) setDirs((d) => ({ ...d, [path]: { ...(d[path] || { files: [] }), loading: false, error } }));
      return [];
    }
  };

  useEffect(() => {
    let live = true;
    setDirs({});
    setOpen(new Set(['']));
    setChosen(null);
    (async () => {
      let files = await list('');
      if (!initialPath) return;
      const parts = initialPath.replace(/^\/+|\/+$/g, '').split('/');
      const opened = new Set(['']);
      for (let i = 1; i <= parts.length && live; i += 1) {
        const path = parts.slice(0, i).join('/');
        const entry = files.find((f) => f.path === path);
        if (!entry) break;
        if (entry.is_dir) {
          opened.add(path);
          setOpen(new Set(opened));
          files = await list(path);
        }
        if (i === parts.length && live) setChosen(entry);
      }
    })();
    return () => {
      live = false;
    };
  }, [runId, initialPath]);

  const toggle = (file) => {
    const next = new Set(open);
    if (next.has(file.path)) {
      next.delete(file.path);
    } else {
      next.add(file.path);
      if (!dirs[file.path]) list(file.path);
    }
    setOpen(next);
    setChosen(file);
  };

  const entries = (path, depth) => {
    const dir = dirs[path];
    if (!dir) return null;
    return html`<ul>
      ${dir.files.map((file) => {
        const name = file.path.split('/').pop();
        const expanded = open.has(file.path);
        return html`<li key=${file.path}>
          <button type="button" class=${`entry ${chosen?.path === file.path ? 'chosen' : ''}`} style=${`padding-left:${8 + depth * 16}px`}
            aria-expanded=${file.is_dir ? String(expanded) : undefined} aria-current=${chosen?.path === file.path ? 'true' : undefined}
            onClick=${() => (file.is_dir ? toggle(file) : setChosen(file))}>
            <span aria-hidden="true" class="icon">${file.is_dir ? (expanded ? '▾' : '▸') : '·'}</span>${name}
            ${file.is_dir ? null : html`<span class="muted size">${byteSize(file.file_size || 0)}</span>`}
          </button>
          ${file.is_dir && expanded ? entries(file.path, depth + 1) : null}
        </li>`;
      })}
      ${dir.loading ? html`<li class="muted">Listing …</li>` : null}
      ${dir.next && !dir.loading
        ? html`<li><button type="button" class="quiet small" onClick=${() => list(path, dir.next)}>More files</button></li>`
        : null}
      ${dir.error ? html`<li><${ErrorMessage} error=${dir.error} /></li>` : null}
      ${!dir.loading && !dir.error && dir.files.length === 0 && depth === 0
        ? html`<li class="muted">No artifacts.</li>` : null}
    </ul>`;
  };

  return html`<div class="artifacts">
    <nav class="artifact-tree" aria-label="Artifact files">${entries('', 0)}</nav>
    <div class="artifact-view">
      ${chosen && actions ? actions({ path: chosen.path, isDir: chosen.is_dir, files: dirs[chosen.path]?.files || [] }) : null}
      ${chosen && !chosen.is_dir
        ? html`<${ArtifactPreview} key=${chosen.path} runId=${runId} path=${chosen.path} fileSize=${chosen.file_size} />`
        : html`<p class="muted">${chosen ? `${chosen.path}/` : 'Choose a file to preview it.'}</p>`}
    </div>
  </div>`;
}

// The public MLflow API, through the gateway, exactly as any client calls it.

/** An API error as MLflow answers it: {"error_code", "message"} and an HTTP status. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * Calls `/ajax-api/2.0/{path}`: GET with `query` (arrays repeat their key) or, with `body`, POST
 * JSON; `method` overrides (PATCH, DELETE with a JSON body as MLflow's alias and tag deletions).
 * Resolves to the answer's JSON; rejects with an {@link ApiError}, or with an AbortError when
 * `signal` aborts.
 */
export async function call(path, options = {}) {
  return callAt(`/ajax-api/2.0/${path}`, options);
}

/**
 * {@link call} at a path of its own (llm-gateway-service's routes, `/api/2.0/endpoints/` say, are not under
 * `/ajax-api/`). Its errors may be FastAPI's or OpenAI's shapes as well as MLflow's: {@link errorOf} reads them all.
 */
export async function callAt(url, { query, body, method, signal } = {}) {
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      for (const v of Array.isArray(value) ? value : [value]) {
        if (v !== undefined && v !== null && v !== '') params.append(key, String(v));
      }
    }
    const text = params.toString();
    if (text) url += `?${text}`;
  }
  let response;
  try {
    response = await fetch(url, body === undefined
      ? { method: method || 'GET', headers: { Accept: 'application/json', ...UI_HEADERS }, signal }
      : {
        method: method || 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...UI_HEADERS },
        body: JSON.stringify(body),
        signal,
      });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'UNAVAILABLE', `Skein cannot be reached: ${e.message}`);
  }
  const text = await response.text();
  let json = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = {};
  }
  if (!response.ok) {
    if (response.status === 401) signedOut();
    throw errorOf(response, json);
  }
  return json;
}

/**
 * The {@link ApiError} of an answer that is not OK, whichever shape its JSON has: MLflow's
 * {"error_code", "message"}, FastAPI's {"detail": text or [{loc, msg}]} (MLflow's deployments server),
 * slowapi's {"error": text} (its rate limit) or OpenAI's {"error": {"message", "code"}}.
 */
export function errorOf(response, json) {
  const status = response.status;
  let message = json.message;
  let code = json.error_code;
  if (!message && typeof json.detail === 'string') message = json.detail;
  if (!message && Array.isArray(json.detail)) {
    message = json.detail.map((d) => `${(d.loc || []).filter((p) => p !== 'body').join('.') || 'body'}: ${d.msg}`).join('; ');
  }
  if (!message && typeof json.error === 'string') message = json.error;
  if (!message && json.error && typeof json.error.message === 'string') message = json.error.message;
  if (!code) code = status === 429 ? 'REQUEST_LIMIT_EXCEEDED' : `HTTP_${status}`;
  const error = new ApiError(status, code, message || response.statusText || `HTTP ${status}`);
  const retryAfter = response.headers.get('Retry-After');
  if (retryAfter) error.retryAfter = retryAfter;
  return error;
}

/**
 * Sent with every call: the gateway then answers a missing sign-in without the browser's Basic
 * dialog, and accepts changes made with the session cookie (a page of another site cannot send it).
 */
export const UI_HEADERS = { 'X-Skein-Requested-With': 'ui' };

/** Tells the app its session has ended (any call answered 401): it shows the sign-in form. */
function signedOut() {
  window.dispatchEvent(new CustomEvent('skein:signed-out'));
}

/** Where a run's artifact is downloaded (MLflow's get-artifact, streamed by the artifact service). */
export function artifactUrl(runId, path) {
  return `/ajax-api/2.0/mlflow/get-artifact?${new URLSearchParams({ run_uuid: runId, path })}`;
}

/**
 * Reads the first `maxBytes` of a run's artifact (a Range request): {blob, size (the whole file's),
 * truncated}. Rejects with an {@link ApiError}, or an AbortError when `signal` aborts.
 */
export async function readArtifact(runId, path, maxBytes, signal) {
  let response;
  try {
    response = await fetch(artifactUrl(runId, path), {
      headers: { Range: `bytes=0-${maxBytes - 1}`, ...UI_HEADERS },
      signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'UNAVAILABLE', `Skein cannot be reached: ${e.message}`);
  }
  if (response.status === 416) {
    // an empty file has no first byte to ask for
    return { blob: new Blob([]), size: 0, truncated: false };
  }
  if (!response.ok) {
    let json = {};
    try {
      json = await response.json();
    } catch {
      json = {};
    }
    throw new ApiError(response.status, json.error_code || `HTTP_${response.status}`, json.message || response.statusText);
  }
  const blob = await response.blob();
  const range = /\/(\d+)$/.exec(response.headers.get('Content-Range') || '');
  const size = range ? Number(range[1]) : blob.size;
  return { blob, size, truncated: size > blob.size };
}

// The tracking service runs few bulk history reads at once per replica and refuses one more with
// REQUEST_LIMIT_EXCEEDED (429): a page asks for at most two at a time, and again after a refusal.
const BULK_AT_ONCE = 2;
let bulkRunning = 0;
const bulkWaiting = [];

function aborted() {
  return new DOMException('The read is no longer wanted', 'AbortError');
}

/** A place among the reads running; a waiter whose signal aborts leaves the queue. */
function bulkSlot(signal) {
  if (signal?.aborted) return Promise.reject(aborted());
  if (bulkRunning < BULK_AT_ONCE) {
    bulkRunning += 1;
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const waiter = () => {
      signal?.removeEventListener('abort', leave);
      resolve();
    };
    const leave = () => {
      const at = bulkWaiting.indexOf(waiter);
      if (at >= 0) bulkWaiting.splice(at, 1);
      reject(aborted());
    };
    signal?.addEventListener('abort', leave, { once: true });
    bulkWaiting.push(waiter);
  });
}

function bulkRelease() {
  const nextInLine = bulkWaiting.shift();
  if (nextInLine) nextInLine();
  else bulkRunning -= 1;
}

function pause(millis, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, millis);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(aborted());
    }, { once: true });
  });
}

/**
 * `metrics/get-history-bulk-interval` (sampled histories of up to 100 runs: run_ids, metric_key,
 * start_step, end_step, max_results), at most two from this page at once and asked again, after a
 * growing pause, while the service answers that too many are running. A `signal` that aborts takes
 * the read out of the queue or stops it (an AbortError): charts scrolled past or zoomed again do not
 * keep their place.
 */
export async function historyInterval(query, { signal } = {}) {
  await bulkSlot(signal);
  try {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await call('mlflow/metrics/get-history-bulk-interval', { query, signal });
      } catch (e) {
        if (e.status !== 429 || attempt >= 8) throw e;
        await pause(Math.min(3000, 150 * 2 ** attempt) * (0.75 + Math.random() / 2), signal);
      }
    }
  } finally {
    bulkRelease();
  }
}

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
 * JSON. Resolves to the answer's JSON; rejects with an {@link ApiError}.
 */
export async function call(path, { query, body } = {}) {
  let url = `/ajax-api/2.0/${path}`;
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
      ? { headers: { Accept: 'application/json' } }
      : { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) });
  } catch (e) {
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
    throw new ApiError(response.status, json.error_code || `HTTP_${response.status}`, json.message || response.statusText);
  }
  return json;
}

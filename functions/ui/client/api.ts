/**
 * The portal's one way to the back end: Harbor's `/api/v2.0`, the same API scripts use. The
 * session rides in an HttpOnly cookie the script never sees; the CSRF token the server hands
 * back in `X-Harbor-Csrf-Token` is kept in memory and echoed on every state-changing call.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The endpoint itself is missing: a feature this registry does not have (yet). */
  get notAvailable(): boolean {
    return this.status === 405 || (this.status === 404 && this.code === 'NOT_FOUND' && /no such endpoint/.test(this.message));
  }
}

export interface Page<T> {
  items: T[];
  /** From X-Total-Count; the item count when the API sends none. */
  total: number;
}

const csrfHeader = 'X-Harbor-Csrf-Token';
let csrfToken = '';
let pending = 0;
const busyListeners = new Set<(busy: boolean) => void>();
let unauthorizedListener: (() => void) | null = null;

/** Told when any call is in flight (for the loading indicator). */
export function onBusy(listener: (busy: boolean) => void): void {
  busyListeners.add(listener);
}

/** Told when a call made with a session was refused as unauthenticated (the session ended). */
export function onUnauthorized(listener: () => void): void {
  unauthorizedListener = listener;
}

function setBusy(delta: number): void {
  const before = pending > 0;
  pending += delta;
  if (before !== pending > 0) for (const listener of busyListeners) listener(pending > 0);
}

export function forgetCsrfToken(): void {
  csrfToken = '';
}

async function errorOf(response: Response): Promise<ApiError> {
  let code = `HTTP_${response.status}`;
  let message = response.statusText || `the server answered ${response.status}`;
  try {
    const body = (await response.json()) as { errors?: { code?: string; message?: string }[] };
    const first = body.errors?.[0];
    if (first?.code) code = first.code;
    if (first?.message) message = first.message;
  } catch {
    // Not JSON (a proxy's error page): keep the status text.
  }
  if (response.status === 429) message = `${message} (too many attempts; wait a little and try again)`;
  return new ApiError(response.status, code, message);
}

/** Sends one request; resolves with the response when it is 2xx, else rejects with an ApiError. */
export async function send(method: string, url: string, init: { body?: BodyInit; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers[csrfHeader] = csrfToken;
  setBusy(1);
  try {
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body: init.body ?? null, credentials: 'same-origin' });
    } catch {
      throw new ApiError(0, 'NETWORK', 'the registry cannot be reached; check your connection and try again');
    }
    const token = response.headers.get(csrfHeader);
    if (token) csrfToken = token;
    if (!response.ok) {
      const error = await errorOf(response);
      if (response.status === 401 && unauthorizedListener) unauthorizedListener();
      throw error;
    }
    return response;
  } finally {
    setBusy(-1);
  }
}

/** Path below `/api/v2.0`. */
function apiUrl(path: string): string {
  return `/api/v2.0${path}`;
}

export async function get<T>(path: string): Promise<T> {
  const response = await send('GET', apiUrl(path));
  return (await response.json()) as T;
}

/** A page of a Harbor list (`page` from 1, `page_size`), with its total from X-Total-Count. */
export async function list<T>(path: string, page: number, pageSize: number, query: Record<string, string> = {}): Promise<Page<T>> {
  const params = new URLSearchParams({ ...query, page: String(page), page_size: String(pageSize) });
  const separator = path.includes('?') ? '&' : '?';
  const response = await send('GET', apiUrl(`${path}${separator}${params}`));
  const items = (await response.json()) as T[];
  const total = Number(response.headers.get('X-Total-Count') ?? Number.NaN);
  return { items, total: Number.isFinite(total) ? total : (page - 1) * pageSize + items.length };
}

async function write(method: string, path: string, body?: unknown): Promise<Response> {
  return send(method, apiUrl(path), body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

export const post = (path: string, body?: unknown) => write('POST', path, body);
export const put = (path: string, body?: unknown) => write('PUT', path, body);
export const patch = (path: string, body?: unknown) => write('PATCH', path, body);
export const del = (path: string) => write('DELETE', path);

/** A path segment, encoded. */
export function seg(value: string | number): string {
  return encodeURIComponent(String(value));
}

/** A repository name inside a project, as Harbor wants it in paths: URL-encoded twice (`a/b` → `a%252Fb`). */
export function repoSeg(name: string): string {
  return encodeURIComponent(encodeURIComponent(name));
}

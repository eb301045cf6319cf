import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv } from '../app-env.js';
import { OciError } from '../core/errors.js';
import { StorageFullError } from '../ports/storage-full-error.js';
import { log } from '../ops/logger.js';
import { apiVersionHeader } from './v2/http.js';

/**
 * The single place errors become responses: an OciError as the spec's JSON body, Hono's own
 * HTTPException as it is, a full disk as 507 saying so, anything else as a logged 500 carrying the
 * request id.
 */
export function renderError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof StorageFullError) {
    log.error('storage full', { requestId: c.get('requestId'), cause: String(error.cause ?? error.message) });
    // The distribution spec has no code for it; the management API answers in Harbor's words.
    const code = c.req.path.startsWith('/v2') ? 'UNKNOWN' : 'INSUFFICIENT_STORAGE';
    const body = { errors: [{ code, message: "the registry's storage is full: nothing was changed; retry once space is freed" }] };
    return new Response(c.req.method === 'HEAD' ? null : JSON.stringify(body), {
      status: 507,
      headers: { 'content-type': 'application/json; charset=utf-8', ...apiVersion(c) },
    });
  }
  if (error instanceof OciError) {
    const body = c.req.method === 'HEAD' ? null : JSON.stringify(error.toBody());
    return new Response(body, {
      status: error.status,
      headers: { 'content-type': 'application/json; charset=utf-8', ...apiVersion(c), ...error.headers },
    });
  }
  if (error instanceof HTTPException) return error.getResponse();
  const requestId = c.get('requestId');
  log.error('request failed', { requestId, error, method: c.req.method, path: c.req.path });
  const internal = new OciError('UNKNOWN', 'internal error', { requestId });
  return new Response(c.req.method === 'HEAD' ? null : JSON.stringify(internal.toBody()), {
    status: 500,
    headers: { 'content-type': 'application/json; charset=utf-8', ...apiVersion(c) },
  });
}

/** Distribution API responses say which API they speak, errors included. */
function apiVersion(c: Context<AppEnv>): Record<string, string> {
  return c.req.path.startsWith('/v2') ? apiVersionHeader : {};
}

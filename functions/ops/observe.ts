import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-env.js';
import { log } from './logger.js';

/**
 * The first middleware of the app: gives the request its id (the caller's X-Request-Id, else a
 * new one), runs everything below, then writes the access line
 * and reports the request to the runtime's metrics. Answers carry X-Request-Id, so a client's
 * report can be matched to the logs.
 */
export function observe(): MiddlewareHandler<AppEnv> {
  return async function observeRequest(c, next) {
    const started = performance.now();
    const requestId = c.req.header('x-request-id') ?? crypto.randomUUID();
    c.set('requestId', requestId);
    const metrics = c.get('deps').metrics;
    const bytesIn = Number(c.req.header('content-length') ?? 0) || 0;
    const upload = bytesIn > 0 && ['PATCH', 'PUT', 'POST'].includes(c.req.method) && c.req.path.startsWith('/v2/');
    if (upload) metrics?.uploadsInFlight(1);
    try {
      await next();
    } finally {
      if (upload) metrics?.uploadsInFlight(-1);
    }
    const sent = c.get('sent');
    const status = sent?.status ?? c.res.status;
    // A response made complete (routes/v2/http.ts) carries the id already and knows its size.
    const complete = c.get('complete');
    const made = complete?.response === c.res ? complete : undefined;
    const bytesOut = sent?.bytes ?? made?.bytes ?? (Number(c.res.headers.get('content-length') ?? 0) || 0);
    if (!sent && !made) c.res.headers.set('X-Request-Id', requestId);
    const route = c.get('route') ?? c.req.routePath;
    const seconds = (performance.now() - started) / 1000;
    metrics?.request({ route, method: c.req.method, status, seconds, bytesIn, bytesOut });
    const fields = { requestId, method: c.req.method, path: c.req.path, route, status, ms: Math.round(seconds * 10_000) / 10, bytesIn, bytesOut, actor: c.get('actor') };
    // A 401 without credentials is the token-auth handshake every client starts with, not an event.
    if (status === 403 || (status === 401 && c.req.header('authorization') !== undefined)) log.warn('access denied', fields);
    else log.info('request', fields);
  };
}

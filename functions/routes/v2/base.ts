import type { Context } from 'hono';
import type { AppEnv } from '../../app-env.js';

/** end-1 GET /v2/: the registry implements the distribution API. */
export function apiVersionCheck(c: Context<AppEnv>): Response {
  return c.json({});
}

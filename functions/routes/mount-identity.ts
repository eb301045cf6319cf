import type { Hono } from 'hono';
import type { AppEnv } from '../app-env.js';
import { apiRoutes } from './api/harbor-api.js';
import { tokenRoutes } from './token.js';
import { sessionRoutes } from './ui/session-routes.js';
import { authorizeV2 } from './v2/authorize.js';

/**
 * Turns identity on for an app: authorization in front of /v2 (mounted before the registry
 * routes so it runs first), the token service, the management API and the portal's sessions.
 */
export function mountIdentity(app: Hono<AppEnv>): void {
  app.use('/v2/*', authorizeV2());
  app.route('/service', tokenRoutes());
  app.route('/api/v2.0', apiRoutes());
  app.route('/c', sessionRoutes());
}

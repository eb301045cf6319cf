import { Hono } from 'hono';
import type { AppDeps, AppEnv } from './app-env.js';
import { mountIdentity } from './routes/mount-identity.js';
import { renderError } from './routes/render-error.js';
import { v2Routes } from './routes/v2/index.js';

/**
 * The one Hono app every runtime serves (Lambda, the Node server, the upload service). Entry
 * points build `deps`; nothing below this line knows which backend it runs on.
 */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    c.set('deps', deps);
    c.set('requestId', c.req.header('x-request-id') ?? crypto.randomUUID());
    await next();
  });
  if (deps.identity) mountIdentity(app);
  app.route('/v2', v2Routes());
  app.notFound((c) => c.json({ errors: [{ code: 'NOT_FOUND', message: 'no such endpoint' }] }, 404));
  app.onError(renderError);
  return app;
}

import { Hono } from 'hono';
import type { AppDeps, AppEnv } from './app-env.js';
import { observe } from './ops/observe.js';
import { opsRoutes } from './routes/api/ops.js';
import { mountIdentity } from './routes/mount-identity.js';
import { renderError } from './routes/render-error.js';
import { BlobLinks } from './registry/blob-links.js';
import { Manifests } from './registry/manifests.js';
import { PullGates } from './registry/pull-gates.js';
import { Uploads } from './registry/uploads.js';
import { portalRoutes } from './routes/ui/portal.js';
import { v2App } from './routes/v2/route-table.js';
import { scannerAdapterRoutes } from './routes/scanner-adapter.js';

/**
 * The one Hono app every runtime serves (Lambda, the Node server, the upload service). Entry
 * points build `deps`; nothing below this line knows which backend it runs on.
 */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const registry = {
    uploads: new Uploads(deps),
    manifests: new Manifests(deps),
    links: new BlobLinks(deps.table),
    pullGates: new PullGates(deps.capabilities ?? [], deps.table, deps.identity),
  };
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    c.set('deps', deps);
    c.set('registry', registry);
    await next();
  });
  app.use(observe());
  // Answered with identity on or off, and before the management API's authentication.
  app.route('/api/v2.0', opsRoutes());
  const exposition = deps.metrics?.exposition?.bind(deps.metrics);
  if (exposition) {
    app.get('/metrics', async () => {
      const { contentType, body } = await exposition();
      return new Response(body, { headers: { 'content-type': contentType } });
    });
  }
  if (deps.identity) mountIdentity(app);
  app.route('/v2', v2App());
  app.route('/scanner/api/v1', scannerAdapterRoutes());
  app.route('/', portalRoutes());
  app.notFound((c) => c.json({ errors: [{ code: 'NOT_FOUND', message: 'no such endpoint' }] }, 404));
  app.onError(renderError);
  return app;
}

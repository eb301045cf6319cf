import type { Context } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { pageSizeOf } from './http.js';

/** GET /v2/_catalog with `n` and `last`: repository names from the catalog index, never a storage scan. */
export async function listRepositories(c: Context<AppEnv>): Promise<Response> {
  const n = pageSizeOf(c);
  const last = c.req.query('last');
  const page = await c.get('registry').manifests.catalog(n, last);
  if (page.more) {
    c.header('Link', `</v2/_catalog?n=${n}&last=${encodeURIComponent(page.repositories.at(-1)!)}>; rel="next"`);
  }
  return c.json({ repositories: page.repositories });
}

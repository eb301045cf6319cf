import type { Context } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { OciError } from '../../core/errors.js';
import { pageSizeOf, repositoryOf } from './http.js';

/** end-8a/8b GET /v2/<name>/tags/list with `n` and `last`: lexical order, Link to the next page. */
export async function listTags(c: Context<AppEnv>): Promise<Response> {
  const repository = repositoryOf(c);
  const n = pageSizeOf(c);
  const last = c.req.query('last');
  const { manifests } = c.get('registry');
  const page = await manifests.tags(repository, n, last);
  if (page.tags.length === 0 && last === undefined && !(await manifests.repositoryExists(repository))) {
    throw new OciError('NAME_UNKNOWN', undefined, { name: repository });
  }
  if (page.more) {
    const next = `/v2/${repository}/tags/list?n=${n}&last=${encodeURIComponent(page.tags.at(-1)!)}`;
    c.header('Link', `<${next}>; rel="next"`);
  }
  return c.json({ name: repository, tags: page.tags });
}

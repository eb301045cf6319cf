import { Hono } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { Repositories } from '../../lifecycle/repositories.js';
import { identityOf, principalOf } from './api-context.js';

/** Results of one search, as many as Harbor's search answers. */
const limit = 100;

/** `GET /api/v2.0/search?q=`: projects and repositories the caller may read whose name contains `q`. */
export function searchRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/search', async (c) => {
    const q = c.req.query('q') ?? '';
    const identity = identityOf(c);
    const repositories = new Repositories(c.get('deps'));
    const projects = [];
    const found = [];
    for (const project of await identity.projects.list()) {
      const { actions } = await identity.access.actionsOn(principalOf(c), project.name);
      if (!actions.has('read-project')) continue;
      if (project.name.includes(q) && projects.length < limit) {
        projects.push({ project_id: project.id, name: project.name, owner_id: project.ownerId, owner_name: project.ownerName, creation_time: project.createdAt, metadata: { public: String(project.public) } });
      }
      for (const name of await repositories.names(project.name)) {
        if (found.length >= limit || !name.includes(q)) continue;
        const summary = await repositories.summary(name);
        if (!summary) continue;
        found.push({
          project_id: project.id,
          project_name: project.name,
          project_public: project.public,
          repository_name: name,
          pull_count: summary.pullCount,
          artifact_count: summary.artifactCount,
        });
      }
    }
    return c.json({ project: projects, repository: found });
  });
  return routes;
}

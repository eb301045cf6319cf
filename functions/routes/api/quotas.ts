import { Hono } from 'hono';
import * as z from 'zod/mini';
import type { AppEnv } from '../../app-env.js';
import type { Project } from '../../identity/stores/project-store.js';
import { QuotaStore, type Quota } from '../../lifecycle/quota-store.js';
import { apiError, idParam, identityOf, paginate, parseBody, principalOf, requireSysadmin } from './api-context.js';

/** A hard limit: -1 (none) or a positive number of bytes, as Harbor accepts. */
export const storageLimit = z.int().check(z.refine((value) => value === -1 || value > 0, 'storage must be -1 (unlimited) or a positive number of bytes'));

export const quotaUpdateSchema = z.object({ hard: z.object({ storage: storageLimit }) });

/** Harbor's `Quota`: its id is the project's. */
function present(project: Project, quota: Quota) {
  return {
    id: project.id,
    ref: { id: project.id, name: project.name, owner_name: project.ownerName },
    hard: { storage: quota.hard },
    used: { storage: quota.used },
    creation_time: quota.createdAt,
    update_time: quota.updatedAt,
  };
}

/** `/api/v2.0/quotas`: every project's storage quota (system admins), and changing a hard limit. */
export function quotaRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/quotas', async (c) => {
    requireSysadmin(c);
    const quotas = new QuotaStore(c.get('deps'));
    const reference = c.req.query('reference');
    if (reference !== undefined && reference !== 'project') throw apiError(400, 'BAD_REQUEST', 'reference must be project');
    const referenceId = c.req.query('reference_id');
    let projects = await identityOf(c).projects.list();
    if (referenceId !== undefined) projects = projects.filter((p) => String(p.id) === referenceId);
    const all = await Promise.all(projects.map(async (project) => ({ project, quota: await quotas.get(project.name) })));
    const sort = c.req.query('sort');
    if (sort === 'used.storage' || sort === '-used.storage') all.sort((a, b) => (sort.startsWith('-') ? -1 : 1) * (a.quota.used - b.quota.used));
    if (sort === 'hard.storage' || sort === '-hard.storage') all.sort((a, b) => (sort.startsWith('-') ? -1 : 1) * (a.quota.hard - b.quota.hard));
    return c.json(paginate(c, all).map(({ project, quota }) => present(project, quota)));
  });

  routes.get('/quotas/:id', async (c) => {
    const project = await projectOfQuota(c);
    if (!(await identityOf(c).access.actionsOn(principalOf(c), project.name)).actions.has('read-project')) requireSysadmin(c);
    return c.json(present(project, await new QuotaStore(c.get('deps')).get(project.name)));
  });

  routes.put('/quotas/:id', async (c) => {
    requireSysadmin(c);
    const project = await projectOfQuota(c);
    const body = await parseBody(c, quotaUpdateSchema);
    await new QuotaStore(c.get('deps')).setHard(project.name, body.hard.storage);
    return c.body(null, 200);
  });

  return routes;
}

async function projectOfQuota(c: Parameters<typeof identityOf>[0]): Promise<Project> {
  const project = await identityOf(c).projects.getById(idParam(c, 'id'));
  if (!project) throw apiError(404, 'NOT_FOUND', `quota ${c.req.param('id')} not found`);
  return project;
}

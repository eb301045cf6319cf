import type { Context } from 'hono';
import { Hono } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { Repositories, numericId, type RepositorySummary } from '../../lifecycle/repositories.js';
import { subjectOf } from '../../identity/principal.js';
import type { Project } from '../../identity/stores/project-store.js';
import { asApiError } from './artifacts.js';
import { apiError, identityOf, paginate, principalOf, projectFor } from './api-context.js';

/**
 * The repository part of a path (`{repository_name}`): Harbor's clients encode it twice
 * (`a%252Fb` for `a/b`); the router decoded it once.
 */
export function repositoryParam(c: Context<AppEnv>, project: Project): string {
  let name = c.req.param('repository_name') ?? '';
  try {
    name = decodeURIComponent(name);
  } catch {
    throw apiError(400, 'BAD_REQUEST', 'repository_name is not a valid encoding');
  }
  if (!name) throw apiError(400, 'BAD_REQUEST', 'repository_name is required');
  return `${project.name}/${name}`;
}

/** Harbor's `Repository`. */
export function presentRepository(summary: RepositorySummary, projectId: number) {
  return {
    id: numericId(summary.name),
    project_id: projectId,
    name: summary.name,
    description: '',
    artifact_count: summary.artifactCount,
    pull_count: summary.pullCount,
    creation_time: summary.createdAt,
    update_time: summary.updatedAt,
  };
}

/** Harbor's `q`: `name=~part` (contains) or `name=exact`, comma-separated terms. */
export function nameFilter(q: string | null): (name: string) => boolean {
  if (!q) return () => true;
  const tests: ((name: string) => boolean)[] = [];
  for (const term of q.split(',')) {
    const fuzzy = /^name=~(.*)$/.exec(term);
    const exact = /^name=(.*)$/.exec(term);
    if (fuzzy) tests.push((name) => name.includes(decodeURIComponent(fuzzy[1]!)));
    else if (exact) tests.push((name) => name === decodeURIComponent(exact[1]!));
    else throw apiError(400, 'BAD_REQUEST', `unsupported query term ${term}: use name=~part or name=value`);
  }
  return (name) => tests.every((test) => test(name));
}

const sorts: Record<string, (a: RepositorySummary, b: RepositorySummary) => number> = {
  name: (a, b) => a.name.localeCompare(b.name),
  '-name': (a, b) => b.name.localeCompare(a.name),
  creation_time: (a, b) => a.createdAt.localeCompare(b.createdAt),
  '-creation_time': (a, b) => b.createdAt.localeCompare(a.createdAt),
  update_time: (a, b) => a.updatedAt.localeCompare(b.updatedAt),
  '-update_time': (a, b) => b.updatedAt.localeCompare(a.updatedAt),
};

/**
 * A page of a project's repositories. In name order (the default, and `sort=name`) only the
 * page's repositories are summed up; other orders need every summary first.
 */
async function repositoryPage(c: Context<AppEnv>, projects: Project[]) {
  const repositories = new Repositories(c.get('deps'));
  const query = new URL(c.req.url).searchParams;
  const sort = query.get('sort') ?? 'name';
  if (!sorts[sort]) throw apiError(400, 'BAD_REQUEST', `unsupported sort ${sort}: use name, creation_time or update_time, optionally with -`);
  const keep = nameFilter(query.get('q'));
  const named: { name: string; project: Project }[] = [];
  for (const project of projects) for (const name of await repositories.names(project.name)) if (keep(name.slice(project.name.length + 1)) || keep(name)) named.push({ name, project });
  const summarize = async (entries: typeof named) =>
    (await Promise.all(entries.map(async ({ name, project }) => ({ summary: await repositories.summary(name), project })))).filter(
      (entry): entry is { summary: RepositorySummary; project: Project } => entry.summary !== null,
    );
  if (sort === 'name') {
    const page = paginate(c, named);
    return (await summarize(page)).map(({ summary, project }) => presentRepository(summary, project.id));
  }
  const all = (await summarize(named)).sort((a, b) => sorts[sort]!(a.summary, b.summary));
  return paginate(c, all).map(({ summary, project }) => presentRepository(summary, project.id));
}

/** `/api/v2.0/projects/{project_name_or_id}/repositories` and `/api/v2.0/repositories`. */
export function repositoryRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/projects/:project_name_or_id/repositories', async (c) => {
    const project = await projectFor(c, 'read-project');
    return c.json(await repositoryPage(c, [project]));
  });

  routes.get('/projects/:project_name_or_id/repositories/:repository_name', async (c) => {
    const project = await projectFor(c, 'read-project');
    const name = repositoryParam(c, project);
    const summary = await new Repositories(c.get('deps')).summary(name);
    if (!summary) throw apiError(404, 'NOT_FOUND', `repository ${name} not found`);
    return c.json(presentRepository(summary, project.id));
  });

  routes.delete('/projects/:project_name_or_id/repositories/:repository_name', async (c) => {
    const project = await projectFor(c, 'delete-repository');
    const name = repositoryParam(c, project);
    const deleted = await asApiError(() => new Repositories(c.get('deps')).delete(name, subjectOf(principalOf(c)) || undefined));
    if (!deleted) throw apiError(404, 'NOT_FOUND', `repository ${name} not found`);
    return c.body(null, 200);
  });

  // Every repository the caller may read (Harbor: of public projects and of their own).
  routes.get('/repositories', async (c) => {
    const identity = identityOf(c);
    const principal = principalOf(c);
    const readable: Project[] = [];
    for (const project of await identity.projects.list()) {
      const { actions } = await identity.access.actionsOn(principal, project.name);
      if (actions.has('read-project')) readable.push(project);
    }
    return c.json(await repositoryPage(c, readable));
  });

  return routes;
}

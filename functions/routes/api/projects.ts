import { Hono } from 'hono';
import * as z from 'zod/mini';
import type { AppEnv } from '../../app-env.js';
import { projectMetadataChanges } from '../../identity/project-metadata.js';
import { projectRoles, strongestRole } from '../../identity/rbac.js';
import { type Project, isValidProjectName, maxProjectNameLength } from '../../identity/stores/project-store.js';
import { ImmutableRules } from '../../lifecycle/immutable-rules.js';
import { QuotaStore } from '../../lifecycle/quota-store.js';
import { Repositories } from '../../lifecycle/repositories.js';
import { storageLimit } from './quotas.js';
import { apiError, identityOf, paginate, parseBody, principalOf, projectFor, refuse, requireSysadmin } from './api-context.js';

const metadata = z.optional(projectMetadataChanges);

export const projectReqSchema = z.object({
  project_name: z.string().check(z.minLength(1), z.maxLength(maxProjectNameLength)),
  /** Deprecated in Harbor in favour of `metadata.public`, still sent by older clients. */
  public: z.optional(z.boolean()),
  metadata,
  storage_limit: z.optional(storageLimit),
  registry_id: z.optional(z.nullable(z.int())),
});

export const projectUpdateSchema = z.object({ metadata, storage_limit: z.optional(storageLimit) });

function definedOnly(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** A project in Harbor's `Project` shape, with the caller's role in it. */
async function present(c: Parameters<typeof principalOf>[0], project: Project) {
  const principal = principalOf(c);
  let roleId = 0;
  if (principal.kind === 'user') {
    const roles = await identityOf(c).members.rolesOf(project.name, principal.user.username, principal.user.ldapGroups);
    const role = strongestRole(roles);
    roleId = role ? projectRoles[role] : 0;
  }
  return {
    project_id: project.id,
    name: project.name,
    owner_id: project.ownerId,
    owner_name: project.ownerName,
    creation_time: project.createdAt,
    update_time: project.updatedAt,
    deleted: false,
    current_user_role_id: roleId,
    current_user_role_ids: roleId ? [roleId] : [],
    metadata: { ...project.metadata, public: String(project.public) },
  };
}

/** `/api/v2.0/projects`: Harbor's project endpoints (list, create, exists, get, update, delete). */
export function projectRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/', async (c) => {
    // Harbor: HEAD /projects?project_name=x answers whether the name is taken. Hono serves HEAD
    // with the GET route, so it is told apart here.
    if (c.req.method === 'HEAD') {
      // It names private projects too, so only to someone logged in (who could create one).
      if (principalOf(c).kind === 'anonymous') throw refuse(c);
      const name = new URL(c.req.url).searchParams.get('project_name');
      if (!name) throw apiError(400, 'BAD_REQUEST', 'project_name is required');
      const exists = (await identityOf(c).projects.get(name)) !== null;
      return c.body(null, exists ? 200 : 404);
    }
    const identity = identityOf(c);
    const principal = principalOf(c);
    const query = new URL(c.req.url).searchParams;
    const all = await identity.projects.list();
    let visible: Project[];
    if (principal.kind === 'user' && principal.user.sysadmin) visible = all;
    else {
      const mine =
        principal.kind === 'user'
          ? await identity.members.projectsOf(principal.user.username, principal.user.ldapGroups)
          : new Set<string>();
      const robotProjects = principal.kind === 'robot' ? principal.robot.permissions.map((p) => p.namespace) : [];
      visible = all.filter((p) => p.public || mine.has(p.name) || robotProjects.includes(p.name) || robotProjects.includes('*'));
    }
    const name = query.get('name');
    if (name) visible = visible.filter((p) => p.name.includes(name));
    const isPublic = query.get('public');
    if (isPublic === 'true' || isPublic === 'false') visible = visible.filter((p) => String(p.public) === isPublic);
    const owner = query.get('owner');
    if (owner) visible = visible.filter((p) => p.ownerName === owner);
    return c.json(await Promise.all(paginate(c, visible).map((p) => present(c, p))));
  });

  routes.post('/', async (c) => {
    const identity = identityOf(c);
    const principal = principalOf(c);
    if (principal.kind !== 'user') throw refuse(c, 'only users create projects');
    const body = await parseBody(c, projectReqSchema);
    const config = await identity.config.get();
    if (config.project_creation_restriction === 'adminonly' && !principal.user.sysadmin) throw refuse(c, 'only system admins create projects');
    if (!isValidProjectName(body.project_name)) {
      throw apiError(400, 'BAD_REQUEST', 'project_name must be lower-case letters, digits and separators (._-), starting and ending with a letter or digit');
    }
    const isPublic = body.metadata?.public !== undefined ? body.metadata.public === 'true' : (body.public ?? false);
    const { public: _public, ...otherMetadata } = definedOnly(body.metadata ?? {});
    const project = await identity.createProject({ name: body.project_name, public: isPublic, metadata: otherMetadata, creator: principal.user });
    if (!project) throw apiError(409, 'CONFLICT', `project ${body.project_name} already exists`);
    if (body.storage_limit !== undefined) await new QuotaStore(c.get('deps')).setHard(project.name, body.storage_limit);
    c.header('Location', `/api/v2.0/projects/${project.id}`);
    return c.body(null, 201);
  });

  routes.get('/:project_name_or_id', async (c) => c.json(await present(c, await projectFor(c, 'read-project'))));

  routes.put('/:project_name_or_id', async (c) => {
    const project = await projectFor(c, 'update-project');
    const body = await parseBody(c, projectUpdateSchema);
    // A quota is the system admin's to change, as in Harbor's quotas API.
    if (body.storage_limit !== undefined) requireSysadmin(c);
    if (body.metadata) await identityOf(c).projects.updateMetadata(project.name, definedOnly(body.metadata));
    if (body.storage_limit !== undefined) {
      await new QuotaStore(c.get('deps')).setHard(project.name, body.storage_limit);
    }
    return c.body(null, 200);
  });

  routes.delete('/:project_name_or_id', async (c) => {
    const identity = identityOf(c);
    const project = await projectFor(c, 'delete-project');
    // Harbor: a project that still holds repositories cannot be deleted.
    if (await new Repositories(c.get('deps')).holdsAny(project.name)) throw apiError(412, 'PRECONDITION', `project ${project.name} still holds repositories: delete them first`);
    for (const member of await identity.members.list(project.name)) await identity.members.remove(member);
    for (const robot of await identity.robots.list(project.name)) await identity.robots.delete(robot);
    await new ImmutableRules(c.get('deps').table).removeAll(project.name);
    await new QuotaStore(c.get('deps')).remove(project.name);
    await identity.projects.delete(project);
    return c.body(null, 200);
  });

  return routes;
}

import { Hono } from 'hono';
import type { Context } from 'hono';
import * as z from 'zod/mini';
import type { AppEnv } from '../../app-env.js';
import { generateSecret, hashPassword, hashSecret } from '../../identity/passwords.js';
import { type Robot, isGrantableAccess, robotPrefix } from '../../identity/stores/robot-store.js';
import { apiError, idParam, identityOf, parseBody, principalOf, refuse } from './api-context.js';

const nonEmpty = () => z.string().check(z.minLength(1));
const access = z.object({ resource: nonEmpty(), action: nonEmpty(), effect: z.optional(z.string()) });

const permission = z.object({
  kind: z.literal('project'),
  namespace: nonEmpty(),
  access: z.array(access).check(
    z.minLength(1),
    z.refine((list) => list.every(isGrantableAccess), {
      message: 'robots may hold repository pull/push/delete, artifact read/delete and project read only',
    }),
  ),
});
const permissions = z.array(permission).check(z.minLength(1));
const description = z.string().check(z.maxLength(1024));
/** Days until expiry; -1 never expires. */
const duration = z.int().check(z.minimum(-1), z.maximum(36500), z.refine((d) => d !== 0, { message: 'duration is -1 or a number of days' }));

export const robotCreateSchema = z.object({
  name: z.string().check(
    z.minLength(1),
    z.maxLength(128),
    z.regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, 'robot names are lower-case letters, digits and ._-'),
  ),
  description: z._default(description, ''),
  duration,
  level: z.enum(['system', 'project']),
  disable: z._default(z.boolean(), false),
  permissions,
});

export const robotUpdateSchema = z.object({
  description: z.optional(description),
  disable: z.optional(z.boolean()),
  duration: z.optional(duration),
  permissions: z.optional(permissions),
});

export const robotSecretSchema = z.object({ secret: z.optional(z.string().check(z.maxLength(128))) });

function present(robot: Robot) {
  return {
    id: robot.id,
    name: robot.name,
    description: robot.description,
    level: robot.level,
    duration: robot.duration,
    editable: true,
    disable: robot.disabled,
    expires_at: robot.expiresAt,
    permissions: robot.permissions,
    creation_time: robot.createdAt,
    update_time: robot.updatedAt,
  };
}

/**
 * Who may make or change a robot with these permissions: a system admin any; a project admin a
 * project-level robot holding one permission on their own project (Harbor's rule).
 */
async function checkManage(c: Context<AppEnv>, level: 'system' | 'project', permissions: { namespace: string }[]): Promise<string | null> {
  const principal = principalOf(c);
  if (principal.kind === 'user' && principal.user.sysadmin) {
    if (level === 'project') {
      if (permissions.length !== 1 || permissions[0]!.namespace === '*') throw apiError(400, 'BAD_REQUEST', 'a project robot holds permissions on exactly one project');
      const project = await identityOf(c).projects.get(permissions[0]!.namespace);
      if (!project) throw apiError(404, 'NOT_FOUND', `project ${permissions[0]!.namespace} not found`);
      return project.name;
    }
    return null;
  }
  if (level === 'system') throw refuse(c, 'only system admins create system robots');
  if (permissions.length !== 1) throw apiError(400, 'BAD_REQUEST', 'a project robot holds permissions on exactly one project');
  const name = permissions[0]!.namespace;
  const project = await identityOf(c).projects.get(name);
  if (!project) throw principal.kind === 'anonymous' ? refuse(c) : apiError(404, 'NOT_FOUND', `project ${name} not found`);
  const { actions } = await identityOf(c).access.actionsOn(principal, project.name);
  if (!actions.has('manage-robots')) throw refuse(c);
  return project.name;
}

async function robotFor(c: Context<AppEnv>): Promise<Robot> {
  const robot = await identityOf(c).robots.getById(idParam(c, 'robot_id'));
  if (!robot) {
    if (principalOf(c).kind === 'anonymous') throw refuse(c);
    throw apiError(404, 'NOT_FOUND', 'robot not found');
  }
  await checkManage(c, robot.level, robot.permissions);
  return robot;
}

function expiry(nowMs: number, days: number): number {
  return days === -1 ? -1 : Math.floor(nowMs / 1000) + days * 24 * 60 * 60;
}

/** `/api/v2.0/robots`: robot accounts; the secret is shown once, at creation or refresh. */
export function robotRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.post('/', async (c) => {
    const identity = identityOf(c);
    const body = await parseBody(c, robotCreateSchema);
    const project = await checkManage(c, body.level, body.permissions);
    const secret = generateSecret();
    const name = project ? `${robotPrefix}${project}+${body.name}` : `${robotPrefix}${body.name}`;
    const principal = principalOf(c);
    const robot = await identity.robots.create({
      name,
      description: body.description,
      level: body.level,
      project,
      permissions: body.permissions.map((p) => ({ kind: p.kind, namespace: p.namespace, access: p.access.map(({ resource, action }) => ({ resource, action })) })),
      secretHash: hashSecret(secret),
      disabled: body.disable,
      expiresAt: expiry(identity.now().getTime(), body.duration),
      duration: body.duration,
      creator: principal.kind === 'user' ? principal.user.username : '',
    });
    if (!robot) throw apiError(409, 'CONFLICT', `robot ${name} already exists`);
    c.header('Location', `/api/v2.0/robots/${robot.id}`);
    return c.json({ id: robot.id, name: robot.name, secret, creation_time: robot.createdAt, expires_at: robot.expiresAt }, 201);
  });

  routes.get('/', async (c) => {
    const identity = identityOf(c);
    const principal = principalOf(c);
    // Harbor's query language, the part its UI and CLI use: q=Level=project,ProjectID=3
    const q = new URL(c.req.url).searchParams.get('q') ?? '';
    const filters = Object.fromEntries(q.split(',').map((kv) => kv.split('=')).filter((kv) => kv.length === 2)) as Record<string, string>;
    let project: string | undefined;
    if (filters.ProjectID) {
      const found = /^[0-9]+$/.test(filters.ProjectID) ? await identity.projects.getById(Number(filters.ProjectID)) : null;
      if (!found) throw apiError(404, 'NOT_FOUND', 'project not found');
      project = found.name;
    }
    const sysadmin = principal.kind === 'user' && principal.user.sysadmin;
    if (!sysadmin) {
      if (project === undefined) throw refuse(c, 'give q=ProjectID=<id> or be a system admin');
      const { actions } = await identity.access.actionsOn(principal, project);
      if (!actions.has('manage-robots')) throw refuse(c);
    }
    let robots = await identity.robots.list(project);
    if (filters.Level) robots = robots.filter((r) => r.level === filters.Level);
    return c.json(robots.map(present));
  });

  routes.get('/:robot_id', async (c) => c.json(present(await robotFor(c))));

  routes.put('/:robot_id', async (c) => {
    const identity = identityOf(c);
    const robot = await robotFor(c);
    const body = await parseBody(c, robotUpdateSchema);
    if (body.permissions) await checkManage(c, robot.level, body.permissions);
    if (body.permissions && robot.level === 'project' && body.permissions.some((p) => p.namespace !== robot.project)) {
      throw apiError(400, 'BAD_REQUEST', 'a project robot stays in its project');
    }
    await identity.robots.update(robot, {
      ...(body.description === undefined ? {} : { description: body.description }),
      ...(body.disable === undefined ? {} : { disabled: body.disable }),
      ...(body.permissions === undefined ? {} : { permissions: body.permissions.map(({ kind, namespace, access: list }) => ({ kind, namespace, access: list.map(({ resource, action }) => ({ resource, action })) })) }),
      ...(body.duration === undefined ? {} : { duration: body.duration, expiresAt: expiry(Date.parse(robot.createdAt), body.duration) }),
    });
    return c.body(null, 200);
  });

  // Harbor: PATCH /robots/{id} with {"secret": ...} sets that secret, or a fresh one when empty.
  routes.patch('/:robot_id', async (c) => {
    const robot = await robotFor(c);
    const body = await parseBody(c, robotSecretSchema);
    const chosen = body.secret ?? '';
    if (chosen !== '' && !(chosen.length >= 8 && /[A-Z]/.test(chosen) && /[a-z]/.test(chosen) && /[0-9]/.test(chosen))) {
      throw apiError(400, 'BAD_REQUEST', 'a robot secret has 8+ characters with an upper-case letter, a lower-case letter and a digit');
    }
    const secret = chosen || generateSecret();
    await identityOf(c).robots.update(robot, { secretHash: chosen ? await hashPassword(chosen) : hashSecret(secret) });
    return c.json({ secret });
  });

  routes.delete('/:robot_id', async (c) => {
    const robot = await robotFor(c);
    await identityOf(c).robots.delete(robot);
    return c.body(null, 200);
  });

  return routes;
}

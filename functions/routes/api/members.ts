import { Hono } from 'hono';
import * as z from 'zod/mini';
import type { AppEnv } from '../../app-env.js';
import { normalizeDn } from '../../identity/directory.js';
import { roleFromId, roleNames } from '../../identity/rbac.js';
import type { Member } from '../../identity/stores/member-store.js';
import type { Project } from '../../identity/stores/project-store.js';
import { apiError, idParam, identityOf, parseBody, projectFor } from './api-context.js';

const roleId = z.int().check(z.minimum(1), z.maximum(5));

export const projectMemberSchema = z
  .object({
    role_id: roleId,
    member_user: z.optional(z.object({ user_id: z.optional(z.int()), username: z.optional(z.string().check(z.minLength(1))) })),
    member_group: z.optional(
      z.object({
        id: z.optional(z.int()),
        group_name: z.optional(z.string()),
        /** 1 = LDAP group, the only kind Berth has. */
        group_type: z.optional(z.literal(1)),
        ldap_group_dn: z.string().check(z.minLength(1)),
      }),
    ),
  })
  .check(
    z.refine((b) => (b.member_user === undefined) !== (b.member_group === undefined), {
      message: 'give exactly one of member_user and member_group',
    }),
  );

export const roleRequestSchema = z.object({ role_id: roleId });

function present(project: Project, member: Member) {
  const role = roleFromId(member.roleId);
  return {
    id: member.id,
    project_id: project.id,
    entity_name: member.entityName,
    entity_type: member.entityType,
    entity_id: member.entityId,
    role_id: member.roleId,
    role_name: role ? roleNames[role] : '',
  };
}

/** `/api/v2.0/projects/{project_name_or_id}/members`: who holds which role. */
export function memberRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/:project_name_or_id/members', async (c) => {
    const project = await projectFor(c, 'list-members');
    const entity = new URL(c.req.url).searchParams.get('entityname');
    const members = await identityOf(c).members.list(project.name);
    return c.json(members.filter((m) => !entity || m.entityName.includes(entity)).map((m) => present(project, m)));
  });

  routes.post('/:project_name_or_id/members', async (c) => {
    const identity = identityOf(c);
    const project = await projectFor(c, 'manage-members');
    const body = await parseBody(c, projectMemberSchema);
    let added: Member | null;
    if (body.member_user) {
      const { user_id, username } = body.member_user;
      const user = username ? await identity.users.get(username) : user_id ? await identity.users.getById(user_id) : null;
      if (!user) throw apiError(404, 'NOT_FOUND', 'no such user (LDAP users appear after their first login)');
      added = await identity.members.add({ project: project.name, entityType: 'u', entityName: user.username, entityId: user.id, roleId: body.role_id });
    } else {
      const dn = normalizeDn(body.member_group!.ldap_group_dn);
      added = await identity.members.add({ project: project.name, entityType: 'g', entityName: dn, entityId: 0, roleId: body.role_id });
    }
    if (!added) throw apiError(409, 'CONFLICT', 'already a member of this project');
    c.header('Location', `/api/v2.0/projects/${project.id}/members/${added.id}`);
    return c.body(null, 201);
  });

  async function memberOf(project: Project, id: number, identity: ReturnType<typeof identityOf>): Promise<Member> {
    const member = await identity.members.getById(id);
    if (!member || member.project !== project.name) throw apiError(404, 'NOT_FOUND', `member ${id} not found`);
    return member;
  }

  routes.get('/:project_name_or_id/members/:mid', async (c) => {
    const project = await projectFor(c, 'list-members');
    return c.json(present(project, await memberOf(project, idParam(c, 'mid'), identityOf(c))));
  });

  routes.put('/:project_name_or_id/members/:mid', async (c) => {
    const project = await projectFor(c, 'manage-members');
    const member = await memberOf(project, idParam(c, 'mid'), identityOf(c));
    const body = await parseBody(c, roleRequestSchema);
    await identityOf(c).members.setRole(member, body.role_id);
    return c.body(null, 200);
  });

  routes.delete('/:project_name_or_id/members/:mid', async (c) => {
    const project = await projectFor(c, 'manage-members');
    const member = await memberOf(project, idParam(c, 'mid'), identityOf(c));
    await identityOf(c).members.remove(member);
    return c.body(null, 200);
  });

  return routes;
}

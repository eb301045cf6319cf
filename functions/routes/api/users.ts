import { Hono } from 'hono';
import type { Context } from 'hono';
import * as z from 'zod/mini';
import type { AppEnv } from '../../app-env.js';
import { hashPassword, verifyPassword } from '../../identity/passwords.js';
import type { User } from '../../identity/stores/user-store.js';
import { apiError, idParam, identityOf, paginate, parseBody, principalOf, refuse, requireSysadmin } from './api-context.js';

/** Harbor's password rule: 8 to 256 characters with an upper-case letter, a lower-case letter and a digit. */
export const password = z.string().check(
  z.minLength(8),
  z.maxLength(256),
  z.refine((p) => /[A-Z]/.test(p) && /[a-z]/.test(p) && /[0-9]/.test(p), {
    message: 'password needs an upper-case letter, a lower-case letter and a digit',
  }),
);

/** Usernames may not look like robots (`$`) or hold characters Harbor refuses. */
const username = z.string().check(
  z.minLength(1),
  z.maxLength(255),
  z.regex(/^[^$,"~#%^&*:\s\\/]+$/, 'username holds a character Harbor does not allow'),
);
const email = z.email().check(z.maxLength(255));
const realname = z.string().check(z.maxLength(255));
const comment = z.string().check(z.maxLength(30));

export const userCreationSchema = z.object({
  username,
  email,
  realname: z._default(realname, ''),
  password,
  comment: z._default(comment, ''),
});

export const userProfileSchema = z.object({
  email: z.optional(email),
  realname: z.optional(realname),
  comment: z.optional(comment),
});

export const passwordReqSchema = z.object({ old_password: z.optional(z.string()), new_password: password });
export const sysadminFlagSchema = z.object({ sysadmin_flag: z.boolean() });

export function presentUser(user: User) {
  return {
    user_id: user.id,
    username: user.username,
    email: user.email,
    realname: user.realname,
    comment: user.comment,
    sysadmin_flag: user.sysadmin,
    admin_role_in_auth: false,
    creation_time: user.createdAt,
    update_time: user.updatedAt,
  };
}

/** The user named by `:user_id`, when the caller is that user or a system admin. */
async function userFor(c: Context<AppEnv>, selfAllowed: boolean): Promise<User> {
  const principal = principalOf(c);
  if (principal.kind !== 'user') throw refuse(c);
  const id = idParam(c, 'user_id');
  const isSelf = principal.user.id === id;
  if (!(principal.user.sysadmin || (selfAllowed && isSelf))) throw refuse(c);
  const user = await identityOf(c).users.getById(id);
  if (!user) throw apiError(404, 'NOT_FOUND', `user ${id} not found`);
  return user;
}

/** `/api/v2.0/users`: local accounts (LDAP accounts appear here after their first login). */
export function userRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/current', async (c) => {
    const principal = principalOf(c);
    if (principal.kind !== 'user') throw refuse(c, 'not a user');
    return c.json(presentUser(principal.user));
  });

  routes.get('/', async (c) => {
    requireSysadmin(c);
    const query = new URL(c.req.url).searchParams;
    const name = query.get('username');
    const users = (await identityOf(c).users.list()).filter((u) => !name || u.username.includes(name));
    return c.json(paginate(c, users).map(presentUser));
  });

  routes.post('/', async (c) => {
    requireSysadmin(c);
    const identity = identityOf(c);
    if ((await identity.config.get()).auth_mode !== 'db_auth') throw apiError(403, 'FORBIDDEN', 'users come from LDAP in ldap_auth mode');
    const body = await parseBody(c, userCreationSchema);
    const user = await identity.users.create({
      username: body.username,
      email: body.email,
      realname: body.realname,
      comment: body.comment,
      passwordHash: await hashPassword(body.password),
      sysadmin: false,
      source: 'db',
      ldapDn: null,
      ldapGroups: [],
    });
    if (!user) throw apiError(409, 'CONFLICT', `username ${body.username} is already taken`);
    c.header('Location', `/api/v2.0/users/${user.id}`);
    return c.body(null, 201);
  });

  routes.get('/:user_id', async (c) => c.json(presentUser(await userFor(c, true))));

  routes.put('/:user_id', async (c) => {
    const user = await userFor(c, true);
    const body = await parseBody(c, userProfileSchema);
    await identityOf(c).users.update(user.username, body);
    return c.body(null, 200);
  });

  routes.delete('/:user_id', async (c) => {
    const user = await userFor(c, false);
    const principal = principalOf(c);
    if (principal.kind === 'user' && principal.user.id === user.id) throw apiError(403, 'FORBIDDEN', 'you cannot delete yourself');
    const identity = identityOf(c);
    for (const project of await identity.members.projectsOf(user.username, [])) {
      const member = await identity.members.get(project, 'u', user.username);
      if (member) await identity.members.remove(member);
    }
    await identity.users.delete(user);
    return c.body(null, 200);
  });

  routes.put('/:user_id/password', async (c) => {
    const user = await userFor(c, true);
    const principal = principalOf(c);
    const body = await parseBody(c, passwordReqSchema);
    if (user.source !== 'db' || user.passwordHash === null) throw apiError(403, 'FORBIDDEN', 'this password is kept by LDAP');
    const isSelf = principal.kind === 'user' && principal.user.id === user.id;
    // Your own password needs the old one (a stolen session must not lock you out); an admin resets others'.
    if (isSelf && !(body.old_password && (await verifyPassword(body.old_password, user.passwordHash)))) {
      throw apiError(400, 'BAD_REQUEST', 'old_password is wrong');
    }
    await identityOf(c).users.update(user.username, { passwordHash: await hashPassword(body.new_password) });
    return c.body(null, 200);
  });

  routes.put('/:user_id/sysadmin', async (c) => {
    requireSysadmin(c);
    const user = await userFor(c, false);
    const body = await parseBody(c, sysadminFlagSchema);
    // Demoting yourself could leave no system admin at all; another admin has to do it.
    const principal = principalOf(c);
    if (principal.kind === 'user' && principal.user.id === user.id && !body.sysadmin_flag) {
      throw apiError(403, 'FORBIDDEN', 'you cannot revoke your own system admin role');
    }
    await identityOf(c).users.update(user.username, { sysadmin: body.sysadmin_flag });
    return c.body(null, 200);
  });

  return routes;
}

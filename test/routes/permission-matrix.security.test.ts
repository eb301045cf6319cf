import { beforeAll, describe, expect, test } from 'vitest';
import { hashSecret } from '../../functions/identity/passwords.js';
import type { Action } from '../../functions/identity/rbac.js';
import {
  type TestApp,
  addMember,
  addProject,
  addUser,
  adminPassword,
  basic,
  bearer,
  fetchToken,
  identityApp,
  userPassword,
} from '../support/identity-app.js';

/**
 * Every kind of caller × every action × a public and a private project, each asserted on its own
 * through the HTTP surface that exercises it. The expectations are written out by hand from
 * Harbor's "user permissions by role" table, not computed from rbac.ts.
 */
type Who = 'sysadmin' | 'projectAdmin' | 'maintainer' | 'developer' | 'guest' | 'limitedGuest' | 'outsider' | 'anonymous' | 'robot';

const columns: Action[] = [
  'read-project', 'pull', 'push', 'overwrite-tag', 'delete-artifact', 'delete-repository', 'list-members', 'manage-members', 'manage-robots',
];
// Columns in the order above: read, pull, push, overwrite, delete-artifact, delete-repository, list-members, manage-members, manage-robots.
const privateTable: Record<Who, string> = {
  sysadmin:     'A A A A A A A A A',
  projectAdmin: 'A A A A A A A A A',
  maintainer:   'A A A A A A A - -',
  developer:    'A A A A - - A - -',
  guest:        'A A - - - - A - -',
  limitedGuest: 'A A - - - - - - -',
  outsider:     '- - - - - - - - -',
  anonymous:    '- - - - - - - - -',
  robot:        'A A A A - - - - -',
};
const publicTable: Record<Who, string> = {
  ...privateTable,
  outsider:     'A A - - - - - - -',
  anonymous:    'A A - - - - - - -',
};

const cases: { who: Who; project: 'pub' | 'priv'; action: Action; allowed: boolean }[] = [];
for (const [project, table] of [['pub', publicTable], ['priv', privateTable]] as const) {
  for (const [who, row] of Object.entries(table) as [Who, string][]) {
    const marks = row.split(' ');
    columns.forEach((action, i) => cases.push({ who, project, action, allowed: marks[i] === 'A' }));
  }
}

let t: TestApp;
const robotSecret = 'robot-secret-for-the-matrix-0123456789';
let counter = 0;

function credentialsOf(who: Who, project: string): { login: string; password: string } | undefined {
  if (who === 'anonymous') return undefined;
  if (who === 'robot') return { login: `robot$${project}+ci`, password: robotSecret };
  if (who === 'sysadmin') return { login: 'admin', password: adminPassword };
  return { login: who === 'outsider' ? 'outsider' : `${who}-${project}`, password: userPassword };
}

function headersOf(who: Who, project: string): Record<string, string> {
  const credentials = credentialsOf(who, project);
  return credentials ? { authorization: basic(credentials.login, credentials.password) } : {};
}

beforeAll(async () => {
  t = await identityApp();
  await addUser(t.identity, 'outsider');
  await addUser(t.identity, 'newcomer');
  for (const [project, isPublic] of [['pub', true], ['priv', false]] as const) {
    await addProject(t.identity, project, isPublic);
    for (const role of ['projectAdmin', 'maintainer', 'developer', 'guest', 'limitedGuest'] as const) {
      await addUser(t.identity, `${role}-${project}`);
      await addMember(t.identity, project, `${role}-${project}`, role);
    }
    await t.identity.robots.create({
      name: `robot$${project}+ci`,
      description: '',
      level: 'project',
      project,
      permissions: [{ kind: 'project', namespace: project, access: [{ resource: 'repository', action: 'pull' }, { resource: 'repository', action: 'push' }] }],
      secretHash: hashSecret(robotSecret),
      disabled: false,
      expiresAt: -1,
      duration: -1,
      creator: 'admin',
    });
  }
});

/** Runs the action as `who` and says whether it went through; refusals must be 401 (anonymous) or 403. */
async function attempt(who: Who, project: string, action: Action): Promise<boolean> {
  const refusedStatus = who === 'anonymous' ? 401 : 403;
  const repo = `${project}/app`;
  const viaRegistry = async (scope: string, method: string, path: string) => {
    const { token } = await fetchToken(t, [`repository:${repo}:${scope}`], credentialsOf(who, project));
    const before = t.hits.length;
    const response = await t.request(path, { method, headers: bearer(token) });
    if (response.ok) {
      expect(t.hits.length).toBe(before + 1);
      return { ok: true, body: (await response.json()) as { canOverwriteTag?: boolean } };
    }
    expect(response.status).toBe(refusedStatus);
    expect(t.hits.length).toBe(before);
    const body = (await response.json()) as { errors: { code: string }[] };
    expect(body.errors[0]!.code).toBe(who === 'anonymous' ? 'UNAUTHORIZED' : 'DENIED');
    return { ok: false, body: {} };
  };
  const viaApi = async (method: string, path: string, json?: unknown) => {
    const response = await t.request(`/api/v2.0${path}`, {
      method,
      headers: { ...headersOf(who, project), ...(json ? { 'content-type': 'application/json' } : {}) },
      ...(json ? { body: JSON.stringify(json) } : {}),
    });
    if (response.ok) return response;
    expect(response.status).toBe(refusedStatus);
    const body = (await response.json()) as { errors: { code: string }[] };
    expect(body.errors[0]!.code).toBe(who === 'anonymous' ? 'UNAUTHORIZED' : 'FORBIDDEN');
    return null;
  };

  switch (action) {
    case 'read-project':
      return (await viaApi('GET', `/projects/${project}`)) !== null;
    case 'list-members':
      return (await viaApi('GET', `/projects/${project}/members`)) !== null;
    case 'manage-members': {
      const added = await viaApi('POST', `/projects/${project}/members`, { role_id: 3, member_user: { username: 'newcomer' } });
      if (added) {
        expect(added.status).toBe(201);
        const member = await t.identity.members.get(project, 'u', 'newcomer');
        expect(member?.roleId).toBe(3);
        await t.identity.members.remove(member!);
      } else {
        expect(await t.identity.members.get(project, 'u', 'newcomer')).toBeNull();
      }
      return added !== null;
    }
    case 'manage-robots': {
      const name = `made${counter++}`;
      const made = await viaApi('POST', '/robots', {
        name,
        duration: 1,
        level: 'project',
        permissions: [{ kind: 'project', namespace: project, access: [{ resource: 'repository', action: 'pull' }] }],
      });
      expect((await t.identity.robots.get(`robot$${project}+${name}`)) !== null).toBe(made !== null);
      return made !== null;
    }
    case 'pull':
      return (await viaRegistry('pull', 'GET', `/v2/${repo}/manifests/latest`)).ok;
    case 'push':
      return (await viaRegistry('pull,push', 'PUT', `/v2/${repo}/manifests/v1`)).ok;
    case 'overwrite-tag': {
      const result = await viaRegistry('pull,push', 'PUT', `/v2/${repo}/manifests/v1?repo=${repo}`);
      return result.ok && result.body.canOverwriteTag === true;
    }
    case 'delete-artifact':
      return (await viaRegistry('delete', 'DELETE', `/v2/${repo}/manifests/sha256:${'a'.repeat(64)}`)).ok;
    case 'delete-repository': {
      // No HTTP endpoint deletes a whole repository yet; ask the resolver the registry will ask.
      const credentials = credentialsOf(who, project);
      const principal = credentials
        ? await t.identity.authenticator.authenticate(credentials.login, credentials.password, 'unknown')
        : { kind: 'anonymous' as const };
      const { actions } = await t.identity.access.actionsOn(principal!, project);
      return actions.has('delete-repository');
    }
    default:
      throw new Error(`no probe for ${action}`);
  }
}

describe('permission matrix', () => {
  test.each(cases)('$who on $project: $action → allowed=$allowed', async ({ who, project, action, allowed }) => {
    expect(await attempt(who, project, action)).toBe(allowed);
  });
});

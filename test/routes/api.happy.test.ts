import { beforeAll, describe, expect, test } from 'vitest';
import { type TestApp, adminPassword, basic, fetchToken, identityApp } from '../support/identity-app.js';

/** The Harbor-compatible management API: paths, payloads, status codes and error shape. */
let t: TestApp;
const admin = basic('admin', adminPassword);

async function call(method: string, path: string, options: { auth?: string; body?: unknown; raw?: string } = {}) {
  const headers: Record<string, string> = {};
  if (options.auth) headers.authorization = options.auth;
  if (options.body !== undefined || options.raw !== undefined) headers['content-type'] = 'application/json';
  const response = await t.request(`/api/v2.0${path}`, {
    method,
    headers,
    ...(options.raw !== undefined ? { body: options.raw } : options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : null };
}

function expectHarborError(result: { status: number; json: unknown }, status: number, code: string) {
  expect(result.status).toBe(status);
  expect(result.json).toEqual({ errors: [{ code, message: expect.any(String) }] });
}

beforeAll(async () => {
  t = await identityApp();
});

describe('users', () => {
  test('an admin creates a user who can then log in; the password never comes back', async () => {
    const created = await call('POST', '/users', {
      auth: admin,
      body: { username: 'alice', email: 'alice@example.test', realname: 'Alice', password: 'Alice-Passw0rd' },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toMatch(/^\/api\/v2\.0\/users\/\d+$/);
    const me = await call('GET', '/users/current', { auth: basic('alice', 'Alice-Passw0rd') });
    expect(me.json).toMatchObject({ username: 'alice', email: 'alice@example.test', sysadmin_flag: false });
    expect(JSON.stringify(me.json)).not.toMatch(/password|scrypt/i);
    const listed = await call('GET', '/users', { auth: admin });
    expect(listed.json.map((u: { username: string }) => u.username)).toEqual(['admin', 'alice']);
    expect(listed.headers.get('x-total-count')).toBe('2');
  });

  test('validation: weak passwords, bad emails, robot-like names, unknown JSON; Harbor error shape', async () => {
    expectHarborError(await call('POST', '/users', { auth: admin, body: { username: 'bob', email: 'bob@example.test', password: 'short' } }), 400, 'BAD_REQUEST');
    expectHarborError(await call('POST', '/users', { auth: admin, body: { username: 'bob', email: 'nope', password: 'Bob-Passw0rd' } }), 400, 'BAD_REQUEST');
    expectHarborError(await call('POST', '/users', { auth: admin, body: { username: 'robot$bob', email: 'b@example.test', password: 'Bob-Passw0rd' } }), 400, 'BAD_REQUEST');
    expectHarborError(await call('POST', '/users', { auth: admin, raw: '{not json' }), 400, 'BAD_REQUEST');
    expectHarborError(await call('POST', '/users', { auth: admin, body: { username: 'alice', email: 'a2@example.test', password: 'Alice-Passw0rd' } }), 409, 'CONFLICT');
    expectHarborError(await call('POST', '/users', { body: { username: 'eve', email: 'e@example.test', password: 'Eve-Passw0rd1' } }), 401, 'UNAUTHORIZED');
    expectHarborError(await call('POST', '/users', { auth: basic('alice', 'Alice-Passw0rd'), body: { username: 'eve', email: 'e@example.test', password: 'Eve-Passw0rd1' } }), 403, 'FORBIDDEN');
    expectHarborError(await call('GET', '/users/abc', { auth: admin }), 400, 'BAD_REQUEST');
  });

  test('password changes: your own needs the old one; an admin resets; others may not', async () => {
    const me = await call('GET', '/users/current', { auth: basic('alice', 'Alice-Passw0rd') });
    const id = me.json.user_id;
    expectHarborError(await call('PUT', `/users/${id}/password`, { auth: basic('alice', 'Alice-Passw0rd'), body: { old_password: 'wrong', new_password: 'Alice-Passw0rd2' } }), 400, 'BAD_REQUEST');
    expect((await call('PUT', `/users/${id}/password`, { auth: basic('alice', 'Alice-Passw0rd'), body: { old_password: 'Alice-Passw0rd', new_password: 'Alice-Passw0rd2' } })).status).toBe(200);
    expect((await call('GET', '/users/current', { auth: basic('alice', 'Alice-Passw0rd2') })).status).toBe(200);
    expect((await call('PUT', `/users/${id}/password`, { auth: admin, body: { new_password: 'Alice-Passw0rd3' } })).status).toBe(200);
    expect((await call('GET', '/users/current', { auth: basic('alice', 'Alice-Passw0rd3') })).status).toBe(200);
    expectHarborError(await call('PUT', '/users/1/password', { auth: basic('alice', 'Alice-Passw0rd3'), body: { new_password: 'Hijack-Passw0rd' } }), 403, 'FORBIDDEN');
    expectHarborError(await call('PUT', `/users/${id}/sysadmin`, { auth: basic('alice', 'Alice-Passw0rd3'), body: { sysadmin_flag: true } }), 403, 'FORBIDDEN');
    expect((await call('GET', `/users/${id}`, { auth: admin })).json.sysadmin_flag).toBe(false);
    expect((await call('PUT', `/users/${id}/sysadmin`, { auth: admin, body: { sysadmin_flag: true } })).status).toBe(200);
    expect((await call('GET', '/users/current', { auth: basic('alice', 'Alice-Passw0rd3') })).json.sysadmin_flag).toBe(true);
    expect((await call('PUT', `/users/${id}/sysadmin`, { auth: admin, body: { sysadmin_flag: false } })).status).toBe(200);
    expectHarborError(await call('PUT', '/users/1/sysadmin', { auth: admin, body: { sysadmin_flag: false } }), 403, 'FORBIDDEN');
    expectHarborError(await call('DELETE', '/users/1', { auth: admin }), 403, 'FORBIDDEN');
  });
});

describe('projects and members', () => {
  test('create, read, list with paging, update, delete', async () => {
    const alice = basic('alice', 'Alice-Passw0rd3');
    const created = await call('POST', '/projects', { auth: alice, body: { project_name: 'apps', metadata: { public: 'false' } } });
    expect(created.status).toBe(201);
    expect((await call('HEAD', '/projects?project_name=apps', { auth: alice })).status).toBe(200);
    expect((await call('HEAD', '/projects?project_name=none', { auth: alice })).status).toBe(404);
    expect((await call('HEAD', '/projects?project_name=apps')).status).toBe(401);
    const project = await call('GET', '/projects/apps', { auth: alice });
    expect(project.json).toMatchObject({ name: 'apps', owner_name: 'alice', metadata: { public: 'false' }, current_user_role_id: 1 });
    const byId = await call('GET', `/projects/${project.json.project_id}`, { auth: alice });
    expect(byId.json.name).toBe('apps');
    expectHarborError(await call('POST', '/projects', { auth: alice, body: { project_name: 'apps' } }), 409, 'CONFLICT');
    expectHarborError(await call('POST', '/projects', { auth: alice, body: { project_name: 'Bad Name' } }), 400, 'BAD_REQUEST');
    expectHarborError(await call('POST', '/projects', { auth: alice, body: { name: 'apps2' } }), 400, 'BAD_REQUEST');
    expectHarborError(await call('POST', '/projects', { body: { project_name: 'anon' } }), 401, 'UNAUTHORIZED');
    for (const name of ['p1', 'p2', 'p3']) expect((await call('POST', '/projects', { auth: admin, body: { project_name: name, public: true } })).status).toBe(201);
    const page = await call('GET', '/projects?page=2&page_size=2', { auth: admin });
    expect(page.json.map((p: { name: string }) => p.name)).toEqual(['p2', 'p3']);
    expect(page.headers.get('x-total-count')).toBe('4');
    expect(page.headers.get('link')).toContain('rel="prev"');
    const anonymous = await call('GET', '/projects');
    expect(anonymous.json.map((p: { name: string }) => p.name)).toEqual(['p1', 'p2', 'p3']);
    expect((await call('PUT', '/projects/p3', { auth: admin, body: { metadata: { public: 'false' } } })).status).toBe(200);
    expect((await call('GET', '/projects/p3')).status).toBe(401);
    expect((await call('DELETE', '/projects/p3', { auth: admin })).status).toBe(200);
    expectHarborError(await call('GET', '/projects/p3', { auth: admin }), 404, 'NOT_FOUND');
  });

  test('members: add users and LDAP groups, change roles, remove', async () => {
    const alice = basic('alice', 'Alice-Passw0rd3');
    await call('POST', '/users', { auth: admin, body: { username: 'carol', email: 'carol@example.test', password: 'Carol-Passw0rd' } });
    const added = await call('POST', '/projects/apps/members', { auth: alice, body: { role_id: 2, member_user: { username: 'carol' } } });
    expect(added.status).toBe(201);
    const group = await call('POST', '/projects/apps/members', { auth: alice, body: { role_id: 3, member_group: { ldap_group_dn: 'cn=QA, ou=groups,dc=example,dc=test', group_type: 1 } } });
    expect(group.status).toBe(201);
    const members = await call('GET', '/projects/apps/members', { auth: alice });
    expect(members.json.map((m: { entity_name: string; role_name: string; entity_type: string }) => [m.entity_type, m.entity_name, m.role_name])).toEqual([
      ['g', 'cn=qa,ou=groups,dc=example,dc=test', 'guest'],
      ['u', 'alice', 'projectAdmin'],
      ['u', 'carol', 'developer'],
    ]);
    const carol = members.json.find((m: { entity_name: string }) => m.entity_name === 'carol');
    expect((await call('PUT', `/projects/apps/members/${carol.id}`, { auth: alice, body: { role_id: 4 } })).status).toBe(200);
    expect((await call('GET', `/projects/apps/members/${carol.id}`, { auth: alice })).json.role_name).toBe('maintainer');
    expectHarborError(await call('PUT', `/projects/apps/members/${carol.id}`, { auth: alice, body: { role_id: 9 } }), 400, 'BAD_REQUEST');
    expectHarborError(await call('POST', '/projects/apps/members', { auth: alice, body: { role_id: 2 } }), 400, 'BAD_REQUEST');
    expectHarborError(await call('POST', '/projects/apps/members', { auth: alice, body: { role_id: 2, member_user: { username: 'ghost' } } }), 404, 'NOT_FOUND');
    expectHarborError(await call('POST', '/projects/apps/members', { auth: basic('carol', 'Carol-Passw0rd'), body: { role_id: 1, member_user: { username: 'carol' } } }), 403, 'FORBIDDEN');
    expectHarborError(await call('DELETE', `/projects/p1/members/${carol.id}`, { auth: admin }), 404, 'NOT_FOUND');
    expect((await call('DELETE', `/projects/apps/members/${carol.id}`, { auth: alice })).status).toBe(200);
    expect((await call('GET', '/projects/apps', { auth: basic('carol', 'Carol-Passw0rd') })).status).toBe(403);
  });
});

describe('robots', () => {
  test('the secret is shown once, works with the token service, and can be refreshed', async () => {
    const alice = basic('alice', 'Alice-Passw0rd3');
    const created = await call('POST', '/robots', {
      auth: alice,
      body: { name: 'ci', duration: 30, level: 'project', permissions: [{ kind: 'project', namespace: 'apps', access: [{ resource: 'repository', action: 'push' }, { resource: 'repository', action: 'pull' }] }] },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'robot$apps+ci', secret: expect.any(String) });
    const { id, secret } = created.json;
    const shown = await call('GET', `/robots/${id}`, { auth: alice });
    expect(shown.json).toMatchObject({ name: 'robot$apps+ci', level: 'project', duration: 30, disable: false });
    expect(JSON.stringify(shown.json)).not.toContain(secret);
    expect(JSON.stringify((await call('GET', `/robots?q=Level=project,ProjectID=${(await call('GET', '/projects/apps', { auth: alice })).json.project_id}`, { auth: alice })).json)).not.toContain(secret);

    const token = await fetchToken(t, ['repository:apps/x:pull,push'], { login: 'robot$apps+ci', password: secret });
    expect(token.scope).toBe('repository:apps/x:pull,push');

    const refreshed = await call('PATCH', `/robots/${id}`, { auth: alice, body: { secret: '' } });
    expect(refreshed.json.secret).not.toBe(secret);
    await expect(fetchToken(t, [], { login: 'robot$apps+ci', password: secret })).rejects.toThrow(/401/);
    await fetchToken(t, [], { login: 'robot$apps+ci', password: refreshed.json.secret });

    expect((await call('PUT', `/robots/${id}`, { auth: alice, body: { disable: true } })).status).toBe(200);
    await expect(fetchToken(t, [], { login: 'robot$apps+ci', password: refreshed.json.secret })).rejects.toThrow(/401/);
    expect((await call('DELETE', `/robots/${id}`, { auth: alice })).status).toBe(200);
  });

  test('robot rules: system robots are for admins; project robots stay in one project; unknown permissions refused', async () => {
    const alice = basic('alice', 'Alice-Passw0rd3');
    const pull = [{ resource: 'repository', action: 'pull' }];
    expectHarborError(await call('POST', '/robots', { auth: alice, body: { name: 'sys', duration: -1, level: 'system', permissions: [{ kind: 'project', namespace: '*', access: pull }] } }), 403, 'FORBIDDEN');
    expectHarborError(await call('POST', '/robots', { auth: alice, body: { name: 'x', duration: -1, level: 'project', permissions: [{ kind: 'project', namespace: 'p1', access: pull }] } }), 403, 'FORBIDDEN');
    expectHarborError(await call('POST', '/robots', { auth: alice, body: { name: 'x', duration: -1, level: 'project', permissions: [{ kind: 'project', namespace: 'apps', access: [{ resource: 'user', action: 'create' }] }] } }), 400, 'BAD_REQUEST');
    expectHarborError(await call('POST', '/robots', { auth: alice, body: { name: 'Bad$Name', duration: -1, level: 'project', permissions: [{ kind: 'project', namespace: 'apps', access: pull }] } }), 400, 'BAD_REQUEST');
    const system = await call('POST', '/robots', { auth: admin, body: { name: 'mirror', duration: -1, level: 'system', permissions: [{ kind: 'project', namespace: '*', access: pull }] } });
    expect(system.status).toBe(201);
    expect(system.json.name).toBe('robot$mirror');
    const token = await fetchToken(t, ['repository:apps/x:pull,push', 'repository:p1/y:pull'], { login: 'robot$mirror', password: system.json.secret });
    expect(token.scope).toBe('repository:apps/x:pull repository:p1/y:pull');
  });
});

describe('configurations', () => {
  test('admins read and set auth_mode and ldap_* keys; the bind password is never shown', async () => {
    const set = await call('PUT', '/configurations', {
      auth: admin,
      body: { auth_mode: 'ldap_auth', ldap_url: 'ldap://127.0.0.1:1', ldap_base_dn: 'dc=example,dc=test', ldap_search_dn: 'cn=admin,dc=example,dc=test', ldap_search_password: 'hidden-pw', ldap_uid: 'uid', ldap_scope: 2 },
    });
    expect(set.status).toBe(200);
    const got = await call('GET', '/configurations', { auth: admin });
    expect(got.json.auth_mode).toEqual({ value: 'ldap_auth', editable: true });
    expect(got.json.ldap_url.value).toBe('ldap://127.0.0.1:1');
    expect(JSON.stringify(got.json)).not.toContain('hidden-pw');
    expectHarborError(await call('PUT', '/configurations', { auth: admin, body: { ldap_urll: 'typo' } }), 400, 'BAD_REQUEST');
    expectHarborError(await call('PUT', '/configurations', { auth: admin, body: { ldap_scope: 7 } }), 400, 'BAD_REQUEST');
    expectHarborError(await call('PUT', '/configurations', { auth: admin, body: { ldap_url: 'http://x' } }), 400, 'BAD_REQUEST');
    expectHarborError(await call('GET', '/configurations', { auth: basic('alice', 'Alice-Passw0rd3') }), 403, 'FORBIDDEN');
    // In LDAP mode local users cannot be created, but existing local accounts still log in.
    expectHarborError(await call('POST', '/users', { auth: admin, body: { username: 'dave', email: 'd@example.test', password: 'Dave-Passw0rd' } }), 403, 'FORBIDDEN');
    expect((await call('GET', '/users/current', { auth: basic('alice', 'Alice-Passw0rd3') })).status).toBe(200);
    expect((await call('PUT', '/configurations', { auth: admin, body: { auth_mode: 'db_auth' } })).status).toBe(200);
  });
});

describe('openapi', () => {
  test('the document lists every route and the body schemas the routes validate with', async () => {
    const doc = await call('GET', '/openapi.json');
    expect(doc.json.openapi).toBe('3.1.0');
    expect(Object.keys(doc.json.paths)).toEqual(expect.arrayContaining(['/projects', '/projects/{project_name_or_id}/members', '/users', '/users/current', '/robots', '/configurations']));
    expect(doc.json.components.schemas.ProjectReq.required).toEqual(['project_name']);
    expect(doc.json.components.schemas.Configurations.properties.auth_mode.enum).toEqual(['db_auth', 'ldap_auth']);
  });
});

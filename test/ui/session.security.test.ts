import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SqliteTable } from '../../functions/adapters/local/sqlite-table.js';
import { SessionStore } from '../../functions/ui/session-store.js';
import { addUser, adminPassword, basic, identityRegistry, userPassword } from '../support/identity-app.js';

/**
 * The portal's session: Harbor's `/c/login` form, an HttpOnly SameSite=Strict cookie, and a CSRF
 * token every state-changing API call made with the cookie must echo.
 */
let t: Awaited<ReturnType<typeof identityRegistry>>;

function form(principal: string, password: string): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ principal, password }).toString(),
  };
}

async function login(principal = 'admin', password = adminPassword) {
  const response = await t.request('/c/login', form(principal, password));
  expect(response.status).toBe(200);
  const cookie = response.headers.get('set-cookie')!;
  const sid = /^sid=([^;]+)/.exec(cookie)![1]!;
  return { cookie: `sid=${sid}`, sid, csrf: response.headers.get('x-harbor-csrf-token')!, setCookie: cookie };
}

async function createProject(name: string, headers: Record<string, string>) {
  return t.request('/api/v2.0/projects', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ project_name: name, metadata: { public: 'false' } }),
  });
}

beforeAll(async () => {
  t = await identityRegistry();
  await addUser(t.identity, 'alice');
});
afterAll(() => t.cleanup());

describe('POST /c/login', () => {
  test('sets an HttpOnly, SameSite=Strict session cookie (not Secure over plain HTTP) and hands out the CSRF token', async () => {
    const { setCookie, csrf } = await login();
    expect(setCookie).toMatch(/^sid=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Strict/);
    expect(setCookie).toMatch(/; Path=\//);
    expect(setCookie).not.toMatch(/; Secure/);
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test.each([
    ['an https URL', 'https://registry.test', {}],
    ['X-Forwarded-Proto: https (API Gateway, a TLS proxy)', '', { 'x-forwarded-proto': 'https' }],
  ])('the cookie is Secure when the request came over TLS: %s', async (_, base, headers) => {
    const init = form('admin', adminPassword);
    const response = await t.app.request(`${base || 'http://registry.test'}/c/login`, { ...init, headers: { ...(init.headers as Record<string, string>), ...headers } });
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toMatch(/; Secure/);
  });

  test('the table keeps only a hash of the session id', async () => {
    const { sid, csrf } = await login();
    const key = t.table.writes.filter((w) => w.startsWith('put session#')).at(-1)!.split(' ');
    const item = await t.table.get({ pk: key[1]!, sk: key[2]! });
    expect(item).toMatchObject({ subject: 'admin', csrf });
    expect(key[1]).toBe(`session#${createHash('sha256').update(sid).digest('base64url')}`);
    expect(JSON.stringify(item)).not.toContain(sid);
  });

  test.each([
    ['a wrong password', 'admin', 'Wrong-Passw0rd', 401],
    ['an unknown user', 'nobody', 'Wrong-Passw0rd', 401],
    ['an empty password', 'admin', '', 400],
  ])('refuses %s without a cookie', async (_, principal, password, status) => {
    const response = await t.request('/c/login', form(principal, password));
    expect(response.status).toBe(status);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(await response.json()).toEqual({ errors: [{ code: expect.any(String), message: expect.any(String) }] });
  });

  test('refuses robot accounts: they are for clients, not the portal', async () => {
    const created = await t.request('/api/v2.0/robots', {
      method: 'POST',
      headers: { authorization: basic('admin', adminPassword), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci', duration: -1, level: 'system', permissions: [{ kind: 'project', namespace: '*', access: [{ resource: 'repository', action: 'pull' }] }] }),
    });
    const robot = (await created.json()) as { name: string; secret: string };
    const response = await t.request('/c/login', form(robot.name, robot.secret));
    expect(response.status).toBe(401);
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  test('refuses a login form posted from another site (login CSRF), accepts one from our own origin', async () => {
    const init = form('admin', adminPassword);
    const headers = init.headers as Record<string, string>;
    const foreign = await t.request('/c/login', { ...init, headers: { ...headers, origin: 'http://evil.test' } });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('set-cookie')).toBeNull();
    const opaque = await t.request('/c/login', { ...init, headers: { ...headers, origin: 'null' } });
    expect(opaque.status).toBe(403);
    const own = await t.request('/c/login', { ...init, headers: { ...headers, origin: 'http://registry.test' } });
    expect(own.status).toBe(200);
  });

  test.each([
    ['multipart/form-data; boundary=x', 'garbage'],
    ['multipart/form-data', '--x\r\n'],
    ['application/x-www-form-urlencoded', '%%%'],
  ])('a form that cannot be read (%s) is a 400, not a 500', async (type, body) => {
    const response = await t.request('/c/login', { method: 'POST', headers: { 'content-type': type }, body });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ errors: [{ code: 'BAD_REQUEST', message: expect.any(String) }] });
  });

  test('refuses a JSON body: the endpoint takes a form, as Harbor’s does', async () => {
    const response = await t.request('/c/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ principal: 'admin', password: adminPassword }) });
    expect(response.status).toBe(400);
  });
});

describe('the session on /api/v2.0', () => {
  test('authenticates reads and returns the CSRF token on them', async () => {
    const { cookie, csrf } = await login('alice', userPassword);
    const response = await t.request('/api/v2.0/users/current', { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ username: 'alice' });
    expect(response.headers.get('x-harbor-csrf-token')).toBe(csrf);
  });

  test('a state-changing call with the cookie but without the CSRF token is refused, and writes nothing', async () => {
    const { cookie } = await login();
    const before = t.table.writes.length;
    const response = await createProject('no-token', { cookie });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ errors: [{ code: 'FORBIDDEN', message: expect.stringMatching(/CSRF/) }] });
    expect(t.table.writes.length).toBe(before);
    expect(await t.identity.projects.get('no-token')).toBeNull();
  });

  test('a wrong CSRF token (another session’s) is refused', async () => {
    const mine = await login();
    const other = await login();
    const response = await createProject('wrong-token', { cookie: mine.cookie, 'x-harbor-csrf-token': other.csrf });
    expect(response.status).toBe(403);
    expect(await t.identity.projects.get('wrong-token')).toBeNull();
  });

  test('with the cookie and its CSRF token, the call goes through as the session’s user', async () => {
    const { cookie, csrf } = await login('alice', userPassword);
    const response = await createProject('with-token', { cookie, 'x-harbor-csrf-token': csrf });
    expect(response.status).toBe(201);
    expect((await t.identity.projects.get('with-token'))?.ownerName).toBe('alice');
  });

  test.each(['PUT', 'DELETE', 'PATCH'])('%s with the cookie needs the token too', async (method) => {
    const { cookie } = await login();
    const response = await t.request('/api/v2.0/projects/with-token', { method, headers: { cookie, 'content-type': 'application/json' }, body: method === 'DELETE' ? null : '{"metadata":{"public":"true"}}' });
    expect(response.status).toBe(403);
    expect((await t.identity.projects.get('with-token'))?.public).toBe(false);
  });

  test('Basic auth keeps working for scripts, with no CSRF token', async () => {
    const response = await createProject('by-script', { authorization: basic('admin', adminPassword) });
    expect(response.status).toBe(201);
  });

  test('an unknown or malformed session id is anonymous, not an error', async () => {
    for (const cookie of ['sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'sid=not-a-session', 'sid=']) {
      const response = await t.request('/api/v2.0/users/current', { headers: { cookie } });
      expect(response.status).toBe(401);
    }
  });

  test('a session of a user who has since been deleted grants nothing', async () => {
    await addUser(t.identity, 'carol');
    const { cookie } = await login('carol', userPassword);
    const carol = (await t.identity.users.get('carol'))!;
    await t.identity.users.delete(carol);
    const response = await t.request('/api/v2.0/users/current', { headers: { cookie } });
    expect(response.status).toBe(401);
  });

  test('GET /c/log_out ends the session and clears the cookie', async () => {
    const { cookie, csrf } = await login();
    const out = await t.request('/c/log_out', { headers: { cookie } });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/^sid=;.*Max-Age=0/);
    expect((await t.request('/api/v2.0/users/current', { headers: { cookie } })).status).toBe(401);
    expect((await createProject('after-logout', { cookie, 'x-harbor-csrf-token': csrf })).status).toBe(401);
  });
});

describe('session lifetime', () => {
  test('the cookie and the stored session last BERTH_SESSION_HOURS (sessionLifetimeSeconds), 8 hours by default', async () => {
    const { setCookie } = await login();
    expect(setCookie).toMatch(/; Max-Age=28800;/);
    const short = await identityRegistry({ sessionLifetimeSeconds: 3600 });
    try {
      const response = await short.request('/c/login', form('admin', adminPassword));
      expect(response.headers.get('set-cookie')).toMatch(/; Max-Age=3600;/);
    } finally {
      await short.cleanup();
    }
  });
});

describe('SessionStore', () => {
  test('a session expires after its lifetime', async () => {
    const start = Date.now();
    let now = new Date(start);
    const store = new SessionStore(new SqliteTable(':memory:'), () => now, { lifetimeSeconds: 60 });
    const { id } = await store.create('alice');
    expect((await store.get(id))?.subject).toBe('alice');
    now = new Date(start + 60_000);
    expect(await store.get(id)).toBeNull();
  });
});

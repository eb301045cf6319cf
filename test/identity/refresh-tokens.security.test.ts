import { beforeEach, describe, expect, test } from 'vitest';
import { type TestApp, addProject, addUser, adminPassword, basic, identityApp, service, userPassword } from '../support/identity-app.js';

let t: TestApp;

beforeEach(async () => {
  t = await identityApp();
  await addUser(t.identity, 'dev');
  await addProject(t.identity, 'team', false);
});

function form(fields: Record<string, string>): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ service, ...fields }) };
}

/** What `docker login` keeps: a refresh token from the password grant. */
async function refreshTokenOf(login: string, password: string): Promise<string> {
  const response = await t.request('/service/token', form({ grant_type: 'password', username: login, password, access_type: 'offline', client_id: 'docker' }));
  expect(response.status).toBe(200);
  return ((await response.json()) as { refresh_token: string }).refresh_token;
}

async function refresh(token: string): Promise<number> {
  return (await t.request('/service/token', form({ grant_type: 'refresh_token', refresh_token: token, client_id: 'docker' }))).status;
}

async function api(method: string, path: string, auth: string, body?: unknown): Promise<Response> {
  return t.request(`/api/v2.0${path}`, {
    method,
    headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const admin = basic('admin', adminPassword);

describe('user refresh tokens', () => {
  test('keep working while nothing changes', async () => {
    const token = await refreshTokenOf('dev', userPassword);
    expect(await refresh(token)).toBe(200);
    expect(await refresh(token)).toBe(200);
  });

  test('die when the user changes their password', async () => {
    const token = await refreshTokenOf('dev', userPassword);
    const dev = await t.identity.users.get('dev');
    const changed = await api('PUT', `/users/${dev!.id}/password`, basic('dev', userPassword), { old_password: userPassword, new_password: 'New-Passw0rd' });
    expect(changed.status).toBe(200);
    expect(await refresh(token)).toBe(401);
    expect(await refresh(await refreshTokenOf('dev', 'New-Passw0rd'))).toBe(200);
  });

  test('die when an admin resets the password', async () => {
    const token = await refreshTokenOf('dev', userPassword);
    const dev = await t.identity.users.get('dev');
    expect((await api('PUT', `/users/${dev!.id}/password`, admin, { new_password: 'Reset-Passw0rd' })).status).toBe(200);
    expect(await refresh(token)).toBe(401);
  });

  test('do not carry over to a new account of a deleted user\'s name', async () => {
    const token = await refreshTokenOf('dev', userPassword);
    const dev = await t.identity.users.get('dev');
    expect((await api('DELETE', `/users/${dev!.id}`, admin)).status).toBe(200);
    expect(await refresh(token)).toBe(401);
    // Same name, same password, even: still another account.
    await addUser(t.identity, 'dev');
    expect(await refresh(token)).toBe(401);
  });

  test('other profile changes leave them alone', async () => {
    const token = await refreshTokenOf('dev', userPassword);
    const dev = await t.identity.users.get('dev');
    expect((await api('PUT', `/users/${dev!.id}`, admin, { realname: 'Dev Eloper' })).status).toBe(200);
    expect(await refresh(token)).toBe(200);
  });

  test('a token without the account binding (or forged for another account) is refused', async () => {
    const dev = await t.identity.users.get('dev');
    const other = await t.identity.tokens.issueRefreshToken('dev', { account: `user:${dev!.id + 100}`, version: 0 });
    expect(await refresh(other)).toBe(401);
    const right = await t.identity.tokens.issueRefreshToken('dev', { account: `user:${dev!.id}`, version: dev!.credentialVersion });
    expect(await refresh(right)).toBe(200);
  });
});

describe('robot refresh tokens', () => {
  async function robot(): Promise<{ id: number; name: string; secret: string }> {
    const created = await api('POST', '/robots', admin, {
      name: 'ci',
      duration: -1,
      level: 'project',
      permissions: [{ kind: 'project', namespace: 'team', access: [{ resource: 'repository', action: 'pull' }] }],
    });
    expect(created.status).toBe(201);
    return (await created.json()) as { id: number; name: string; secret: string };
  }

  test('die when the robot is disabled, and stay dead when it is enabled again', async () => {
    const { id, name, secret } = await robot();
    const token = await refreshTokenOf(name, secret);
    expect(await refresh(token)).toBe(200);
    expect((await api('PUT', `/robots/${id}`, admin, { disable: true })).status).toBe(200);
    expect(await refresh(token)).toBe(401);
    expect((await api('PUT', `/robots/${id}`, admin, { disable: false })).status).toBe(200);
    expect(await refresh(token)).toBe(401);
    expect(await refresh(await refreshTokenOf(name, secret))).toBe(200);
  });

  test('die when the secret is refreshed', async () => {
    const { id, name, secret } = await robot();
    const token = await refreshTokenOf(name, secret);
    const refreshed = await api('PATCH', `/robots/${id}`, admin, { secret: '' });
    expect(refreshed.status).toBe(200);
    expect(await refresh(token)).toBe(401);
  });

  test('die when the robot is deleted', async () => {
    const { id, name, secret } = await robot();
    const token = await refreshTokenOf(name, secret);
    expect((await api('DELETE', `/robots/${id}`, admin)).status).toBe(200);
    expect(await refresh(token)).toBe(401);
  });
});

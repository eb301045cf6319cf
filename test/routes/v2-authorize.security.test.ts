import { SignJWT, UnsecuredJWT, base64url, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defaultHashBudget } from '../../functions/identity/hash-budget.js';
import { defaultThrottle } from '../../functions/identity/login-throttle.js';
import { Identity } from '../../functions/identity/identity.js';
import { hashSecret } from '../../functions/identity/passwords.js';
import { keys } from '../../functions/identity/stores/keys.js';
import { TokenService, defaultTokenOptions } from '../../functions/identity/token-service.js';
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
  identityRegistry,
  service,
  stateOf,
  userPassword,
} from '../support/identity-app.js';

/**
 * Attacks on /v2 authorization and the token service. Each must be refused with the token spec's
 * 401 (and a challenge) or 403 DENIED, must not reach the registry, and must change nothing.
 */
let t: TestApp;
const dev = { login: 'dev', password: userPassword };
const robotSecret = 'the-real-robot-secret-0123456789abcdef';

beforeAll(async () => {
  // Every refusal in this file comes from one client address; the limits per address (failures,
  // hashing budget) have their own tests in test/identity/login-throttle.security.test.ts.
  t = await identityApp({
    throttle: { ...defaultThrottle, perAddress: { maxFailures: 10_000, windowSeconds: 900 } },
    hashBudget: { ...defaultHashBudget, capacity: 10_000 },
  });
  await addUser(t.identity, 'dev');
  await addProject(t.identity, 'team', false);
  await addProject(t.identity, 'secret', false);
  await addProject(t.identity, 'open', true);
  await addMember(t.identity, 'team', 'dev', 'developer');
  await t.identity.robots.create({
    name: 'robot$team+ci',
    description: '',
    level: 'project',
    project: 'team',
    permissions: [{ kind: 'project', namespace: 'team', access: [{ resource: 'repository', action: 'pull' }] }],
    secretHash: hashSecret(robotSecret),
    disabled: false,
    expiresAt: -1,
    duration: -1,
    creator: 'admin',
  });
});

/** Sends the request and checks it was refused with `status` and did not reach the registry or change the table. */
async function refused(path: string, init: RequestInit, status: 401 | 403 | 429) {
  const before = stateOf(t);
  const hits = t.hits.length;
  const response = await t.request(path, init);
  expect(response.status).toBe(status);
  expect(t.hits.length).toBe(hits);
  expect(stateOf(t)).toEqual(before);
  const body = (await response.json()) as { errors: { code: string; message: string }[] };
  expect(body.errors[0]!.code).toBe({ 401: 'UNAUTHORIZED', 403: 'DENIED', 429: 'TOOMANYREQUESTS' }[status]);
  if (status === 401) expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="http:\/\/registry\.test\/service\/token",service="berth-test"/);
  return response;
}

async function validClaims(subject: string, access: unknown) {
  const now = Math.floor(Date.now() / 1000);
  return { sub: subject, aud: service, iss: defaultTokenOptions.issuer, iat: now, nbf: now - 1, exp: now + 300, token_use: 'access', access };
}

const pushTeam = [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }];

describe('forged and misused tokens', () => {
  test('a token with alg "none" is refused', async () => {
    const token = new UnsecuredJWT(await validClaims('dev', pushTeam)).encode();
    const response = await refused('/v2/team/app/manifests/v1', { method: 'PUT', headers: bearer(token) }, 401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  test('a token with alg "none" and an empty signature but a kid is refused', async () => {
    const [kid] = (await t.identity.tokens.jwks()).keys.map((k) => k.kid);
    const header = base64url.encode(JSON.stringify({ alg: 'none', kid, typ: 'JWT' }));
    const payload = base64url.encode(JSON.stringify(await validClaims('dev', pushTeam)));
    await refused('/v2/team/app/manifests/v1', { method: 'PUT', headers: bearer(`${header}.${payload}.`) }, 401);
  });

  test('an HS256 token signed with the public key as the secret is refused', async () => {
    const jwk = (await t.identity.tokens.jwks()).keys[0]!;
    for (const secret of [JSON.stringify(jwk), `${jwk.x}${jwk.y}`]) {
      const token = await new SignJWT(await validClaims('admin', pushTeam))
        .setProtectedHeader({ alg: 'HS256', kid: jwk.kid })
        .sign(new TextEncoder().encode(secret));
      await refused('/v2/team/app/manifests/v1', { method: 'PUT', headers: bearer(token) }, 401);
    }
  });

  test('an ES256 token signed by a key outside the key set is refused, even with a known kid', async () => {
    const jwk = (await t.identity.tokens.jwks()).keys[0]!;
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT(await validClaims('admin', pushTeam)).setProtectedHeader({ alg: 'ES256', kid: jwk.kid }).sign(privateKey);
    await refused('/v2/team/app/manifests/v1', { method: 'PUT', headers: bearer(token) }, 401);
  });

  test('an expired token is refused', async () => {
    const past = new TokenService(t.table, { service, ...defaultTokenOptions }, () => new Date(Date.now() - 3600_000));
    const { token } = await past.issueAccessToken('dev', pushTeam);
    await refused('/v2/team/app/manifests/v1', { method: 'PUT', headers: bearer(token) }, 401);
  });

  test('a token for another service (audience) is refused, though signed by our own key', async () => {
    const other = new TokenService(t.table, { ...defaultTokenOptions, service: 'other-registry' }, () => new Date());
    const { token } = await other.issueAccessToken('dev', pushTeam);
    await refused('/v2/team/app/manifests/v1', { method: 'PUT', headers: bearer(token) }, 401);
  });

  test('the token endpoint will not issue tokens for another service', async () => {
    const response = await t.request('/service/token?service=other-registry&scope=repository:team/app:pull', {
      headers: { authorization: basic(dev.login, dev.password) },
    });
    expect(response.status).toBe(400);
  });

  test('a refresh token is not an access token', async () => {
    const refresh = await t.identity.tokens.issueRefreshToken('admin', { account: 'user:1', version: 0 });
    await refused('/v2/team/app/manifests/latest', { headers: bearer(refresh) }, 401);
  });

  test('an access token is not a refresh token', async () => {
    const { token } = await fetchToken(t, [], dev);
    const response = await t.request('/service/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token, service, scope: 'repository:team/app:push' }),
    });
    expect(response.status).toBe(401);
  });

  test('a token for repository A does not open repository B, even in the same project', async () => {
    const { token, scope } = await fetchToken(t, ['repository:team/a:pull,push'], dev);
    expect(scope).toBe('repository:team/a:pull,push');
    await refused('/v2/team/b/manifests/v1', { method: 'PUT', headers: bearer(token) }, 403);
    await refused('/v2/team/b/manifests/latest', { headers: bearer(token) }, 403);
    await refused('/v2/team/a/b/manifests/latest', { headers: bearer(token) }, 403);
  });

  test('a pull token cannot push, upload or delete', async () => {
    const { token } = await fetchToken(t, ['repository:team/app:pull'], dev);
    await refused('/v2/team/app/manifests/v1', { method: 'PUT', headers: bearer(token) }, 403);
    await refused('/v2/team/app/blobs/uploads/', { method: 'POST', headers: bearer(token) }, 403);
    await refused('/v2/team/app/blobs/uploads/some-session', { method: 'PATCH', headers: bearer(token) }, 403);
    await refused(`/v2/team/app/manifests/sha256:${'b'.repeat(64)}`, { method: 'DELETE', headers: bearer(token) }, 403);
  });

  test('the token endpoint grants only what the caller holds', async () => {
    const { scope } = await fetchToken(t, ['repository:team/app:pull,push,delete', 'repository:secret/app:pull', 'registry:catalog:*'], dev);
    expect(scope).toBe('repository:team/app:pull,push');
  });

  test('a tampered token (claims edited after signing) is refused', async () => {
    const { token } = await fetchToken(t, ['repository:team/app:pull'], dev);
    const [header, , signature] = token.split('.');
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    payload.access = [{ type: 'repository', name: 'secret/app', actions: ['pull', 'push'] }];
    const forged = `${header}.${base64url.encode(JSON.stringify(payload))}.${signature}`;
    await refused('/v2/secret/app/manifests/v1', { method: 'PUT', headers: bearer(forged) }, 401);
  });

  test('a garbage Authorization header is refused with a challenge', async () => {
    for (const header of ['Bearer', 'Bearer not a token', 'Digest abc', 'Basic !!!', `Basic ${Buffer.from('nocolon').toString('base64')}`]) {
      await refused('/v2/team/app/manifests/latest', { headers: { authorization: header } }, 401);
    }
  });
});

describe('robots', () => {
  test('a tampered robot secret is refused at the token endpoint and on /v2', async () => {
    const tampered = `${robotSecret.slice(0, -1)}X`;
    const response = await t.request(`/service/token?service=${service}&scope=repository:team/app:pull`, {
      headers: { authorization: basic('robot$team+ci', tampered) },
    });
    expect(response.status).toBe(401);
    await refused('/v2/team/app/manifests/latest', { headers: { authorization: basic('robot$team+ci', tampered) } }, 401);
    await refused('/v2/team/app/manifests/latest', { headers: { authorization: basic('robot$team+ghost', robotSecret) } }, 401);
  });

  test('a robot is held to its own project and permissions', async () => {
    const robot = { login: 'robot$team+ci', password: robotSecret };
    const { scope, token } = await fetchToken(t, ['repository:team/app:pull,push', 'repository:open/app:pull,push', 'repository:secret/app:pull'], robot);
    expect(scope).toBe('repository:team/app:pull repository:open/app:pull');
    await refused('/v2/team/app/manifests/v1', { method: 'PUT', headers: bearer(token) }, 403);
  });

  test('a disabled or expired robot cannot log in', async () => {
    const make = (name: string, disabled: boolean, expiresAt: number) =>
      t.identity.robots.create({
        name, description: '', level: 'project', project: 'team',
        permissions: [{ kind: 'project', namespace: 'team', access: [{ resource: 'repository', action: 'pull' }] }],
        secretHash: hashSecret(robotSecret), disabled, expiresAt, duration: 1, creator: 'admin',
      });
    await make('robot$team+off', true, -1);
    await make('robot$team+old', false, Math.floor(Date.now() / 1000) - 10);
    for (const name of ['robot$team+off', 'robot$team+old']) {
      await refused('/v2/team/app/manifests/latest', { headers: { authorization: basic(name, robotSecret) } }, 401);
    }
  });
});

describe('names and projects', () => {
  let real: Awaited<ReturnType<typeof identityRegistry>>;
  beforeAll(async () => {
    real = await identityRegistry();
    await addUser(real.identity, 'dev');
    await addProject(real.identity, 'team', false);
    await addProject(real.identity, 'secret', false);
    await addMember(real.identity, 'team', 'dev', 'developer');
  });
  afterAll(async () => real.cleanup());

  /**
   * Against the real registry: a malformed name is in no project, so authenticated callers get the
   * registry's 400 NAME_INVALID (the conformance suite requires it) and anonymous ones 401; either
   * way nothing is written and nothing of `secret` is served.
   */
  test.each([
    ['dot segments', 'GET', '/v2/team/../secret/app/manifests/latest'],
    ['encoded dot segments', 'GET', '/v2/team/%2e%2e/secret/app/manifests/latest'],
    ['an encoded slash', 'GET', '/v2/team%2Fapp/manifests/latest'],
    ['an encoded slash into another project', 'PUT', '/v2/team%2F..%2Fsecret/app/manifests/latest'],
    ['an encoded slash on upload', 'POST', '/v2/team%2F..%2Fsecret/app/blobs/uploads/'],
    ['upper case', 'PUT', '/v2/Team/app/manifests/latest'],
    ['a double slash', 'POST', '/v2/team//app/blobs/uploads/'],
  ])('%s: 401 without credentials, refused with credentials, nothing written', async (_label, method, path) => {
    const { token } = await (await real.request(`/service/token?service=${service}&scope=repository:team/app:pull,push`, {
      headers: { authorization: basic(dev.login, dev.password) },
    })).json() as { token: string };
    const writes = real.table.writes.length;
    const anonymous = await real.request(path, { method });
    expect(anonymous.status).toBe(401);
    for (const authorization of [`Bearer ${token}`, basic(dev.login, dev.password)]) {
      const response = await real.request(path, { method, headers: { authorization, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, ...(method === 'GET' ? {} : { body: '{}' }) });
      // Dot segments are resolved by URL parsing before anyone sees them: that request is for secret/app.
      if (path.includes('/../') || path.includes('/%2e%2e/')) expect(response.status).toBe(403);
      else {
        expect(response.status).toBe(400);
        expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('NAME_INVALID');
      }
    }
    expect(real.table.writes.slice(writes).filter((w) => !/ throttle(-address)?#/.test(w))).toEqual([]);
  });

  test('the token endpoint grants nothing on a malformed name', async () => {
    const { scope } = await fetchToken(t, ['repository:team/../secret/app:pull', 'repository:team%2Fapp:pull', 'repository:TEAM/app:pull'], dev);
    expect(scope).toBe('');
  });

  test('a private project the caller cannot see: 401 anonymous, 403 authenticated, nothing revealed', async () => {
    await refused('/v2/secret/app/manifests/latest', {}, 401);
    await refused('/v2/secret/app/tags/list', { headers: { authorization: basic(dev.login, dev.password) } }, 403);
    // A project that does not exist is said to be missing (to someone logged in), never a private one.
    const missing = await t.request('/v2/nosuchproject/app/tags/list', { headers: { authorization: basic(dev.login, dev.password) } });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('NAME_UNKNOWN');
    const api = await t.request('/api/v2.0/projects/secret', { headers: { authorization: basic(dev.login, dev.password) } });
    expect(api.status).toBe(403);
    const list = (await (await t.request('/api/v2.0/projects', { headers: { authorization: basic(dev.login, dev.password) } })).json()) as { name: string }[];
    expect(list.map((p) => p.name).sort()).toEqual(['open', 'team']);
  });

  test('the catalog is for system admins only', async () => {
    await refused('/v2/_catalog', { headers: { authorization: basic(dev.login, dev.password) } }, 403);
    const response = await refused('/v2/_catalog', {}, 401);
    expect(response.headers.get('www-authenticate')).toContain('scope="registry:catalog:*"');
  });

  test('an endpoint no route serves: 401 without credentials, the router error with them, nothing written', async () => {
    await refused('/v2/team/app/unknown/thing', {}, 401);
    for (const [method, path, status] of [['GET', '/v2/secret/app/unknown/thing', 404], ['POST', '/v2/secret/app/manifests/latest', 405]] as const) {
      const writes = real.table.writes.length;
      const response = await real.request(path, { method, headers: { authorization: basic(dev.login, dev.password) } });
      expect(response.status).toBe(status);
      expect(real.table.writes.slice(writes).filter((w) => !/ throttle(-address)?#/.test(w))).toEqual([]);
    }
  });

  test('a cross-repository mount source is checked separately (canPull)', async () => {
    const { token } = await fetchToken(t, ['repository:team/app:pull,push', 'repository:secret/app:pull'], dev);
    const response = await t.request(`/v2/team/app/blobs/uploads/?mount=sha256:${'c'.repeat(64)}&from=secret/app`, { method: 'POST', headers: bearer(token) });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { canPull: boolean }).canPull).toBe(false);
    const open = await t.request(`/v2/team/app/blobs/uploads/?mount=sha256:${'c'.repeat(64)}&from=team/app`, { method: 'POST', headers: bearer(token) });
    expect(((await open.json()) as { canPull: boolean }).canPull).toBe(true);
  });
});

describe('brute force', () => {
  test('logins are throttled after 5 failures, even with the right password next, on every entry point', async () => {
    await addUser(t.identity, 'victim');
    for (let i = 0; i < 5; i++) {
      const response = await t.request(`/service/token?service=${service}`, { headers: { authorization: basic('victim', `guess-${i}`) } });
      expect(response.status).toBe(401);
    }
    const locked = await t.request(`/service/token?service=${service}`, { headers: { authorization: basic('victim', userPassword) } });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    const oauth = await t.request('/service/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: 'victim', password: userPassword, service }),
    });
    expect(oauth.status).toBe(429);
    await refused('/v2/', { headers: { authorization: basic('victim', userPassword) } }, 429);
    const api = await t.request('/api/v2.0/users/current', { headers: { authorization: basic('victim', userPassword) } });
    expect(api.status).toBe(429);
  });

  test('unknown names are throttled too and cost a password check', async () => {
    for (let i = 0; i < 5; i++) await t.request(`/service/token?service=${service}`, { headers: { authorization: basic('nobody-here', `x${i}`) } });
    const response = await t.request(`/service/token?service=${service}`, { headers: { authorization: basic('nobody-here', 'x') } });
    expect(response.status).toBe(429);
  });

  test('a success clears earlier failures', async () => {
    await addUser(t.identity, 'typo');
    for (let i = 0; i < 4; i++) await t.request(`/service/token?service=${service}`, { headers: { authorization: basic('typo', 'wrong') } });
    expect((await t.request(`/service/token?service=${service}`, { headers: { authorization: basic('typo', userPassword) } })).status).toBe(200);
    expect(await t.table.get(keys.throttle('typo', 'unknown'))).toBeNull();
  });
});

describe('key rotation', () => {
  test('tokens signed before a rotation keep working; keys beyond the kept ones stop', async () => {
    const identity = new Identity(t.table, { service, tokens: { keysKept: 2 } });
    const { token: before } = await identity.tokens.issueAccessToken('dev', pushTeam);
    const kid = await identity.tokens.rotate();
    const { token: after } = await identity.tokens.issueAccessToken('dev', pushTeam);
    expect(JSON.parse(Buffer.from(after.split('.')[0]!, 'base64url').toString()).kid).toBe(kid);
    expect(await identity.tokens.verifyAccessToken(before)).not.toBeNull();
    // Another instance (the app's own Identity) learns the new key on first sight of its kid.
    expect(await t.identity.tokens.verifyAccessToken(after)).not.toBeNull();
    await identity.tokens.rotate();
    expect(await identity.tokens.verifyAccessToken(before)).toBeNull();
    expect(await identity.tokens.verifyAccessToken(after)).not.toBeNull();
    const jwks = await identity.tokens.jwks();
    expect(jwks.keys).toHaveLength(2);
    expect(jwks.keys.every((k) => k.d === undefined && k.alg === 'ES256')).toBe(true);
    expect(JSON.stringify(await exportJWK((await generateKeyPair('ES256')).publicKey))).not.toContain('"d"');
  });
});

describe('upload-service sessions', () => {
  test('a session continued without credentials needs a valid upload token for that very session and repository', async () => {
    const real = await identityRegistry({ uploadServiceUrl: 'http://uploads.test', uploadTokenSecret: new TextEncoder().encode('an upload token secret of 32 bytes!') });
    try {
      await addUser(real.identity, 'dev');
      await addProject(real.identity, 'team', false);
      await addProject(real.identity, 'secret', false);
      await addMember(real.identity, 'team', 'dev', 'developer');
      const admin = basic('admin', adminPassword);
      const opened = await real.request('/v2/secret/app/blobs/uploads/', { method: 'POST', headers: { authorization: admin } });
      expect(opened.status).toBe(202);
      const secretSession = new URL(opened.headers.get('location')!);
      const mine = await real.request('/v2/team/app/blobs/uploads/', { method: 'POST', headers: { authorization: basic(dev.login, dev.password) } });
      const mySession = new URL(mine.headers.get('location')!);
      expect(mySession.searchParams.get('_t')).toBeTruthy();

      const writes = real.table.writes.length;
      const attempts: [string, string][] = [
        // dev's token on the admin's session in another project
        ['PATCH', `${secretSession.pathname}?_t=${encodeURIComponent(mySession.searchParams.get('_t')!)}`],
        // dev's token with dev's session id moved under another repository
        ['PUT', `${mySession.pathname.replace('/team/app/', '/secret/app/')}?_t=${encodeURIComponent(mySession.searchParams.get('_t')!)}&digest=sha256:${'d'.repeat(64)}`],
        ['DELETE', `${secretSession.pathname}?_t=forged`],
        ['GET', `${secretSession.pathname}?_t=`],
      ];
      for (const [method, path] of attempts) {
        const response = await real.request(path, { method, ...(method === 'PATCH' ? { body: 'x' } : {}) });
        expect(response.status, `${method} ${path}`).toBe(401);
      }
      expect(real.table.writes.slice(writes)).toEqual([]);
      // The genuine token works on its own session, without any Authorization header.
      const status = await real.request(`${mySession.pathname}${mySession.search}`);
      expect(status.status).toBe(204);
    } finally {
      await real.cleanup();
    }
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApp } from '../../functions/app.js';
import { digestOf } from '../../functions/core/digest.js';
import { type LocalDeps, createLocalDeps } from '../../functions/entry/local-deps.js';
import { Identity, bootstrapIdentity } from '../../functions/identity/identity.js';
import { projectRoles } from '../../functions/identity/rbac.js';
import type { Item } from '../../functions/ports/table.js';
import { workerCapabilitiesOf } from '../../functions/entry/compose.js';
import { dispatch } from '../../functions/worker/dispatch.js';
import { adminPassword, addUser, basic, userPassword } from '../support/identity-app.js';

/**
 * Identity in front of the real registry (createApp with the local adapters, as `npm start`
 * wires it): what clients do end to end, through the token service.
 */
const origin = 'http://berth.test';
let dir: string;
let deps: LocalDeps;
let app: ReturnType<typeof createApp>;
let identity: Identity;

const request = (path: string, init?: RequestInit) => app.request(new URL(path, origin).toString(), init);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-identity-'));
  deps = createLocalDeps(dir);
  identity = new Identity(deps.table, { service: 'berth' });
  await bootstrapIdentity(identity, adminPassword);
  deps.identity = identity;
  app = createApp(deps);
  deps.queue.start(dispatch(workerCapabilitiesOf(deps), deps.table));
  await addUser(identity, 'dev');
  await addUser(identity, 'reader');
});

afterAll(async () => {
  await deps.queue.stop();
  deps.table.close();
  await rm(dir, { recursive: true, force: true });
});

/** Follows the challenge like docker does: probe, read the realm and scope, fetch a token. */
async function tokenFor(method: string, path: string, login?: string, password?: string): Promise<string> {
  const probe = await request(path, { method });
  expect(probe.status).toBe(401);
  const challenge = probe.headers.get('www-authenticate')!;
  const realm = /realm="([^"]+)"/.exec(challenge)![1]!;
  const service = /service="([^"]+)"/.exec(challenge)![1]!;
  const scope = /scope="([^"]+)"/.exec(challenge)?.[1];
  const url = new URL(realm);
  url.searchParams.set('service', service);
  if (scope) url.searchParams.set('scope', scope);
  const response = await request(url.toString(), { headers: login ? { authorization: basic(login, password!) } : {} });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

async function pushImage(repository: string, tag: string, token: string) {
  const headers = { authorization: `Bearer ${token}` };
  const blobs: { digest: string; size: number }[] = [];
  for (const content of [JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }), `layer ${tag}`]) {
    const bytes = new TextEncoder().encode(content);
    const digest = digestOf(bytes);
    const response = await request(`/v2/${repository}/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      body: bytes,
      headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) },
    });
    if (response.status !== 201) return response;
    blobs.push({ digest, size: bytes.byteLength });
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...blobs[0] },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...blobs[1] }],
  });
  return request(`/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    body: manifest,
    headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
  });
}

describe('identity in front of the registry', () => {
  test('docker login: GET /v2/ needs credentials, then answers 200 with a token', async () => {
    const token = await tokenFor('GET', '/v2/', 'admin', adminPassword);
    const response = await request('/v2/', { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    const wrong = await request(`/service/token?service=berth`, { headers: { authorization: basic('admin', 'wrong') } });
    expect(wrong.status).toBe(401);
  });

  test('a system admin push to a missing project creates it, private, and the push lands', async () => {
    expect(await identity.projects.get('fresh')).toBeNull();
    const token = await tokenFor('POST', '/v2/fresh/app/blobs/uploads/', 'admin', adminPassword);
    const response = await pushImage('fresh/app', 'v1', token);
    expect(response.status).toBe(201);
    const project = await identity.projects.get('fresh');
    expect(project).toMatchObject({ name: 'fresh', public: false, ownerName: 'admin' });
    const pulled = await request('/v2/fresh/app/manifests/v1', { headers: { authorization: `Bearer ${token}` } });
    expect(pulled.status).toBe(200);
  });

  test("anyone else's push to a missing project is refused and creates nothing", async () => {
    const token = await tokenFor('POST', '/v2/nowhere/app/blobs/uploads/', 'dev', userPassword);
    const response = await pushImage('nowhere/app', 'v1', token);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { errors: { code: string; message: string }[] }).errors[0]).toMatchObject({ code: 'NAME_UNKNOWN', message: expect.stringContaining('project nowhere does not exist') });
    expect(await identity.projects.get('nowhere')).toBeNull();
    const anonymous = await pushImage('nowhere/app', 'v1', await tokenFor('POST', '/v2/nowhere/app/blobs/uploads/'));
    expect(anonymous.status).toBe(401);
    expect(await identity.projects.get('nowhere')).toBeNull();
  });

  test('developer pushes, guest pulls but cannot push, anonymous pulls only public projects', async () => {
    const created = await request('/api/v2.0/projects', {
      method: 'POST',
      body: JSON.stringify({ project_name: 'team', metadata: { public: 'false' } }),
      headers: { authorization: basic('dev', userPassword), 'content-type': 'application/json' },
    });
    expect(created.status).toBe(201);
    // dev created it, so dev is its project admin; make `reader` a guest.
    const added = await request('/api/v2.0/projects/team/members', {
      method: 'POST',
      body: JSON.stringify({ role_id: projectRoles.guest, member_user: { username: 'reader' } }),
      headers: { authorization: basic('dev', userPassword), 'content-type': 'application/json' },
    });
    expect(added.status).toBe(201);

    const devToken = await tokenFor('POST', '/v2/team/app/blobs/uploads/', 'dev', userPassword);
    expect((await pushImage('team/app', 'v1', devToken)).status).toBe(201);

    const readerPush = await tokenFor('POST', '/v2/team/app/blobs/uploads/', 'reader', userPassword);
    expect((await pushImage('team/app', 'v2', readerPush)).status).toBe(403);
    const readerPull = await tokenFor('GET', '/v2/team/app/manifests/v1', 'reader', userPassword);
    expect((await request('/v2/team/app/manifests/v1', { headers: { authorization: `Bearer ${readerPull}` } })).status).toBe(200);

    const anonymousPull = await tokenFor('GET', '/v2/team/app/manifests/v1');
    expect((await request('/v2/team/app/manifests/v1', { headers: { authorization: `Bearer ${anonymousPull}` } })).status).toBe(401);
    await identity.projects.setPublic('team', true);
    // A public project answers anonymous pulls with or without an (anonymous) token.
    expect((await request('/v2/team/app/manifests/v1')).status).toBe(200);
    const publicPull = (await (await request('/service/token?service=berth&scope=repository:team/app:pull')).json()) as { token: string };
    expect((await request('/v2/team/app/manifests/v1', { headers: { authorization: `Bearer ${publicPull.token}` } })).status).toBe(200);
    expect((await request('/v2/team/app/manifests/v1', { method: 'PUT', headers: { authorization: `Bearer ${publicPull.token}` } })).status).toBe(401);
    await identity.projects.setPublic('team', false);
  });

  test('a mount from a repository the caller cannot pull falls back to a plain upload', async () => {
    const layer = new TextEncoder().encode('layer v1');
    const digest = digestOf(layer);
    // fresh/app (private, admin's) holds the blob; dev may push to team/app but not read fresh/app.
    const response = await request('/service/token?service=berth&scope=repository:team/app:pull,push&scope=repository:fresh/app:pull', {
      headers: { authorization: basic('dev', userPassword) },
    });
    const { token, scope } = (await response.json()) as { token: string; scope: string };
    expect(scope).toBe('repository:team/app:pull,push');
    const mount = await request(`/v2/team/app/blobs/uploads/?mount=${digest}&from=fresh/app`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(mount.status).toBe(202);
    const adminToken = await tokenFor('POST', '/v2/team/app/blobs/uploads/', 'admin', adminPassword);
    const adminScoped = await request('/service/token?service=berth&scope=repository:team/app:pull,push&scope=repository:fresh/app:pull', {
      headers: { authorization: basic('admin', adminPassword) },
    });
    expect(adminToken).toBeTruthy();
    const { token: both } = (await adminScoped.json()) as { token: string };
    const mounted = await request(`/v2/team/app/blobs/uploads/?mount=${digest}&from=fresh/app`, { method: 'POST', headers: { authorization: `Bearer ${both}` } });
    expect(mounted.status).toBe(201);
  });

  test('the OAuth2 password grant and refresh tokens (what docker keeps after login)', async () => {
    const form = (fields: Record<string, string>) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    const first = await request('/service/token', form({ grant_type: 'password', username: 'dev', password: userPassword, service: 'berth', client_id: 'docker', access_type: 'offline', scope: 'repository:team/app:pull' }));
    expect(first.status).toBe(200);
    const body = (await first.json()) as { access_token: string; refresh_token: string; expires_in: number; scope: string };
    expect(body.expires_in).toBe(300);
    expect(body.scope).toBe('repository:team/app:pull');
    const again = await request('/service/token', form({ grant_type: 'refresh_token', refresh_token: body.refresh_token, service: 'berth', client_id: 'docker', scope: 'repository:team/app:pull,push' }));
    expect(again.status).toBe(200);
    const refreshed = (await again.json()) as { access_token: string; scope: string };
    expect(refreshed.scope).toBe('repository:team/app:pull,push');
    const pushed = await pushImage('team/app', 'v3', refreshed.access_token);
    expect(pushed.status).toBe(201);
    const bad = await request('/service/token', form({ grant_type: 'password', username: 'dev', password: 'nope', service: 'berth' }));
    expect(bad.status).toBe(401);
    const unknownGrant = await request('/service/token', form({ grant_type: 'client_credentials', service: 'berth' }));
    expect(unknownGrant.status).toBe(400);
  });

  test('Basic credentials on /v2 work too (curl, scripts)', async () => {
    const response = await request('/v2/team/app/tags/list', { headers: { authorization: basic('reader', userPassword) } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { tags: string[] }).tags).toContain('v1');
  });

  test('audit records name the authenticated actor', async () => {
    const token = await tokenFor('POST', '/v2/team/app/blobs/uploads/', 'dev', userPassword);
    expect((await pushImage('team/app', 'audited', token)).status).toBe(201);
    let records: Item[] = [];
    for (let i = 0; i < 50 && !records.some((r) => r.tag === 'audited'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      records = await deps.table.query('audit#team');
    }
    expect(records.find((r) => r.tag === 'audited')?.actor).toBe('dev');
  });
});

import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { digestOf } from '../../functions/core/digest.js';
import { projectRoles } from '../../functions/identity/rbac.js';
import { addProject, addUser, adminPassword, basic, fetchToken, identityRegistry, userPassword } from '../support/identity-app.js';

let real: Awaited<ReturnType<typeof identityRegistry>>;
const admin = basic('admin', adminPassword);
const dev = basic('dev', userPassword);

beforeEach(async () => {
  real = await identityRegistry();
  await addUser(real.identity, 'dev');
  await addProject(real.identity, 'hidden', false);
});

afterEach(async () => {
  await real.cleanup();
});

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const { errors } = (await response.json()) as { errors: { code: string; message: string }[] };
  return { status: response.status, code: errors[0]!.code, message: errors[0]!.message };
}

/** A config blob and an image manifest over it, pushed with `auth`; the manifest PUT's response. */
async function pushImage(repository: string, auth: string, tag = 'v1'): Promise<Response> {
  const config = new TextEncoder().encode(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const digest = digestOf(config);
  const blob = await real.request(`/v2/${repository}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: config, headers: { authorization: auth } });
  expect(blob.status).toBe(201);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: config.byteLength },
    layers: [],
  });
  return real.request(`/v2/${repository}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { authorization: auth, 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
}

describe('a push to a project that does not exist', () => {
  test('answers NAME_UNKNOWN naming the project, with Basic credentials and with a token', async () => {
    const basicAttempt = await errorOf(await real.request('/v2/ghost/app/blobs/uploads/', { method: 'POST', headers: { authorization: dev } }));
    expect(basicAttempt).toEqual({ status: 404, code: 'NAME_UNKNOWN', message: expect.stringMatching(/^project ghost does not exist/) });
    const { token } = await fetchToken(real, ['repository:ghost/app:pull,push'], { login: 'dev', password: userPassword });
    const tokenAttempt = await errorOf(await real.request('/v2/ghost/app/manifests/v1', { method: 'PUT', body: '{}', headers: { authorization: `Bearer ${token}` } }));
    expect(tokenAttempt).toMatchObject({ status: 404, code: 'NAME_UNKNOWN' });
    expect(await real.identity.projects.get('ghost')).toBeNull();
  });

  test('a private project one may not see is refused like any other refusal, revealing nothing', async () => {
    const refused = await errorOf(await real.request('/v2/hidden/app/blobs/uploads/', { method: 'POST', headers: { authorization: dev } }));
    expect(refused).toEqual({ status: 403, code: 'DENIED', message: 'requested access to the resource is denied' });
  });

  test('anonymous callers are asked to log in, and learn nothing about projects', async () => {
    for (const project of ['ghost', 'hidden']) {
      const response = await real.request(`/v2/${project}/app/blobs/uploads/`, { method: 'POST' });
      expect(response.status).toBe(401);
      expect((await errorOf(response)).code).toBe('UNAUTHORIZED');
    }
  });
});

describe('projects are created one way', () => {
  test("an admin's upload session alone creates no project", async () => {
    const opened = await real.request('/v2/fresh/app/blobs/uploads/', { method: 'POST', headers: { authorization: admin } });
    expect(opened.status).toBe(202);
    const blob = new TextEncoder().encode('a layer');
    const location = opened.headers.get('location')!;
    expect((await real.request(`${location}?digest=${digestOf(blob)}`, { method: 'PUT', body: blob, headers: { authorization: admin } })).status).toBe(201);
    expect(await real.identity.projects.get('fresh')).toBeNull();
  });

  test("an admin's first manifest creates the project, private, with the pusher as project admin, as the API does", async () => {
    expect((await pushImage('fresh/app', admin)).status).toBe(201);
    const pushed = await real.identity.projects.get('fresh');
    expect(pushed).toMatchObject({ public: false, ownerName: 'admin' });

    const viaApi = await real.request('/api/v2.0/projects', { method: 'POST', headers: { authorization: admin, 'content-type': 'application/json' }, body: JSON.stringify({ project_name: 'byapi' }) });
    expect(viaApi.status).toBe(201);
    const shape = async (name: string) => (await real.identity.members.list(name)).map((m) => [m.entityType, m.entityName, m.roleId]);
    expect(await shape('fresh')).toEqual([['u', 'admin', projectRoles.projectAdmin]]);
    expect(await shape('fresh')).toEqual(await shape('byapi'));
  });

  test('a manifest refused as invalid creates no project', async () => {
    const response = await real.request('/v2/fresh/app/manifests/v1', { method: 'PUT', body: '{"not":"a manifest"}', headers: { authorization: admin, 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    expect(response.status).toBe(400);
    expect(await real.identity.projects.get('fresh')).toBeNull();
  });

  test('a later push to the project leaves it as it was', async () => {
    expect((await pushImage('fresh/app', admin)).status).toBe(201);
    const first = await real.identity.projects.get('fresh');
    expect((await pushImage('fresh/other', admin, 'v2')).status).toBe(201);
    expect(await real.identity.projects.get('fresh')).toEqual(first);
    expect(await real.identity.members.list('fresh')).toHaveLength(1);
  });
});

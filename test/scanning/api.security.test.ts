import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hashPassword } from '../../functions/identity/passwords.js';
import { projectRoles } from '../../functions/identity/rbac.js';
import { gzipLayer, imageOf } from './support/layers.js';
import { type ScanningApp, admin, basic, scanningApp } from './support/scanning-app.js';

let t: ScanningApp;
let digest: string;
const password = 'Passw0rd-for-tests';

async function user(name: string, role: keyof typeof projectRoles | null) {
  const identity = t.deps.identity!;
  const created = await identity.users.create({ username: name, email: `${name}@example.com`, realname: name, comment: '', passwordHash: await hashPassword(password), sysadmin: false, source: 'db', ldapDn: null, ldapGroups: [] });
  if (role) await identity.members.add({ project: 'private', entityType: 'u', entityName: name, entityId: created!.id, roleId: projectRoles[role] });
}

beforeAll(async () => {
  t = await scanningApp();
  await t.createProject('private');
  const lock = { lockfileVersion: 3, packages: { 'node_modules/lodash': { version: '4.17.15' } } };
  digest = await t.push('private/app', 'v1', imageOf([await gzipLayer([{ name: 'package-lock.json', body: JSON.stringify(lock) }])]));
  await user('guest1', 'guest');
  await user('dev1', 'developer');
  await user('outsider', null);
});
afterAll(async () => t.cleanup());

const as = (login: string | null): Record<string, string> => (login ? { authorization: basic(login, password) } : {});

describe('who may scan and read reports', () => {
  test.each([
    [null, 401],
    ['outsider', 403],
    ['guest1', 403],
    ['dev1', 202],
  ])('POST .../scan as %s → %i', async (login, status) => {
    const response = await t.request('/api/v2.0/projects/private/repositories/app/artifacts/v1/scan', { method: 'POST', headers: as(login) });
    expect(response.status).toBe(status);
    if (status !== 202) expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe(status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN');
  });

  test.each([
    [null, 401],
    ['outsider', 403],
    ['guest1', 200],
  ])('GET .../additions/vulnerabilities as %s → %i', async (login, status) => {
    await t.finished('private/app', digest);
    const response = await t.request('/api/v2.0/projects/private/repositories/app/artifacts/v1/additions/vulnerabilities', { headers: as(login) });
    expect(response.status).toBe(status);
  });
});

describe('system-wide settings are for system admins', () => {
  test.each([
    ['GET', '/api/v2.0/scanners', undefined],
    ['POST', '/api/v2.0/scanners', { name: 'x', url: 'http://127.0.0.1:1' }],
    ['POST', '/api/v2.0/system/scanAll/now', undefined],
    ['PUT', '/api/v2.0/system/scanAll/schedule', { schedule: { type: 'Daily' } }],
    ['PUT', '/api/v2.0/system/CVEAllowlist', { items: [{ cve_id: 'CVE-2021-23337' }] }],
  ])('%s %s: 401 anonymous, 403 for a project developer', async (method, path, body) => {
    const init = (headers: Record<string, string>) => ({ method, headers: { ...headers, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    expect((await t.request(path, init({}))).status).toBe(401);
    expect((await t.request(path, init(as('dev1')))).status).toBe(403);
  });

  test('the system allowlist is readable by any user, not by anonymous callers', async () => {
    expect((await t.request('/api/v2.0/system/CVEAllowlist', { headers: as('outsider') })).status).toBe(200);
    expect((await t.request('/api/v2.0/system/CVEAllowlist')).status).toBe(401);
  });
});

describe('bad requests get Harbor errors', () => {
  test.each([
    ['/api/v2.0/projects/private/repositories/app/artifacts/nope/scan', 'POST', 404],
    ['/api/v2.0/projects/missing/repositories/app/artifacts/v1/scan', 'POST', 404],
    ['/api/v2.0/projects/private/repositories/app/artifacts/sha256:abc/scan', 'POST', 400],
    ['/api/v2.0/projects/private/repositories/app/artifacts/v1/additions/sbom', 'GET', 200],
    ['/api/v2.0/projects/private/repositories/%25zz/artifacts/v1/additions/vulnerabilities', 'GET', 400],
  ])('%s %s → %i', async (path, method, status) => {
    const response = await t.request(path, { method, headers: admin });
    expect(response.status).toBe(status);
    if (status >= 400) expect(((await response.json()) as { errors: { code: string; message: string }[] }).errors[0]!.message).toBeTruthy();
  });

  test.each([
    ['/api/v2.0/scanners', { name: 'x', url: 'not a url' }],
    ['/api/v2.0/scanners', { url: 'http://127.0.0.1:1' }],
    ['/api/v2.0/system/scanAll/schedule', { schedule: { type: 'Custom', cron: 'every tuesday' } }],
    ['/api/v2.0/system/scanAll/schedule', { schedule: { type: 'Custom' } }],
    ['/api/v2.0/system/CVEAllowlist', { items: [{ cve_id: 'CVE 2021 <script>' }] }],
    ['/api/v2.0/system/CVEAllowlist', { expires_at: 'tomorrow' }],
  ])('%s with %j → 400', async (path, body) => {
    const method = path.endsWith('scanners') ? 'POST' : 'PUT';
    const response = await t.request(path, { method, headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('BAD_REQUEST');
  });

  test('an artifact that is not an image cannot be scanned', async () => {
    const config = Buffer.from('{}');
    const layer = Buffer.from('chart bytes');
    const { sha256 } = await import('./support/layers.js');
    const chart = {
      digest: '',
      config,
      layers: [layer],
      blobs: new Map([[sha256(config), config], [sha256(layer), layer]]),
      manifest: Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
      })),
    };
    chart.digest = sha256(chart.manifest);
    await t.push('private/chart', '1.0.0', chart);
    const response = await t.request('/api/v2.0/projects/private/repositories/chart/artifacts/1.0.0/scan', { method: 'POST', headers: admin });
    expect(response.status).toBe(400);
  });
});

describe('bad images end as failed scans; the worker goes on', () => {
  test('corrupt gzip, then a truncated tar: Error with a message; the next good image scans', async () => {
    const good = await gzipLayer([{ name: 'etc/os-release', body: 'ID=alpine\nVERSION_ID=3.18.4\n' }]);
    const corrupt = Buffer.from(good);
    corrupt.fill(0x41, 20, 50);
    const bad = await t.push('private/broken', 'gzip', imageOf([corrupt]));
    const { tarOf } = await import('./support/layers.js');
    const { gzipSync } = await import('node:zlib');
    const truncated = await t.push('private/broken', 'tar', imageOf([gzipSync((await tarOf([{ name: 'var/lib/dpkg/status', body: 'x'.repeat(100_000) }])).subarray(0, 5000))]));
    for (const reference of ['gzip', 'tar']) {
      expect((await t.request(`/api/v2.0/projects/private/repositories/broken/artifacts/${reference}/scan`, { method: 'POST', headers: admin })).status).toBe(202);
    }
    const failed = await t.finished('private/broken', bad);
    expect(failed).toMatchObject({ status: 'Error', message: expect.stringMatching(/layer/) });
    expect(await t.finished('private/broken', truncated)).toMatchObject({ status: 'Error', message: expect.stringMatching(/layer could not be read|not a readable tar/) });
    const overview = (await (await import('../../functions/scanning/scan-service.js')).scanOverviewFor(t.deps, 'private/broken', bad))!;
    expect(Object.values(overview)[0]).toMatchObject({ scan_status: 'Error', complete_percent: 100 });
    // Nothing else changed: the earlier report of private/app is still there, and a good image still scans.
    const fine = await t.push('private/broken', 'good', imageOf([good]));
    expect((await t.request('/api/v2.0/projects/private/repositories/broken/artifacts/good/scan', { method: 'POST', headers: admin })).status).toBe(202);
    expect((await t.finished('private/broken', fine)).status).toBe('Success');
    expect((await t.scanning.service.store.state('private/app', digest))?.status).toBe('Success');
  });

  test('a deleted artifact forgets its scan (from the registry delete event)', async () => {
    const bearer = { authorization: `Bearer ${await t.token('repository:private/app:pull,push,delete')}` };
    expect((await t.request(`/v2/private/app/manifests/${digest}`, { method: 'DELETE', headers: bearer })).status).toBe(202);
    const until = Date.now() + 10_000;
    while ((await t.scanning.service.store.state('private/app', digest)) !== null) {
      if (Date.now() > until) throw new Error('scan state not forgotten');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await t.deps.table.query(`scan#private/app@${digest}`)).toEqual([]);
  });
});

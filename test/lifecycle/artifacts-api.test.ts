import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Basic credentials cost a password hash per request: slow on a loaded machine.
vi.setConfig({ testTimeout: 120_000 });
import { hashPassword } from '../../functions/identity/passwords.js';
import { projectRoles } from '../../functions/identity/rbac.js';
import { collectGarbage } from '../../functions/lifecycle/gc-sweep.js';
import { composedRegistry, pushLayers, randomBytes, type ComposedRegistry } from './support.js';

const password = 'Admin-Passw0rd';
const admin = { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` };
const dev = { authorization: `Basic ${Buffer.from('dev:Dev-Passw0rd').toString('base64')}` };
const json = { 'content-type': 'application/json' };

let registry: ComposedRegistry;
beforeAll(async () => {
  registry = await composedRegistry({ BERTH_ADMIN_PASSWORD: password });
  const identity = registry.deps.identity!;
  const user = await identity.users.create({ username: 'dev', email: 'dev@example.test', realname: 'dev', comment: '', passwordHash: await hashPassword('Dev-Passw0rd'), sysadmin: false, source: 'db', ldapDn: null, ldapGroups: [] });
  expect((await api('/projects', { method: 'POST', headers: { ...admin, ...json }, body: JSON.stringify({ project_name: 'team' }) })).status).toBe(201);
  await identity.members.add({ project: 'team', entityType: 'u', entityName: 'dev', entityId: user!.id, roleId: projectRoles.developer });
});
afterAll(async () => {
  await registry?.cleanup();
});

const api = (path: string, init: RequestInit = {}) => registry.request(`/api/v2.0${path}`, init);

describe('repositories and artifacts, Harbor style', () => {
  it('lists a project\'s repositories in name order, pages them, filters with q, and reads one', async () => {
    for (const name of ['team/b-app', 'team/a-app', 'team/nested/c-app']) expect((await pushLayers(registry, name, 'v1', [randomBytes(100)], admin)).status).toBe(201);
    const page = await api('/projects/team/repositories?page=1&page_size=2', { headers: admin });
    expect(page.status).toBe(200);
    expect(page.headers.get('x-total-count')).toBe('3');
    expect(((await page.json()) as { name: string }[]).map((r) => r.name)).toEqual(['team/a-app', 'team/b-app']);
    const filtered = (await (await api('/projects/team/repositories?q=name%3D~nested', { headers: admin })).json()) as { name: string; artifact_count: number }[];
    expect(filtered).toMatchObject([{ name: 'team/nested/c-app', artifact_count: 1 }]);
    const one = await api('/projects/team/repositories/nested%252Fc-app', { headers: admin });
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ name: 'team/nested/c-app', artifact_count: 1, pull_count: 0 });
    expect((await api('/projects/team/repositories/missing', { headers: admin })).status).toBe(404);
    expect((await api('/projects/team/repositories?sort=bogus', { headers: admin })).status).toBe(400);
  });

  it('shows an artifact with its size, tags, config attributes, and pull time from the pull statistics', async () => {
    const pushed = await pushLayers(registry, 'team/art', 'v1', [randomBytes(1000), randomBytes(500)], admin);
    await registry.deps.table.put({ pk: 'repo#team/art', sk: `pulled#${pushed.digest}`, lastPulledAt: '2026-05-01T00:00:00.000Z', count: 3 });
    const list = await api('/projects/team/repositories/art/artifacts?with_tag=true', { headers: admin });
    expect(list.status).toBe(200);
    const [artifact] = (await list.json()) as Record<string, unknown>[];
    const size = Buffer.byteLength(pushed.body) + pushed.blobs.reduce((sum, blob) => sum + blob.bytes.byteLength, 0);
    expect(artifact).toMatchObject({
      digest: pushed.digest,
      type: 'IMAGE',
      media_type: 'application/vnd.oci.image.config.v1+json',
      manifest_media_type: 'application/vnd.oci.image.manifest.v1+json',
      size,
      pull_time: '2026-05-01T00:00:00.000Z',
      repository_name: 'team/art',
      extra_attrs: { architecture: 'arm64', os: 'linux', created: '2026-01-02T03:04:05Z', author: 'tests' },
      tags: [{ name: 'v1', immutable: false }],
    });
    const byTag = await api('/projects/team/repositories/art/artifacts/v1', { headers: admin });
    expect(((await byTag.json()) as { digest: string }).digest).toBe(pushed.digest);
    expect((await api('/projects/team/repositories/art/artifacts/nope', { headers: admin })).status).toBe(404);
    const summary = (await (await api('/projects/team/repositories/art', { headers: admin })).json()) as { pull_count: number };
    expect(summary.pull_count).toBe(3);
  });

  it('lists an index with its references and not its children; adds, lists and deletes tags', async () => {
    const child = await pushLayers(registry, 'team/multi', 'child', [randomBytes(100)], admin);
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: child.digest, size: Buffer.byteLength(child.body), platform: { architecture: 'arm64', os: 'linux' } }],
    });
    const put = await registry.request('/v2/team/multi/manifests/v1', { method: 'PUT', body: index, headers: { ...admin, 'content-type': 'application/vnd.oci.image.index.v1+json' } });
    expect(put.status).toBe(201);
    const artifacts = (await (await api('/projects/team/repositories/multi/artifacts', { headers: admin })).json()) as { digest: string; references: { child_digest: string; platform: unknown }[] }[];
    expect(artifacts).toHaveLength(1);
    expect(artifacts[0]!.references).toEqual([expect.objectContaining({ child_digest: child.digest, platform: { architecture: 'arm64', os: 'linux' } })]);

    const digest = put.headers.get('docker-content-digest')!;
    const created = await api(`/projects/team/repositories/multi/artifacts/${digest}/tags`, { method: 'POST', headers: { ...admin, ...json }, body: JSON.stringify({ name: 'stable' }) });
    expect(created.status).toBe(201);
    expect((await registry.request('/v2/team/multi/manifests/stable', { headers: admin })).headers.get('docker-content-digest')).toBe(digest);
    const again = await api(`/projects/team/repositories/multi/artifacts/${digest}/tags`, { method: 'POST', headers: { ...admin, ...json }, body: JSON.stringify({ name: 'stable' }) });
    expect(again.status).toBe(409);
    const bad = await api(`/projects/team/repositories/multi/artifacts/${digest}/tags`, { method: 'POST', headers: { ...admin, ...json }, body: JSON.stringify({ name: '-bad' }) });
    expect(bad.status).toBe(400);
    const tags = (await (await api(`/projects/team/repositories/multi/artifacts/${digest}/tags`, { headers: admin })).json()) as { name: string }[];
    expect(tags.map((t) => t.name).sort()).toEqual(['stable', 'v1']);
    expect((await api(`/projects/team/repositories/multi/artifacts/${digest}/tags/stable`, { method: 'DELETE', headers: admin })).status).toBe(200);
    expect((await registry.request('/v2/team/multi/manifests/stable', { headers: admin })).status).toBe(404);
  });

  it('deletes an artifact and a whole repository; the repository leaves the catalog and search', async () => {
    const pushed = await pushLayers(registry, 'team/gone', 'v1', [randomBytes(100)], admin);
    await pushLayers(registry, 'team/gone', 'v2', [randomBytes(100)], admin);
    expect((await api(`/projects/team/repositories/gone/artifacts/${pushed.digest}`, { method: 'DELETE', headers: admin })).status).toBe(200);
    expect((await registry.request('/v2/team/gone/manifests/v1', { headers: admin })).status).toBe(404);
    const found = (await (await api('/search?q=gone', { headers: admin })).json()) as { repository: { repository_name: string }[] };
    expect(found.repository.map((r) => r.repository_name)).toEqual(['team/gone']);

    expect((await api('/projects/team/repositories/gone', { method: 'DELETE', headers: admin })).status).toBe(200);
    const catalog = (await (await registry.request('/v2/_catalog', { headers: admin })).json()) as { repositories: string[] };
    expect(catalog.repositories).not.toContain('team/gone');
    expect((await api('/projects/team/repositories/gone', { headers: admin })).status).toBe(404);
    expect(((await (await api('/search?q=gone', { headers: admin })).json()) as { repository: unknown[] }).repository).toEqual([]);
  });

  it('refuses to delete a project that still holds repositories (412), and deletes it once empty', async () => {
    expect((await api('/projects', { method: 'POST', headers: { ...admin, ...json }, body: JSON.stringify({ project_name: 'short' }) })).status).toBe(201);
    await pushLayers(registry, 'short/app', 'v1', [randomBytes(100)], admin);
    const refused = await api('/projects/short', { method: 'DELETE', headers: admin });
    expect(refused.status).toBe(412);
    expect(((await refused.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('PRECONDITION');
    expect((await api('/projects/short/repositories/app', { method: 'DELETE', headers: admin })).status).toBe(200);
    expect((await api('/projects/short', { method: 'DELETE', headers: admin })).status).toBe(200);
  });

  it('lets a developer read but not delete; anonymous callers see nothing of a private project', async () => {
    await pushLayers(registry, 'team/guarded', 'v1', [randomBytes(100)], admin);
    expect((await api('/projects/team/repositories/guarded/artifacts', { headers: dev })).status).toBe(200);
    expect((await api('/projects/team/repositories/guarded', { method: 'DELETE', headers: dev })).status).toBe(403);
    expect((await api('/projects/team/repositories/guarded/artifacts/v1', { method: 'DELETE', headers: dev })).status).toBe(403);
    expect((await api('/projects/team/repositories')).status).toBe(401);
    const visible = (await (await api('/repositories')).json()) as unknown[];
    expect(visible).toEqual([]);
    expect((await api('/system/gc', { headers: dev })).status).toBe(403);
    expect((await api('/quotas', { headers: dev })).status).toBe(403);
  });
});

describe('garbage collection API', () => {
  it('runs a manual dry run and a real one, keeps their history and logs, and sets a schedule', async () => {
    const doomed = await pushLayers(registry, 'team/collect', 'v1', [randomBytes(4096)], admin);
    expect((await registry.request(`/v2/team/collect/manifests/${doomed.digest}`, { method: 'DELETE', headers: admin })).status).toBe(202);
    const dry = await api('/system/gc/schedule', { method: 'POST', headers: { ...admin, ...json }, body: JSON.stringify({ schedule: { type: 'Manual' }, parameters: { dry_run: true, grace_seconds: 0 } }) });
    expect(dry.status).toBe(201);
    const id = Number(dry.headers.get('location')!.split('/').pop());
    // The job as the queue hands it to the worker.
    await registry.worker({ version: 1, kind: 'gc-sweep', id: `gc-run-${id}`, runId: id, dryRun: true, graceSeconds: 0 });
    const run = (await (await api(`/system/gc/${id}`, { headers: admin })).json()) as { job_status: string; job_parameters: string; job_kind: string };
    expect(run).toMatchObject({ job_status: 'Success', job_kind: 'MANUAL' });
    // Earlier tests left garbage of their own: at least this image's bytes would be freed.
    const parameters = JSON.parse(run.job_parameters) as { dry_run: boolean; freed_space: number };
    expect(parameters.dry_run).toBe(true);
    expect(parameters.freed_space).toBeGreaterThanOrEqual(4096 + doomed.blobs[0]!.bytes.byteLength);
    expect(await registry.deps.blobs.stat(doomed.blobs[1]!.digest)).not.toBeNull();
    const log = await api(`/system/gc/${id}/log`, { headers: admin });
    expect(await log.text()).toContain('would free');

    const history = (await (await api('/system/gc', { headers: admin })).json()) as { id: number }[];
    expect(history[0]!.id).toBe(id);
    expect((await api('/system/gc/999999', { headers: admin })).status).toBe(404);

    expect((await api('/system/gc/schedule', { method: 'PUT', headers: { ...admin, ...json }, body: JSON.stringify({ schedule: { type: 'Custom', cron: '0 0 3 * * *' }, parameters: { delete_untagged: true } }) })).status).toBe(200);
    expect(await (await api('/system/gc/schedule', { headers: admin })).json()).toMatchObject({ schedule: { type: 'Custom', cron: '0 0 3 * * *' }, parameters: { delete_untagged: true, grace_seconds: 3600 } });
    expect((await api('/system/gc/schedule', { method: 'PUT', headers: { ...admin, ...json }, body: JSON.stringify({ schedule: { type: 'Custom', cron: 'not a cron' } }) })).status).toBe(400);

    await collectGarbage(registry.deps, { dryRun: false, deleteUntagged: false, graceSeconds: 0 });
    expect(await registry.deps.blobs.stat(doomed.blobs[1]!.digest)).toBeNull();
  });
});

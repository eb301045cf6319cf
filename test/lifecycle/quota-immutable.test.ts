import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Basic credentials cost a password hash per request: slow on a loaded machine.
vi.setConfig({ testTimeout: 120_000 });
import { digestOf } from '../../functions/core/digest.js';
import type { Job } from '../../functions/core/jobs.js';
import { collectGarbage } from '../../functions/lifecycle/gc-sweep.js';
import { QuotaStore } from '../../functions/lifecycle/quota-store.js';
import { composedRegistry, pushBlobWith, pushLayers, randomBytes, type ComposedRegistry } from './support.js';

const password = 'Admin-Passw0rd';
const admin = { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` };
const json = { 'content-type': 'application/json' };

let registry: ComposedRegistry;
beforeAll(async () => {
  registry = await composedRegistry({ BERTH_ADMIN_PASSWORD: password });
});
afterAll(async () => {
  await registry?.cleanup();
});

const api = (path: string, init: RequestInit = {}) => registry.request(`/api/v2.0${path}`, init);
const createProject = async (body: Record<string, unknown>) =>
  (await api('/projects', { method: 'POST', headers: { ...admin, ...json }, body: JSON.stringify(body) })).status;

async function quotaOf(project: string) {
  const id = ((await (await api(`/projects/${project}`, { headers: admin })).json()) as { project_id: number }).project_id;
  return (await (await api(`/quotas/${id}`, { headers: admin })).json()) as { id: number; hard: { storage: number }; used: { storage: number } };
}

/** Notifications waiting in the embedded queue (no worker runs in these tests). */
async function notifications(): Promise<Job[]> {
  return (await registry.deps.table.query('queue#jobs')).map((item) => item.job as unknown as Job).filter((job) => job.kind === 'notify');
}

describe('project quotas', () => {
  it('counts each blob once per project, refuses a push over the limit with Harbor\'s message, and reports it', async () => {
    expect(await createProject({ project_name: 'quota', storage_limit: 10_000 })).toBe(201);
    expect(await createProject({ project_name: 'badquota', storage_limit: -5 })).toBe(400);
    const shared = randomBytes(3000);
    await pushBlobWith(registry, 'quota/one', shared, admin);
    // The same bytes in a second repository of the project count once.
    await pushBlobWith(registry, 'quota/two', shared, admin);
    expect((await quotaOf('quota')).used.storage).toBe(3000);

    const big = randomBytes(8000);
    const refused = await registry.request(`/v2/quota/one/blobs/uploads/?digest=${digestOf(big)}`, { method: 'POST', body: big, headers: { ...admin, 'content-type': 'application/octet-stream' } });
    expect(refused.status).toBe(403);
    const error = ((await refused.json()) as { errors: { code: string; message: string }[] }).errors[0]!;
    expect(error.code).toBe('DENIED');
    expect(error.message).toBe(
      'Quota exceeded when processing the request of adding 7.8 KiB of storage resource, which when updated to current usage of 2.9 KiB will exceed the configured upper limit of 9.8 KiB.',
    );
    // Nothing stored: not linked, not in the blob store, not counted.
    expect((await registry.request(`/v2/quota/one/blobs/${digestOf(big)}`, { method: 'HEAD', headers: admin })).status).toBe(404);
    expect(await registry.deps.blobs.stat(digestOf(big))).toBeNull();
    expect((await quotaOf('quota')).used.storage).toBe(3000);
    expect(await notifications()).toEqual([
      expect.objectContaining({
        kind: 'notify',
        eventType: 'QUOTA_EXCEED',
        project: 'quota',
        payload: {
          resources: [{ digest: digestOf(big) }],
          repository: { name: 'one', namespace: 'quota', repo_full_name: 'quota/one', repo_type: 'private' },
          custom_attributes: { Details: expect.stringMatching(/^adding 7\.8 KiB of storage resource/) },
        },
      }),
    ]);

    // Raising the limit lets it in.
    const quota = await quotaOf('quota');
    expect((await api(`/quotas/${quota.id}`, { method: 'PUT', headers: { ...admin, ...json }, body: JSON.stringify({ hard: { storage: 20_000 } }) })).status).toBe(200);
    await pushBlobWith(registry, 'quota/one', big, admin);
    expect(await quotaOf('quota')).toMatchObject({ hard: { storage: 20_000 }, used: { storage: 11_000 } });
    const listed = (await (await api('/quotas?reference=project', { headers: admin })).json()) as { ref: { name: string } }[];
    expect(listed.map((q) => q.ref.name)).toContain('quota');
  });

  it('stays exact under concurrent pushes of new and shared blobs and concurrent collection', async () => {
    expect(await createProject({ project_name: 'busy' })).toBe(201);
    const shared = randomBytes(1000);
    const sizes = [500, 600, 700, 800, 900, 1100, 1200, 1300];
    await Promise.all(
      sizes.map(async (size, i) => {
        await pushBlobWith(registry, `busy/r${i % 3}`, shared, admin);
        await pushLayers(registry, `busy/r${i % 3}`, `t${i}`, [randomBytes(size)], admin);
      }),
    );
    const counted = await new QuotaStore(registry.deps).counted('busy');
    const expected = [...counted.values()].reduce((sum, item) => sum + (item.size as number), 0);
    expect(counted.size).toBe(1 + 2 * sizes.length);
    expect((await quotaOf('busy')).used.storage).toBe(expected);

    // Deletes and a collection release exactly what no repository of the project holds any more.
    const victim = await pushLayers(registry, 'busy/r0', 'victim', [randomBytes(5000)], admin);
    const before = (await quotaOf('busy')).used.storage;
    expect((await registry.request(`/v2/busy/r0/manifests/${victim.digest}`, { method: 'DELETE', headers: admin })).status).toBe(202);
    await Promise.all([collectGarbage(registry.deps, { dryRun: false, deleteUntagged: false, graceSeconds: 0 }), pushLayers(registry, 'busy/r1', 'late', [randomBytes(300)], admin)]);
    const after = await new QuotaStore(registry.deps).counted('busy');
    const sum = [...after.values()].reduce((total, item) => total + (item.size as number), 0);
    expect((await quotaOf('busy')).used.storage).toBe(sum);
    expect(sum).toBeLessThan(before);
  }, 120_000);
});

describe('immutable tags', () => {
  const rule = (tag: string, repository = '**', disabled = false) => ({
    disabled,
    action: 'immutable',
    template: 'immutable_template',
    tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: tag }],
    scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: repository }] },
  });

  it('refuses moving or deleting a matching tag, on /v2 and the management API, naming the rule', async () => {
    expect(await createProject({ project_name: 'frozen' })).toBe(201);
    const created = await api('/projects/frozen/immutabletagrules', { method: 'POST', headers: { ...admin, ...json }, body: JSON.stringify(rule('v*', 'apps/**')) });
    expect(created.status).toBe(201);
    const rules = (await (await api('/projects/frozen/immutabletagrules', { headers: admin })).json()) as { id: number; tag_selectors: unknown[] }[];
    expect(rules).toHaveLength(1);

    const first = await pushLayers(registry, 'frozen/apps/web', 'v1', [randomBytes(100)], admin);
    expect(first.status).toBe(201);
    // Pushing the same content again is no move.
    expect((await registry.request('/v2/frozen/apps/web/manifests/v1', { method: 'PUT', body: first.body, headers: { ...admin, 'content-type': 'application/vnd.oci.image.manifest.v1+json' } })).status).toBe(201);
    const moved = await pushLayers(registry, 'frozen/apps/web', 'v1', [randomBytes(100)], admin);
    expect(moved.status).toBe(412);
    const deleted = await registry.request('/v2/frozen/apps/web/manifests/v1', { method: 'DELETE', headers: admin });
    expect(deleted.status).toBe(412);
    const body = (await deleted.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]!.code).toBe('DENIED');
    expect(body.errors[0]!.message).toContain(`immutable tag rule ${rules[0]!.id}`);
    expect((await registry.request(`/v2/frozen/apps/web/manifests/${first.digest}`, { method: 'DELETE', headers: admin })).status).toBe(412);
    expect((await api(`/projects/frozen/repositories/apps%252Fweb/artifacts/v1/tags/v1`, { method: 'DELETE', headers: admin })).status).toBe(412);
    expect((await api(`/projects/frozen/repositories/apps%252Fweb/artifacts/v1`, { method: 'DELETE', headers: admin })).status).toBe(412);
    const tags = (await (await api('/projects/frozen/repositories/apps%252Fweb/artifacts/v1/tags', { headers: admin })).json()) as { immutable: boolean }[];
    expect(tags).toMatchObject([{ immutable: true }]);
    expect((await registry.request('/v2/frozen/apps/web/manifests/v1', { headers: admin })).headers.get('docker-content-digest')).toBe(first.digest);

    // Outside the rule's scope (another repository, another tag) tags move freely.
    expect((await pushLayers(registry, 'frozen/other', 'v1', [randomBytes(100)], admin)).status).toBe(201);
    expect((await pushLayers(registry, 'frozen/other', 'v1', [randomBytes(100)], admin)).status).toBe(201);
    expect((await pushLayers(registry, 'frozen/apps/web', 'latest', [randomBytes(100)], admin)).status).toBe(201);
    expect((await pushLayers(registry, 'frozen/apps/web', 'latest', [randomBytes(100)], admin)).status).toBe(201);

    // Disabled, the rule holds nothing.
    expect((await api(`/projects/frozen/immutabletagrules/${rules[0]!.id}`, { method: 'PUT', headers: { ...admin, ...json }, body: JSON.stringify(rule('v*', 'apps/**', true)) })).status).toBe(200);
    expect((await pushLayers(registry, 'frozen/apps/web', 'v1', [randomBytes(100)], admin)).status).toBe(201);
    expect((await api(`/projects/frozen/immutabletagrules/${rules[0]!.id}`, { method: 'DELETE', headers: admin })).status).toBe(200);
    expect((await api(`/projects/frozen/immutabletagrules/${rules[0]!.id}`, { method: 'DELETE', headers: admin })).status).toBe(404);
  }, 120_000);

  it('excludes decorations invert a selector, and bad rules are refused', async () => {
    expect(await createProject({ project_name: 'except' })).toBe(201);
    const excludes = { ...rule('**'), tag_selectors: [{ kind: 'doublestar', decoration: 'excludes', pattern: 'dev-*' }] };
    expect((await api('/projects/except/immutabletagrules', { method: 'POST', headers: { ...admin, ...json }, body: JSON.stringify(excludes) })).status).toBe(201);
    await pushLayers(registry, 'except/app', 'dev-1', [randomBytes(100)], admin);
    await pushLayers(registry, 'except/app', 'prod', [randomBytes(100)], admin);
    expect((await registry.request('/v2/except/app/manifests/dev-1', { method: 'DELETE', headers: admin })).status).toBe(202);
    expect((await registry.request('/v2/except/app/manifests/prod', { method: 'DELETE', headers: admin })).status).toBe(412);
    const repository = await api('/projects/except/repositories/app', { method: 'DELETE', headers: admin });
    expect(repository.status).toBe(412);
    expect(((await repository.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('PRECONDITION');
    expect((await registry.request('/v2/except/app/manifests/prod', { headers: admin })).status).toBe(200);
    // Refused whole: the untagged manifest left by the dev-1 delete is still there too.
    expect(((await (await api('/projects/except/repositories/app', { headers: admin })).json()) as { artifact_count: number }).artifact_count).toBe(2);
    const bad = { ...rule('x'), tag_selectors: [{ kind: 'doublestar', decoration: 'sometimes', pattern: 'x' }] };
    expect((await api('/projects/except/immutabletagrules', { method: 'POST', headers: { ...admin, ...json }, body: JSON.stringify(bad) })).status).toBe(400);
    expect((await api('/projects/except/immutabletagrules', { method: 'POST', headers: { ...admin, ...json }, body: '{' })).status).toBe(400);
  }, 120_000);
});

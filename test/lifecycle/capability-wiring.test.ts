import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { digestOf } from '../../functions/core/digest.js';
import { bytesOf } from '../support/local-app.js';
import { composedRegistry, pushBlobWith, pushLayers, randomBytes, type ComposedRegistry } from './support.js';

// Basic credentials cost a password hash per request: slow on a loaded machine.
vi.setConfig({ testTimeout: 120_000 });

const password = 'Admin-Passw0rd';
const admin = { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` };
const json = { 'content-type': 'application/json' };

let registry: ComposedRegistry;
beforeAll(async () => {
  registry = await composedRegistry({ BERTH_ADMIN_PASSWORD: password });
  registry.deps.queue.start(registry.worker);
  expect((await registry.request('/api/v2.0/projects', { method: 'POST', headers: { ...admin, ...json }, body: JSON.stringify({ project_name: 'team' }) })).status).toBe(201);
});
afterAll(async () => {
  await registry?.cleanup();
});

const artifact = async (query: string) => {
  const response = await registry.request(`/api/v2.0/projects/team/repositories/app/artifacts/v1?${query}`, { headers: admin });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
};

describe('the artifacts view carries what the other capabilities know', () => {
  it('a cosign signature pushed under its tag scheme is an accessory of the image (trust)', async () => {
    const image = await pushLayers(registry, 'team/app', 'v1', [randomBytes(200)], admin);
    expect(image.status).toBe(201);
    const payload = bytesOf(JSON.stringify({ critical: { identity: { 'docker-reference': 'registry.test/team/app' }, image: { 'docker-manifest-digest': image.digest }, type: 'cosign container image signature' }, optional: null }));
    const config = bytesOf('{}');
    for (const blob of [payload, config]) await pushBlobWith(registry, 'team/app', blob, admin);
    const signature = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.byteLength },
      layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: digestOf(payload), size: payload.byteLength, annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ==' } }],
    });
    const tag = `sha256-${image.digest.slice('sha256:'.length)}.sig`;
    const put = await registry.request(`/v2/team/app/manifests/${tag}`, { method: 'PUT', body: signature, headers: { ...admin, 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    expect(put.status).toBe(201);
    const view = await artifact('with_accessory=true');
    expect(view.accessories).toEqual([expect.objectContaining({ type: 'signature.cosign', digest: digestOf(bytesOf(signature)), subject_artifact_digest: image.digest })]);
  });

  it('a scan, even one that fails, shows as the artifact scan overview (scanning)', async () => {
    const scan = await registry.request('/api/v2.0/projects/team/repositories/app/artifacts/v1/scan', { method: 'POST', headers: admin });
    expect(scan.status).toBe(202);
    await registry.deps.queue.drain();
    const view = await artifact('with_scan_overview=true');
    const overview = Object.values(view.scan_overview as Record<string, { scan_status: string }>);
    expect(overview).toHaveLength(1);
    // The layer is random bytes, not a gzipped tar: the scan ends in Error, and says so here.
    expect(overview[0]!.scan_status).toBe('Error');
  });

  it('retention leaves a tag an immutable tag rule holds, and says why (lifecycle rules wired into retention)', async () => {
    const post = (path: string, body: unknown) => registry.request(`/api/v2.0${path}`, { method: 'POST', headers: { ...admin, ...json }, body: JSON.stringify(body) });
    const created = await post('/projects', { project_name: 'held' });
    expect(created.status).toBe(201);
    const projectId = Number(created.headers.get('location')!.split('/').pop());
    for (const tag of ['release-1', 'snapshot', 'latest']) expect((await pushLayers(registry, 'held/app', tag, [randomBytes(100)], admin)).status).toBe(201);
    const selector = (pattern: string) => [{ kind: 'doublestar', decoration: 'matches', pattern }];
    const repositories = { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] };
    expect((await post('/projects/held/immutabletagrules', { action: 'immutable', template: 'immutable_template', tag_selectors: selector('release-*'), scope_selectors: repositories })).status).toBe(201);
    const policy = await post('/retentions', {
      algorithm: 'or',
      rules: [{ action: 'retain', template: 'always', params: {}, tag_selectors: selector('latest'), scope_selectors: repositories }],
      trigger: { kind: 'Schedule', settings: { cron: '' } },
      scope: { level: 'project', ref: projectId },
    });
    expect(policy.status).toBe(201);
    const policyId = Number(policy.headers.get('location')!.split('/').pop());
    expect((await post(`/retentions/${policyId}/executions`, { dry_run: false })).status).toBe(201);
    await registry.deps.queue.drain();
    const status = async (tag: string) => (await registry.request(`/v2/held/app/manifests/${tag}`, { method: 'HEAD', headers: admin })).status;
    expect(await status('release-1')).toBe(200);
    expect(await status('latest')).toBe(200);
    expect(await status('snapshot')).toBe(404);
    const [execution] = (await (await registry.request(`/api/v2.0/retentions/${policyId}/executions`, { headers: admin })).json()) as { id: number }[];
    const [task] = (await (await registry.request(`/api/v2.0/retentions/${policyId}/executions/${execution!.id}/tasks`, { headers: admin })).json()) as { id: number }[];
    const log = await (await registry.request(`/api/v2.0/retentions/${policyId}/executions/${execution!.id}/tasks/${task!.id}`, { headers: admin })).text();
    expect(log).toContain('immutable tag release-1');
  });
});

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HttpRemoteRegistry } from '../../functions/adapters/http/http-remote-registry.js';
import { createPolicy, createRegistry, finished, logOf, replicate, startExecution, tasksOf } from '../replication/support/api.js';
import { startTestBerth, type TestBerth } from '../replication/support/berth.js';
import { localOf, pushImage, pushIndex, pushReferrer } from '../replication/support/images.js';
import { createContainersTools, type ContainersTools } from './support/containers-tools.js';
import { startDistribution } from './support/distribution-server.js';
import { readLayoutRef } from './support/oci-layout.js';
import { makeTempDir, type TempDir } from './support/process.js';
import type { RegistryServer } from './support/registry-server.js';

/**
 * Replication with CNCF Distribution 2.8 as the peer: Berth pushes to it and pulls from it, and
 * skopeo, a client that knows nothing of Berth, checks what arrived.
 */
describe('replication with CNCF Distribution', () => {
  let berth: TestBerth;
  let distribution: RegistryServer;
  let tools: ContainersTools;
  let work: TempDir;
  let registryId: number;

  beforeAll(async () => {
    [berth, distribution, tools, work] = await Promise.all([startTestBerth({ auth: true, worker: true }), startDistribution({ logLevel: 'info' }), createContainersTools(), makeTempDir('repl')]);
    for (const project of ['apps', 'mirror']) {
      expect((await berth.api('/projects', { method: 'POST', body: JSON.stringify({ project_name: project }) })).status).toBe(201);
    }
    registryId = await createRegistry(berth, { name: 'distribution', type: 'docker-registry', url: distribution.url, insecure: true });
  });
  afterAll(async () => {
    await berth?.stop();
    await distribution?.stop();
    await tools?.remove();
    await work?.remove();
  });

  async function skopeoDigest(reference: string, creds?: string): Promise<string> {
    const result = await tools.skopeo(['inspect', '--tls-verify=false', ...(creds ? ['--creds', creds] : []), '--format', '{{.Digest}}', reference]);
    return result.stdout.trim();
  }

  test('push mode: filters pick repositories and tags; an index, its children and a referrer arrive byte for byte', async () => {
    const local = localOf(berth.deps);
    const { index } = await pushIndex(local, 'apps/web', 'v1.0');
    await pushReferrer(local, 'apps/web', index);
    const kept = await pushImage(local, 'apps/api', 'v2');
    await pushImage(local, 'apps/api', 'latest');
    await pushImage(local, 'apps/api', 'v2-debug');
    await pushImage(local, 'other/tool', 'v1');

    const policy = await createPolicy(berth, {
      dest_registry: { id: registryId },
      filters: [
        { type: 'name', value: 'apps/**' },
        { type: 'tag', value: 'v*' },
        { type: 'tag', value: '*-debug', decoration: 'excludes' },
      ],
    });
    const execution = await replicate(berth, policy);
    expect(execution).toMatchObject({ status: 'Succeed', total: 2, succeed: 2 });

    expect(await skopeoDigest(`docker://${distribution.host}/apps/web:v1.0`)).toBe(index.digest);
    expect(await skopeoDigest(`docker://${distribution.host}/apps/api:v2`)).toBe(kept.digest);
    const remote = new HttpRemoteRegistry({ url: distribution.url });
    expect((await remote.tags('apps/api')).sort()).toEqual(['v2']);
    expect(await remote.tags('other/tool')).toEqual([]);
    // Distribution 2.8 has no referrers API: the referrer is findable through the tag schema.
    const referrers = await remote.getManifest('apps/web', index.digest.replace(':', '-'));
    expect(JSON.parse(Buffer.from(referrers!.bytes).toString()).manifests).toHaveLength(1);

    // skopeo pulls the whole multi-platform image from the destination.
    await tools.skopeo(['copy', '--all', '--preserve-digests', '--src-tls-verify=false', `docker://${distribution.host}/apps/web:v1.0`, `oci:${join(work.path, 'web')}:v1.0`]);
    expect((await readLayoutRef(join(work.path, 'web'), 'v1.0'))?.digest).toBe(index.digest);
  });

  test('pull mode: Distribution → Berth under a destination namespace; skopeo pulls it from Berth', async () => {
    const remote = new HttpRemoteRegistry({ url: distribution.url });
    const image = await pushImage(remote, 'upstream/base', '3.19', { layers: 2, layerBytes: 256 * 1024 });
    const policy = await createPolicy(berth, {
      src_registry: { id: registryId },
      dest_namespace: 'mirror',
      dest_namespace_replace_count: 1,
      filters: [{ type: 'name', value: 'upstream/base' }],
    });
    expect(await replicate(berth, policy)).toMatchObject({ status: 'Succeed', total: 1 });
    expect(await skopeoDigest(`docker://${berth.host}/mirror/base:3.19`, 'admin:Admin-Passw0rd')).toBe(image.digest);
    const dir = join(work.path, 'base');
    await tools.skopeo(['copy', '--preserve-digests', '--src-tls-verify=false', '--src-creds', 'admin:Admin-Passw0rd', `docker://${berth.host}/mirror/base:3.19`, `oci:${dir}:3.19`]);
    expect((await readLayoutRef(dir, '3.19'))?.digest).toBe(image.digest);
  });

  test('a destination killed mid-copy: retries, then a failed task saying why; the next run completes', async () => {
    const local = localOf(berth.deps);
    const image = await pushImage(local, 'apps/big', 'v1', { layers: 2, layerBytes: 24 * 1024 * 1024 });
    const policy = await createPolicy(berth, { dest_registry: { id: registryId }, filters: [{ type: 'name', value: 'apps/big' }] });
    const executionId = await startExecution(berth, policy);
    // Killed as soon as the first upload session opens: mid-copy, before any manifest.
    for (let i = 0; i < 400 && !/blobs\/uploads/.test(distribution.logs()); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    await distribution.kill9();
    const failed = await finished(berth, executionId);
    expect(failed.status).toBe('Failed');
    const [task] = await tasksOf(berth, executionId);
    expect(task!.status_text).toMatch(/connection refused|reset/);
    expect(await logOf(berth, executionId, task!.id)).toMatch(/retrying/);

    await distribution.restart();
    expect(await replicate(berth, policy)).toMatchObject({ status: 'Succeed' });
    expect(await skopeoDigest(`docker://${distribution.host}/apps/big:v1`)).toBe(image.digest);
  });

  test('event-based with deletion: a push is replicated, and deleting it deletes it at the destination', async () => {
    const policy = await createPolicy(berth, {
      dest_registry: { id: registryId },
      trigger: { type: 'event_based' },
      deletion: true,
      filters: [{ type: 'name', value: 'apps/events' }],
    });
    expect(policy).toBeGreaterThan(0);
    const local = localOf(berth.deps);
    const image = await pushImage(local, 'apps/events', 'v1');
    const remote = new HttpRemoteRegistry({ url: distribution.url });
    await expect.poll(async () => (await remote.headManifest('apps/events', 'v1'))?.digest, { timeout: 30_000 }).toBe(image.digest);
    expect(await local.deleteManifest('apps/events', image.digest)).toBe(true);
    await expect.poll(async () => remote.headManifest('apps/events', image.digest), { timeout: 30_000 }).toBeNull();
  });
});

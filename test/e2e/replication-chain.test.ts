import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HttpRemoteRegistry } from '../../functions/adapters/http/http-remote-registry.js';
import { digestOf } from '../../functions/core/digest.js';
import { createPolicy, createRegistry } from '../replication/support/api.js';
import { adminPassword, startTestBerth, type TestBerth } from '../replication/support/berth.js';
import { localOf, pushCosignSignature, pushIndex, pushReferrer } from '../replication/support/images.js';
import { join } from 'node:path';
import { createContainersTools, type ContainersTools } from './support/containers-tools.js';
import { readLayoutRef } from './support/oci-layout.js';


/**
 * Hierarchical distribution: three Berths with identity on, each feeding the next through an
 * event-based policy (A → B → C). A push to A reaches C with the same digests, its referrers and
 * signature along; skopeo, logging in to each, sees it everywhere.
 */
describe('a chain of three Berths, auth on everywhere', () => {
  let berths: TestBerth[];
  let tools: ContainersTools;

  beforeAll(async () => {
    [berths, tools] = await Promise.all([Promise.all([0, 1, 2].map(() => startTestBerth({ auth: true, worker: true }))), createContainersTools()]);
    for (const [from, to] of [
      [berths[0]!, berths[1]!],
      [berths[1]!, berths[2]!],
    ] as const) {
      const registry = await createRegistry(from, { name: 'next', url: to.url, credential: { access_key: 'admin', access_secret: adminPassword } });
      await createPolicy(from, { dest_registry: { id: registry }, trigger: { type: 'event_based' }, deletion: true, filters: [{ type: 'name', value: 'prod/**' }] });
    }
  });
  afterAll(async () => {
    await Promise.all((berths ?? []).map((berth) => berth.stop()));
    await tools?.remove();
  });

  const client = (berth: TestBerth) => new HttpRemoteRegistry({ url: berth.url, credential: { username: 'admin', password: adminPassword } });

  test('a push to the head reaches the tail byte for byte, with its referrer and signature', async () => {
    const head = localOf(berths[0]!.deps);
    const { index, children } = await pushIndex(head, 'prod/api', 'v3');
    const sbom = await pushReferrer(head, 'prod/api', index);
    const signature = await pushCosignSignature(head, 'prod/api', index);
    const tail = client(berths[2]!);
    await expect.poll(async () => (await tail.headManifest('prod/api', 'v3'))?.digest, { timeout: 60_000, interval: 200 }).toBe(index.digest);
    await expect.poll(async () => (await tail.referrers('prod/api', index.digest))?.map((r) => r.digest), { timeout: 60_000, interval: 200 }).toEqual([sbom.digest]);
    await expect.poll(async () => (await tail.headManifest('prod/api', `${index.digest.replace(':', '-')}.sig`))?.digest, { timeout: 60_000, interval: 200 }).toBe(signature.digest);
    for (const berth of berths) {
      // skopeo reads the index from every Berth of the chain: the very bytes pushed to the head.
      const raw = await tools.skopeo(['inspect', '--tls-verify=false', '--creds', `admin:${adminPassword}`, '--raw', `docker://${berth.host}/prod/api:v3`]);
      expect(digestOf(Buffer.from(raw.stdout))).toBe(index.digest);
      const digest = await tools.skopeo(['inspect', '--tls-verify=false', '--creds', `admin:${adminPassword}`, '--format', '{{.Digest}}', `docker://${berth.host}/prod/api:v3`]);
      expect(digest.stdout.trim()).toBe(index.digest);
    }
    // And pulls a platform image, blobs and all, from the tail.
    const child = children[0]!;
    const dir = join(tools.dir, 'pulled');
    await tools.skopeo(['copy', '--preserve-digests', '--src-tls-verify=false', '--src-creds', `admin:${adminPassword}`, `docker://${berths[2]!.host}/prod/api@${child.digest}`, `oci:${dir}:amd64`]);
    expect((await readLayoutRef(dir, 'amd64'))?.digest).toBe(child.digest);
  });

  test('a tag deleted at the head is deleted down the chain', async () => {
    const head = localOf(berths[0]!.deps);
    expect(await head.deleteManifest('prod/api', 'v3')).toBe(true);
    const tail = client(berths[2]!);
    await expect.poll(async () => tail.headManifest('prod/api', 'v3'), { timeout: 60_000, interval: 200 }).toBeNull();
  });
});

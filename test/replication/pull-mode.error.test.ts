import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { digestOf } from '../../functions/core/digest.js';
import { mediaTypes } from '../../functions/core/manifest.js';
import { createPolicy, createRegistry, logOf, replicate, tasksOf } from './support/api.js';
import { startTestBerth, type TestBerth } from './support/berth.js';
import { localOf } from './support/images.js';

/**
 * A remote that misbehaves: a real HTTP server answering the distribution API with a manifest
 * whose bytes do not match the digest it claims, one larger than any manifest may be, and one
 * that is not JSON at all.
 */
function misbehavingRegistry(): Server {
  const good = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 2 }, layers: [] }));
  const manifests: Record<string, { body: Buffer; digest: string }> = {
    'bad/wrong-digest': { body: good, digest: `sha256:${'b'.repeat(64)}` },
    'bad/oversized': { body: Buffer.alloc(5 * 1024 * 1024, 0x20), digest: '' },
    'bad/garbage': { body: Buffer.from('<html>not a manifest</html>'), digest: '' },
  };
  for (const entry of Object.values(manifests)) entry.digest ||= digestOf(entry.body);
  return createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/v2/') return res.end('{}');
    if (url.pathname === '/v2/_catalog') return res.end(JSON.stringify({ repositories: Object.keys(manifests) }));
    const tags = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname);
    if (tags) return res.end(JSON.stringify({ name: tags[1], tags: ['v1'] }));
    const manifest = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(url.pathname);
    const entry = manifest && manifests[manifest[1]!];
    if (entry) {
      res.writeHead(200, { 'content-type': mediaTypes.ociManifest, 'docker-content-digest': entry.digest, 'content-length': entry.body.byteLength });
      return res.end(req.method === 'HEAD' ? undefined : entry.body);
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'NOT_FOUND', message: 'no' }] }));
  });
}

let berth: TestBerth;
let remote: Server;

beforeAll(async () => {
  remote = misbehavingRegistry();
  await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
  berth = await startTestBerth({ auth: true, worker: true });
});
afterAll(async () => {
  await berth?.stop();
  remote?.close();
});

describe('pull mode from a remote that answers wrong content', () => {
  test('each task fails with a clear log, and nothing is written locally', async () => {
    const registry = await createRegistry(berth, { name: 'liar', type: 'docker-registry', url: `http://127.0.0.1:${(remote.address() as AddressInfo).port}` });
    const policy = await createPolicy(berth, { src_registry: { id: registry }, filters: [{ type: 'name', value: 'bad/**' }] });
    const execution = await replicate(berth, policy);
    expect(execution).toMatchObject({ status: 'Failed', total: 3, failed: 3 });
    const tasks = await tasksOf(berth, execution.id);
    const byRepo = Object.fromEntries(await Promise.all(tasks.map(async (t) => [t.dst_resource, await logOf(berth, execution.id, t.id)])));
    expect(byRepo['bad/wrong-digest']).toMatch(/hashing to sha256:[0-9a-f]{64}, not sha256:b{64}/);
    expect(byRepo['bad/oversized']).toMatch(/larger than the 4194304 byte manifest limit/);
    expect(byRepo['bad/garbage']).toMatch(/unusable manifest \(manifest is not valid UTF-8 JSON\)/);
    expect(await localOf(berth.deps).repositories()).toEqual([]);
  });
});

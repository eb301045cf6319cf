import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startContainerd, type Containerd } from './support/containerd.js';
import { writeOciArchive } from './support/image-archives.js';
import { MiB, OciLayout } from './support/oci-layout.js';
import { makeTempDir, type TempDir } from './support/process.js';
import { startRecordingProxy, type RecordingProxy } from './support/recording-proxy.js';
import { headBlob } from './support/registry-http.js';
import type { RegistryServer } from './support/registry-server.js';
import { startRegistryUnderTest } from './support/registry-under-test.js';

/** `ctr images ls` rows as name → target digest. */
async function listImages(containerd: Containerd, namespace: string): Promise<Map<string, string>> {
  const rows = (await containerd.ctr(namespace, ['images', 'ls'])).stdout.trim().split('\n').slice(1);
  return new Map(rows.map((row) => row.split(/\s+/)).map((cols) => [cols[0] ?? '', cols[2] ?? '']));
}

describe('containerd ctr against the registry', () => {
  let registry: RegistryServer;
  let containerd: Containerd;
  let proxy: RecordingProxy;
  let work: TempDir;

  beforeAll(async () => {
    [registry, containerd, work] = await Promise.all([startRegistryUnderTest(), startContainerd(), makeTempDir('ctr')]);
    proxy = await startRecordingProxy(registry.url);
  });

  afterAll(async () => {
    await containerd?.stop();
    await proxy?.stop();
    await registry?.stop();
    await work?.remove();
  });

  test('pushes a 200 MB layer with one PUT per blob and pulls it back into a fresh namespace', async () => {
    const reference = `${proxy.host}/e2e/containerd:v1`;
    const source = await OciLayout.create(join(work.path, 'source'));
    const image = await source.addImage({ layerSizes: [200 * MiB] });
    await source.tag(image.manifest, 'v1', { 'io.containerd.image.name': reference });
    const archive = join(work.path, 'image.tar');
    await writeOciArchive(source, archive);

    await containerd.ctr('push', ['images', 'import', '--no-unpack', archive]);
    expect((await listImages(containerd, 'push')).get(reference)).toBe(image.manifest.digest);
    await containerd.ctr('push', ['images', 'push', '--plain-http', reference]);
    for (const layer of image.layers) {
      expect(await headBlob(registry.url, 'e2e/containerd', layer.digest)).toBe(200);
      const uploads = proxy.requests.filter((r) => r.path.startsWith('/v2/e2e/containerd/blobs/uploads/'));
      expect(uploads.some((r) => r.method === 'PUT' && r.requestBytes === layer.size && r.status === 201)).toBe(true);
      expect(uploads.filter((r) => r.method === 'PATCH')).toEqual([]);
    }

    // Content is isolated per namespace, so this pull downloads every blob again and unpacking
    // checks each layer against the config's diff_ids.
    await containerd.ctr('pull', ['images', 'pull', '--plain-http', '--snapshotter', 'native', reference]);
    expect((await listImages(containerd, 'pull')).get(reference)).toBe(image.manifest.digest);
    const content = (await containerd.ctr('pull', ['content', 'ls', '-q'])).stdout;
    for (const blob of [image.manifest, image.config, ...image.layers]) {
      expect(content).toContain(blob.digest);
    }
    const layerGets = proxy.requests.filter((r) => r.method === 'GET' && r.path === `/v2/e2e/containerd/blobs/${image.layers[0]!.digest}`);
    expect(layerGets.reduce((sum, r) => sum + r.responseBytes, 0)).toBe(image.layers[0]!.size);
  }, 240_000);
});

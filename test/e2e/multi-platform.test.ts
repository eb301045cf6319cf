import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startContainerd, type Containerd } from './support/containerd.js';
import { createContainersTools, type ContainersTools } from './support/containers-tools.js';
import { MediaType, MiB, OciLayout, readLayoutRef, type Image } from './support/oci-layout.js';
import { makeTempDir, type TempDir } from './support/process.js';
import { getManifest, headBlob, putManifest } from './support/registry-http.js';
import type { RegistryServer } from './support/registry-server.js';
import { startRegistryUnderTest } from './support/registry-under-test.js';

const platforms = [
  { architecture: 'amd64', os: 'linux' },
  { architecture: 'arm64', os: 'linux' },
];

describe('multi-platform images against the registry', () => {
  let registry: RegistryServer;
  let tools: ContainersTools;
  let containerd: Containerd;
  let work: TempDir;
  let source: OciLayout;
  let images: Image[];

  beforeAll(async () => {
    [registry, tools, containerd, work] = await Promise.all([
      startRegistryUnderTest(),
      createContainersTools(),
      startContainerd(),
      makeTempDir('multi'),
    ]);
    source = await OciLayout.create(join(work.path, 'source'));
    images = [];
    for (const platform of platforms) images.push(await source.addImage({ layerSizes: [1 * MiB], platform }));
  });

  afterAll(async () => {
    await containerd?.stop();
    await registry?.stop();
    await tools?.remove();
    await work?.remove();
  });

  test('an OCI index pushed by skopeo --all is served byte for byte and pulled per platform', async () => {
    const index = await source.addIndex(images);
    await source.tag(index, 'index');
    const reference = `docker://${registry.host}/e2e/oci-index:v1`;
    await tools.skopeo(['copy', '--all', '--dest-tls-verify=false', `oci:${source.dir}:index`, reference]);

    const served = await getManifest(registry.url, 'e2e/oci-index', 'v1', [MediaType.ociIndex]);
    expect(served.mediaType).toBe(MediaType.ociIndex);
    expect(served.digest).toBe(index.digest);
    expect(served.bytes.equals(await source.readBlob(index.digest))).toBe(true);

    const arm64 = images[1]!;
    const pulledDir = join(work.path, 'pulled-arm64');
    await tools.skopeo([
      '--override-arch',
      'arm64',
      'copy',
      '--src-tls-verify=false',
      reference,
      `oci:${pulledDir}:arm64`,
    ]);
    expect((await readLayoutRef(pulledDir, 'arm64'))?.digest).toBe(arm64.manifest.digest);
    const pulledConfig = JSON.parse(
      await readFile(join(pulledDir, 'blobs', 'sha256', arm64.config.digest.slice(7)), 'utf8'),
    ) as { architecture: string };
    expect(pulledConfig.architecture).toBe('arm64');
  });

  test('a docker manifest list over two pushed schema2 images is pulled per platform by ctr', async () => {
    const children = [];
    for (const [position, image] of images.entries()) {
      const tag = `child${position}`;
      await source.tag(image.manifest, tag);
      const digestFileOut = join(work.path, `${tag}.digest`);
      await tools.skopeo([
        'copy',
        '--format',
        'v2s2',
        '--dest-tls-verify=false',
        '--digestfile',
        digestFileOut,
        `oci:${source.dir}:${tag}`,
        `docker://${registry.host}/e2e/docker-list:${tag}`,
      ]);
      const digest = (await readFile(digestFileOut, 'utf8')).trim();
      const pushed = await getManifest(registry.url, 'e2e/docker-list', digest, [MediaType.dockerManifest]);
      expect(pushed.mediaType).toBe(MediaType.dockerManifest);
      children.push({ mediaType: MediaType.dockerManifest, digest, size: pushed.bytes.length, platform: image.platform });
    }
    const list = { schemaVersion: 2, mediaType: MediaType.dockerList, manifests: children };
    const pushedList = await putManifest(registry.url, 'e2e/docker-list', MediaType.dockerList, list, 'v1');
    expect(pushedList.response.headers.get('docker-content-digest')).toBe(pushedList.digest);

    const served = await getManifest(registry.url, 'e2e/docker-list', 'v1', [MediaType.dockerList]);
    expect(served.mediaType).toBe(MediaType.dockerList);
    expect(served.digest).toBe(pushedList.digest);

    const reference = `${registry.host}/e2e/docker-list:v1`;
    await containerd.ctr('pull', ['images', 'pull', '--plain-http', '--platform', 'linux/arm64', reference]);
    const content = (await containerd.ctr('pull', ['content', 'ls', '-q'])).stdout;
    expect(content).toContain(pushedList.digest);
    expect(content).toContain(children[1]!.digest);
    expect(content).toContain(images[1]!.layers[0]!.digest);
    expect(content).not.toContain(images[0]!.layers[0]!.digest);
    expect(await headBlob(registry.url, 'e2e/docker-list', images[0]!.layers[0]!.digest)).toBe(200);
  });
});

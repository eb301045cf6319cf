import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createContainersTools, type ContainersTools } from './support/containers-tools.js';
import { MediaType, MiB, OciLayout } from './support/oci-layout.js';
import { makeTempDir, type TempDir } from './support/process.js';
import { getManifest, headBlob } from './support/registry-http.js';
import type { RegistryServer } from './support/registry-server.js';
import { startRegistryUnderTest } from './support/registry-under-test.js';

describe('podman against the registry', () => {
  let registry: RegistryServer;
  let tools: ContainersTools;
  let work: TempDir;

  beforeAll(async () => {
    [registry, tools, work] = await Promise.all([
      startRegistryUnderTest(),
      createContainersTools(),
      makeTempDir('podman'),
    ]);
  });

  afterAll(async () => {
    await registry?.stop();
    await tools?.remove();
    await work?.remove();
  });

  test('pushes an image with a 200 MB layer (recompressed, chunked PATCH) and pulls it back', async () => {
    const source = await OciLayout.create(join(work.path, 'source'));
    const image = await source.addImage({ layerSizes: [200 * MiB] });
    await source.tag(image.manifest, 'v1');
    const configHex = image.config.digest.slice('sha256:'.length);

    const loaded = (await tools.podman(['pull', '-q', `oci:${source.dir}:v1`])).stdout.trim();
    expect(loaded).toBe(configHex);

    const reference = `${registry.host}/e2e/podman:v1`;
    const digestFileOut = join(work.path, 'pushed.digest');
    await tools.podman(['push', '--tls-verify=false', '--digestfile', digestFileOut, configHex, `docker://${reference}`]);
    const pushedDigest = (await readFile(digestFileOut, 'utf8')).trim();

    // podman stores layers uncompressed and compresses them again while pushing, so the layer
    // digests differ from the source; the config (and so the image ID) must not.
    const pushed = await getManifest(registry.url, 'e2e/podman', 'v1', [MediaType.ociManifest, MediaType.dockerManifest]);
    expect(pushed.digest).toBe(pushedDigest);
    const manifest = JSON.parse(pushed.bytes.toString('utf8')) as {
      config: { digest: string };
      layers: { digest: string; size: number }[];
    };
    expect(manifest.config.digest).toBe(image.config.digest);
    expect(manifest.layers).toHaveLength(1);
    expect(manifest.layers[0]!.size).toBeGreaterThan(200 * MiB);
    expect(await headBlob(registry.url, 'e2e/podman', manifest.layers[0]!.digest)).toBe(200);

    await tools.podman(['rmi', '-a', '-f']);
    const pulledId = (await tools.podman(['pull', '-q', '--tls-verify=false', `docker://${reference}`])).stdout.trim();
    expect(pulledId).toBe(configHex);
    const inspected = (await tools.podman(['image', 'inspect', '--format', '{{.Digest}} {{json .RootFS.Layers}}', pulledId]))
      .stdout.trim()
      .split(' ');
    expect(inspected[0]).toBe(pushedDigest);
    expect(JSON.parse(inspected[1] ?? '[]')).toEqual(image.layers.map((layer) => layer.diffId));
  }, 240_000);
});

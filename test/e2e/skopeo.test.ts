import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createContainersTools, type ContainersTools } from './support/containers-tools.js';
import { digestFile, MiB, OciLayout, readLayoutRef } from './support/oci-layout.js';
import { makeTempDir, type TempDir } from './support/process.js';
import { headBlob } from './support/registry-http.js';
import type { RegistryServer } from './support/registry-server.js';
import { startRegistryUnderTest } from './support/registry-under-test.js';

describe('skopeo against the registry', () => {
  let registry: RegistryServer;
  let tools: ContainersTools;
  let work: TempDir;

  beforeAll(async () => {
    [registry, tools, work] = await Promise.all([
      startRegistryUnderTest(),
      createContainersTools(),
      makeTempDir('skopeo'),
    ]);
  });

  afterAll(async () => {
    await registry?.stop();
    await tools?.remove();
    await work?.remove();
  });

  test('pushes an image with a 200 MB layer and pulls it back unchanged', async () => {
    const source = await OciLayout.create(join(work.path, 'source'));
    const image = await source.addImage({ layerSizes: [200 * MiB, 1 * MiB] });
    await source.tag(image.manifest, 'v1');
    const reference = `docker://${registry.host}/e2e/skopeo:v1`;
    const digestFileOut = join(work.path, 'pushed.digest');

    await tools.skopeo([
      'copy',
      '--dest-tls-verify=false',
      '--digestfile',
      digestFileOut,
      `oci:${source.dir}:v1`,
      reference,
    ]);

    // The layers were already gzip and the manifest already OCI: skopeo sends the bytes as they are.
    expect((await readFile(digestFileOut, 'utf8')).trim()).toBe(image.manifest.digest);
    for (const layer of image.layers) {
      expect(await headBlob(registry.url, 'e2e/skopeo', layer.digest)).toBe(200);
    }

    const pulledDir = join(work.path, 'pulled');
    await tools.skopeo(['copy', '--src-tls-verify=false', reference, `oci:${pulledDir}:v1`]);
    const pulled = await readLayoutRef(pulledDir, 'v1');
    expect(pulled?.digest).toBe(image.manifest.digest);
    const pulledLayout = await OciLayout.open(pulledDir);
    for (const blob of [image.config, ...image.layers]) {
      expect(await digestFile(pulledLayout.blobPath(blob.digest))).toBe(blob.digest);
    }
  });
});

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { digestFile, MiB, OciLayout, readLayoutRef } from './support/oci-layout.js';
import { makeTempDir, run, type TempDir } from './support/process.js';

// The image builder under every other e2e test, checked with the system's own gzip, tar and sha256sum.
describe('OciLayout', () => {
  let work: TempDir;

  beforeAll(async () => {
    work = await makeTempDir('layout');
  });

  afterAll(async () => {
    await work?.remove();
  });

  test('writes random layers that gzip and tar read back, with the digests it reports', async () => {
    const layout = await OciLayout.create(join(work.path, 'image'));
    const image = await layout.addImage({ layerSizes: [3 * MiB + 17], platform: { architecture: 'arm64', os: 'linux' } });
    await layout.tag(image.manifest, 'v1');
    const layer = image.layers[0]!;
    const path = layout.blobPath(layer.digest);

    await run('gzip', ['-t', path]);
    const listing = (await run('tar', ['-tvzf', path])).stdout.trim().split('\n');
    expect(listing).toHaveLength(1);
    expect(listing[0]).toContain(String(3 * MiB + 17));
    const diffId = (await run('sh', ['-c', 'gzip -dc "$0" | sha256sum', path])).stdout.split(' ')[0];
    expect(`sha256:${diffId}`).toBe(layer.diffId);
    expect(await digestFile(path)).toBe(layer.digest);

    const config = JSON.parse((await layout.readBlob(image.config.digest)).toString('utf8')) as {
      architecture: string;
      rootfs: { diff_ids: string[] };
    };
    expect(config.architecture).toBe('arm64');
    expect(config.rootfs.diff_ids).toEqual([layer.diffId]);
    expect((await readLayoutRef(layout.dir, 'v1'))?.digest).toBe(image.manifest.digest);
    // Two layers of the same size never share bytes.
    expect((await layout.addRandomLayer(1024)).digest).not.toBe((await layout.addRandomLayer(1024)).digest);
  });
});

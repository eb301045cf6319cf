import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createContainersTools, type ContainersTools } from './support/containers-tools.js';
import { startDockerd, type Dockerd } from './support/dockerd.js';
import { writeDockerArchive } from './support/image-archives.js';
import { MediaType, MiB, OciLayout } from './support/oci-layout.js';
import { makeTempDir, type TempDir } from './support/process.js';
import { startRecordingProxy, type RecordingProxy } from './support/recording-proxy.js';
import { getManifest, headBlob } from './support/registry-http.js';
import type { RegistryServer } from './support/registry-server.js';
import { startRegistryUnderTest } from './support/registry-under-test.js';

/** `docker push` ends with `TAG: digest: sha256:... size: N`. */
function pushedDigest(output: string): string {
  const match = /digest: (sha256:[0-9a-f]{64})/.exec(output);
  if (!match?.[1]) throw new Error(`no digest in docker push output:\n${output}`);
  return match[1];
}

describe('docker engine (classic store) against the registry', () => {
  let registry: RegistryServer;
  let proxy: RecordingProxy;
  let dockerd: Dockerd;
  let tools: ContainersTools;
  let work: TempDir;

  beforeAll(async () => {
    [registry, dockerd, tools, work] = await Promise.all([
      startRegistryUnderTest(),
      startDockerd(),
      createContainersTools(),
      makeTempDir('docker'),
    ]);
    proxy = await startRecordingProxy(registry.url);
  });

  afterAll(async () => {
    await proxy?.stop();
    await dockerd?.stop();
    await registry?.stop();
    await tools?.remove();
    await work?.remove();
  });

  test('pushes a 200 MB layer, mounts it into a second repository, and pulls it back', async () => {
    const source = await OciLayout.create(join(work.path, 'source'));
    const image = await source.addImage({ layerSizes: [200 * MiB] });
    await source.tag(image.manifest, 'v1');
    const archive = join(work.path, 'image.tar');
    await writeDockerArchive(tools, source, 'v1', archive, 'e2e/docker:v1');
    await dockerd.docker(['load', '-i', archive]);

    const first = `${proxy.host}/e2e/docker:v1`;
    await dockerd.docker(['tag', 'e2e/docker:v1', first]);
    const digest = pushedDigest((await dockerd.docker(['push', first])).stdout);

    const pushed = await getManifest(registry.url, 'e2e/docker', 'v1', [MediaType.dockerManifest]);
    expect(pushed.digest).toBe(digest);
    expect(pushed.mediaType).toBe(MediaType.dockerManifest);
    const manifest = JSON.parse(pushed.bytes.toString('utf8')) as { config: { digest: string }; layers: { digest: string; size: number }[] };
    expect(manifest.config.digest).toBe(image.config.digest);
    const layer = manifest.layers[0]!;
    expect(layer.size).toBeGreaterThan(200 * MiB);
    // The layer went up as one request body of its full size.
    expect(
      proxy.requests.some((r) => r.path.startsWith('/v2/e2e/docker/blobs/uploads/') && r.requestBytes === layer.size),
    ).toBe(true);

    // docker remembers where it pushed each layer and asks to mount it into the new repository.
    const before = proxy.requests.length;
    const second = `${proxy.host}/e2e/docker-mount:v1`;
    await dockerd.docker(['tag', 'e2e/docker:v1', second]);
    expect(pushedDigest((await dockerd.docker(['push', second])).stdout)).toBe(digest);
    const secondPush = proxy.requests.slice(before);
    const mount = secondPush.find(
      (r) => r.method === 'POST' && r.path.startsWith('/v2/e2e/docker-mount/blobs/uploads/') && r.path.includes('mount='),
    );
    expect(mount, JSON.stringify(secondPush, null, 1)).toBeDefined();
    expect(decodeURIComponent(mount!.path)).toContain(`mount=${layer.digest}`);
    expect(decodeURIComponent(mount!.path)).toContain('from=e2e/docker');
    expect(mount!.status).toBe(201);
    const uploaded = secondPush.reduce((sum, r) => sum + r.requestBytes, 0);
    expect(uploaded).toBeLessThan(1 * MiB);
    expect(await headBlob(registry.url, 'e2e/docker-mount', layer.digest)).toBe(200);

    await dockerd.docker(['rmi', '-f', first, second, 'e2e/docker:v1']);
    const pull = await dockerd.docker(['pull', first]);
    expect(pull.stdout).toContain(`Digest: ${digest}`);
    const inspected = (await dockerd.docker(['image', 'inspect', '--format', '{{.Id}} {{json .RootFS.Layers}}', first]))
      .stdout.trim()
      .split(' ');
    expect(inspected[0]).toBe(image.config.digest);
    expect(JSON.parse(inspected[1] ?? '[]')).toEqual(image.layers.map((l) => l.diffId));
  }, 240_000);
});

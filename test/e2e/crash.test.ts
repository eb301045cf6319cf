import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createContainersTools, type ContainersTools } from './support/containers-tools.js';
import { MediaType, MiB, OciLayout, readLayoutRef } from './support/oci-layout.js';
import { makeTempDir, waitFor, type TempDir } from './support/process.js';
import { headBlob } from './support/registry-http.js';
import type { RegistryServer } from './support/registry-server.js';
import { startRegistryUnderTest } from './support/registry-under-test.js';

/** Bytes a process has read through read(2)-like calls, sockets included (`rchar` in /proc). */
function bytesRead(pid: number): number {
  const match = /^rchar:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  return Number(match?.[1] ?? 0);
}

describe('a registry killed in the middle of an upload', () => {
  let registry: RegistryServer;
  let tools: ContainersTools;
  let work: TempDir;

  beforeAll(async () => {
    [registry, tools, work] = await Promise.all([startRegistryUnderTest(), createContainersTools(), makeTempDir('crash')]);
  });

  afterAll(async () => {
    await registry?.stop();
    await tools?.remove();
    await work?.remove();
  });

  test('shows no partial blob after kill -9 mid-PATCH, and the same push then succeeds', async () => {
    const source = await OciLayout.create(join(work.path, 'source'));
    const image = await source.addImage({ layerSizes: [200 * MiB] });
    await source.tag(image.manifest, 'v1');
    const layer = image.layers[0]!;
    const reference = `docker://${registry.host}/e2e/crash:v1`;
    const push = () => tools.skopeo(['copy', '--dest-tls-verify=false', `oci:${source.dir}:v1`, reference], { allowFailure: true });

    const pid = registry.process().pid;
    const baseline = bytesRead(pid);
    const interrupted = push();
    // Kill once a good part of the layer has arrived, but well before all of it.
    const received = await waitFor('the layer upload to be under way', () => {
      const delta = bytesRead(pid) - baseline;
      return delta >= 24 * MiB ? delta : undefined;
    }, { timeoutMs: 60_000, intervalMs: 1 });
    await registry.kill9();
    expect(received).toBeLessThan(layer.size);
    const failed = await interrupted;
    expect(failed.code).not.toBe(0);

    await registry.restart();
    expect(await headBlob(registry.url, 'e2e/crash', layer.digest)).toBe(404);
    const manifest = await fetch(`${registry.url}/v2/e2e/crash/manifests/v1`, { headers: { accept: MediaType.ociManifest } });
    expect(manifest.status).toBe(404);

    const retried = await push();
    expect(retried.code, retried.stderr).toBe(0);
    expect(await headBlob(registry.url, 'e2e/crash', layer.digest)).toBe(200);
    const pulledDir = join(work.path, 'pulled');
    await tools.skopeo(['copy', '--src-tls-verify=false', reference, `oci:${pulledDir}:v1`]);
    expect((await readLayoutRef(pulledDir, 'v1'))?.digest).toBe(image.manifest.digest);
  }, 240_000);
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestOf } from '../../functions/core/digest.js';
import { collectGarbage } from '../../functions/lifecycle/gc-sweep.js';
import { Repositories } from '../../functions/lifecycle/repositories.js';
import type { WriteOp } from '../../functions/ports/table.js';
import { bytesOf, pushBlob } from '../support/local-app.js';
import { composedRegistry, pushLayers, randomBytes, type ComposedRegistry } from './support.js';

let registry: ComposedRegistry;
beforeEach(async () => {
  registry = await composedRegistry();
});
afterEach(async () => {
  await registry.cleanup();
});

const now = { dryRun: false, deleteUntagged: false, graceSeconds: 0 };

/** With grace 0, a link written in the very millisecond a pass starts still counts as young. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/** Runs `before` once, just ahead of the first transaction `matches` picks. */
function interleave(matches: (ops: WriteOp[]) => boolean, before: () => Promise<unknown>): void {
  const table = registry.deps.table;
  const transact = table.transact.bind(table);
  let done = false;
  table.transact = async (ops) => {
    if (!done && matches(ops)) {
      done = true;
      await before();
    }
    return transact(ops);
  };
}

const writes = (sk: string) => (ops: WriteOp[]) => ops.some((op) => 'put' in op && op.put.sk.startsWith(sk));

describe('garbage collection racing the registry, step by step', () => {
  it('a manifest whose links a collection removed after it checked them is refused, not stored broken', async () => {
    const layer = randomBytes(300);
    const config = bytesOf(JSON.stringify({ architecture: 'amd64', os: 'linux' }));
    await pushBlob(registry, 'race/app', layer);
    await pushBlob(registry, 'race/app', config);
    await tick();
    // The collection runs after the manifest write read the links, before it commits.
    interleave(writes('manifest#'), () => collectGarbage(registry.deps, now));
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.byteLength },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digestOf(layer), size: layer.byteLength }],
    });
    const response = await registry.request('/v2/race/app/manifests/v1', { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('MANIFEST_BLOB_UNKNOWN');
    expect(await registry.deps.blobs.stat(digestOf(layer))).toBeNull();
    expect((await registry.request('/v2/race/app/manifests/v1')).status).toBe(404);
  });

  it('an upload whose existing bytes a collection removed before the link committed is refused, not linked to nothing', async () => {
    const layer = randomBytes(300);
    await pushBlob(registry, 'first/old', layer);
    await tick();
    // The same bytes pushed elsewhere: the commit keeps the stored copy, then the collection
    // (which finds them unreferenced) removes them before the link commits.
    interleave(writes('blob#'), () => collectGarbage(registry.deps, now));
    const response = await registry.request(`/v2/second/new/blobs/uploads/?digest=${digestOf(layer)}`, { method: 'POST', body: layer, headers: { 'content-type': 'application/octet-stream' } });
    expect(response.status).toBe(400);
    expect((await registry.request(`/v2/second/new/blobs/${digestOf(layer)}`)).status).toBe(404);
    // Pushed again, it is whole.
    await pushBlob(registry, 'second/new', layer);
    const again = await registry.request(`/v2/second/new/blobs/${digestOf(layer)}`);
    expect(digestOf(new Uint8Array(await again.arrayBuffer()))).toBe(digestOf(layer));
  });

  it('a blob linked after the collection read the records stays, even with grace 0', async () => {
    const layer = randomBytes(300);
    await pushBlob(registry, 'race/one', layer);
    await tick();
    // The collection removes race/one's unreferenced link; race/two links the same bytes (a
    // mount) while the collection runs, after it read the records.
    interleave(
      (ops) => ops.some((op) => 'delete' in op && op.delete.sk.startsWith('blob#')),
      async () => {
        const mount = await registry.request(`/v2/race/two/blobs/uploads/?mount=${digestOf(layer)}&from=race/one`, { method: 'POST' });
        expect(mount.status).toBe(201);
      },
    );
    await collectGarbage(registry.deps, now);
    const pulled = await registry.request(`/v2/race/two/blobs/${digestOf(layer)}`);
    expect(pulled.status, await pulled.clone().text()).toBe(200);
    expect(digestOf(new Uint8Array(await pulled.arrayBuffer()))).toBe(digestOf(layer));
  });
});

describe('garbage collection passes', () => {
  it('dry run reports the bytes it would free and deletes nothing; the real run frees exactly those', async () => {
    const kept = await pushLayers(registry, 'gc/app', 'v1', [randomBytes(1000)]);
    const doomed = await pushLayers(registry, 'gc/app', 'v2', [randomBytes(3000)]);
    expect((await registry.request(`/v2/gc/app/manifests/${doomed.digest}`, { method: 'DELETE' })).status).toBe(202);
    const freed = doomed.blobs.reduce((sum, blob) => sum + blob.bytes.byteLength, 0);

    const dry = await collectGarbage(registry.deps, { ...now, dryRun: true });
    expect(dry.bytesFreed).toBe(freed);
    expect(dry.blobsDeleted).toBe(2);
    for (const blob of doomed.blobs) expect(await registry.deps.blobs.stat(blob.digest)).not.toBeNull();

    const real = await collectGarbage(registry.deps, now);
    expect(real.bytesFreed).toBe(freed);
    for (const blob of doomed.blobs) expect(await registry.deps.blobs.stat(blob.digest)).toBeNull();
    for (const blob of kept.blobs) expect(await registry.deps.blobs.stat(blob.digest)).not.toBeNull();
    expect((await registry.request('/v2/gc/app/manifests/v1')).status).toBe(200);
  });

  it('keeps blobs younger than the grace period, and untagged manifests unless asked', async () => {
    const image = await pushLayers(registry, 'gc/app', 'v1', [randomBytes(100)]);
    expect((await registry.request('/v2/gc/app/manifests/v1', { method: 'DELETE' })).status).toBe(202);
    const young = await collectGarbage(registry.deps, { dryRun: false, deleteUntagged: true, graceSeconds: 3600 });
    expect(young).toMatchObject({ blobsDeleted: 0, manifestsDeleted: 0 });
    const untaggedKept = await collectGarbage(registry.deps, now);
    expect(untaggedKept).toMatchObject({ blobsDeleted: 0, manifestsDeleted: 0 });
    expect((await registry.request(`/v2/gc/app/manifests/${image.digest}`)).status).toBe(200);

    const untagged = await collectGarbage(registry.deps, { ...now, deleteUntagged: true });
    expect(untagged).toMatchObject({ blobsDeleted: 2, manifestsDeleted: 1, repositoriesRemoved: 1 });
    expect((await registry.request(`/v2/gc/app/manifests/${image.digest}`)).status).toBe(404);
    const catalog = (await (await registry.request('/v2/_catalog')).json()) as { repositories: string[] };
    expect(catalog.repositories).not.toContain('gc/app');
  });

  it('adds a repository written before the project index existed to it', async () => {
    await pushLayers(registry, 'legacy/app', 'v1', [randomBytes(100)]);
    const meta = (await registry.deps.table.get({ pk: 'repo#legacy/app', sk: 'meta' }))!;
    const { gsi1pk: _pk, gsi1sk: _sk, ...unindexed } = meta;
    await registry.deps.table.put(unindexed);
    expect(await new Repositories(registry.deps).names('legacy')).toEqual([]);
    await collectGarbage(registry.deps, now);
    expect(await new Repositories(registry.deps).names('legacy')).toEqual(['legacy/app']);
  });

  it('keeps the children of a tagged index and the signatures of a kept manifest', async () => {
    const child = await pushLayers(registry, 'gc/multi', 'child', [randomBytes(100)]);
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: child.digest, size: child.body.length, platform: { architecture: 'arm64', os: 'linux' } }],
    });
    expect((await registry.request('/v2/gc/multi/manifests/v1', { method: 'PUT', body: index, headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' } })).status).toBe(201);
    // The child's own tag goes: only the index keeps it now.
    expect((await registry.request('/v2/gc/multi/manifests/child', { method: 'DELETE' })).status).toBe(202);
    const result = await collectGarbage(registry.deps, { ...now, deleteUntagged: true });
    expect(result.manifestsDeleted).toBe(0);
    expect((await registry.request(`/v2/gc/multi/manifests/${child.digest}`)).status).toBe(200);
  });
});

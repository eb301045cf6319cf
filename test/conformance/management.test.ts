import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { imageConfig, imageManifest, mediaTypes, randomLayer, uniqueRepository, unknownDigest } from './content.js';
import { bodyBytes, expectOciError, explain, pushBlob, pushBlobs, pushManifest } from './oci-client.js';
import { openTarget, type Target } from './target.js';

// Spec "Content Management": deleting tags and manifests (end-9) and blobs (end-10).

let target: Target;
const repository = uniqueRepository('management');
const config = imageConfig();
const layer = randomLayer(500);

beforeAll(async () => {
  target = await openTarget();
  await pushBlobs(target, repository, [config, layer]);
});

afterAll(async () => {
  await target?.close();
});

async function status(path: string): Promise<number> {
  return (await target.fetch(path, { headers: { accept: mediaTypes.manifest } })).status;
}

async function tagList(): Promise<string[]> {
  const response = await target.fetch(`/v2/${repository}/tags/list`);
  expect(response.status, await explain(response)).toBe(200);
  return ((await response.json()) as { tags: string[] | null }).tags ?? [];
}

const del = (path: string) => target.fetch(path, { method: 'DELETE' });

describe('end-9 deleting a tag', () => {
  test('202; the tag is gone, the manifest and its other tags stay', async () => {
    const manifest = imageManifest({ config, layers: [layer], annotations: { case: 'tag-delete' } });
    await pushManifest(target, repository, 'keep', manifest);
    await pushManifest(target, repository, 'drop', manifest);
    const response = await del(`/v2/${repository}/manifests/drop`);
    expect(response.status, await explain(response)).toBe(202);
    await expectOciError(await target.fetch(`/v2/${repository}/manifests/drop`), 404, 'MANIFEST_UNKNOWN');
    expect(await status(`/v2/${repository}/manifests/keep`)).toBe(200);
    expect(await status(`/v2/${repository}/manifests/${manifest.digest}`)).toBe(200);
    const tags = await tagList();
    expect(tags).toContain('keep');
    expect(tags).not.toContain('drop');
  });

  test('an unknown tag is 404 MANIFEST_UNKNOWN', async () => {
    await expectOciError(await del(`/v2/${repository}/manifests/never-pushed`), 404, 'MANIFEST_UNKNOWN');
  });
});

describe('end-9 deleting a manifest', () => {
  test('202; the digest and every tag pointing at it answer 404', async () => {
    const manifest = imageManifest({ config, layers: [layer], annotations: { case: 'manifest-delete' } });
    await pushManifest(target, repository, 'doomed-1', manifest);
    await pushManifest(target, repository, 'doomed-2', manifest);
    const response = await del(`/v2/${repository}/manifests/${manifest.digest}`);
    expect(response.status, await explain(response)).toBe(202);
    await expectOciError(await target.fetch(`/v2/${repository}/manifests/${manifest.digest}`), 404, 'MANIFEST_UNKNOWN');
    expect(await status(`/v2/${repository}/manifests/doomed-1`)).toBe(404);
    expect(await status(`/v2/${repository}/manifests/doomed-2`)).toBe(404);
    const tags = await tagList();
    expect(tags).not.toContain('doomed-1');
    expect(tags).not.toContain('doomed-2');
  });

  test('deleting a manifest leaves the blobs it named', async () => {
    const manifest = imageManifest({ config, layers: [layer], annotations: { case: 'blobs-stay' } });
    await pushManifest(target, repository, manifest.digest, manifest);
    expect((await del(`/v2/${repository}/manifests/${manifest.digest}`)).status).toBe(202);
    const response = await target.fetch(`/v2/${repository}/blobs/${layer.digest}`);
    expect(response.status).toBe(200);
    expect(await bodyBytes(response)).toEqual(layer.bytes);
  });

  test('a deleted manifest can be pushed again', async () => {
    const manifest = imageManifest({ config, layers: [layer], annotations: { case: 'again' } });
    await pushManifest(target, repository, 'again', manifest);
    expect((await del(`/v2/${repository}/manifests/${manifest.digest}`)).status).toBe(202);
    await pushManifest(target, repository, 'again', manifest);
    expect(await status(`/v2/${repository}/manifests/again`)).toBe(200);
  });

  test('an unknown digest is 404 MANIFEST_UNKNOWN', async () => {
    await expectOciError(await del(`/v2/${repository}/manifests/${unknownDigest()}`), 404, 'MANIFEST_UNKNOWN');
  });

  test('a repository that does not exist is 404', async () => {
    await expectOciError(await del(`/v2/${uniqueRepository('gone')}/manifests/${unknownDigest()}`), 404, ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN']);
  });
});

describe('end-10 deleting a blob', () => {
  test('202; then GET and HEAD answer 404 and a second delete is 404 BLOB_UNKNOWN', async () => {
    const blob = randomLayer(800);
    await pushBlob(target, repository, blob);
    const response = await del(`/v2/${repository}/blobs/${blob.digest}`);
    expect(response.status, await explain(response)).toBe(202);
    await expectOciError(await target.fetch(`/v2/${repository}/blobs/${blob.digest}`), 404, 'BLOB_UNKNOWN');
    expect((await target.fetch(`/v2/${repository}/blobs/${blob.digest}`, { method: 'HEAD' })).status).toBe(404);
    await expectOciError(await del(`/v2/${repository}/blobs/${blob.digest}`), 404, 'BLOB_UNKNOWN');
  });

  test('an unknown blob is 404 BLOB_UNKNOWN', async () => {
    await expectOciError(await del(`/v2/${repository}/blobs/${unknownDigest()}`), 404, 'BLOB_UNKNOWN');
  });

  test('a malformed digest is 400 DIGEST_INVALID', async () => {
    await expectOciError(await del(`/v2/${repository}/blobs/sha256:zz`), 400, 'DIGEST_INVALID');
  });

  test('a deleted blob can be pushed again', async () => {
    const blob = randomLayer(640);
    await pushBlob(target, repository, blob);
    expect((await del(`/v2/${repository}/blobs/${blob.digest}`)).status).toBe(202);
    await pushBlob(target, repository, blob);
    expect((await target.fetch(`/v2/${repository}/blobs/${blob.digest}`)).status).toBe(200);
  });
});

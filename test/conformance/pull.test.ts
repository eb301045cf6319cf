import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { imageConfig, imageManifest, mediaTypes, randomLayer, sha256, uniqueRepository, unknownDigest, type Content } from './content.js';
import { bodyBytes, expectOciError, pushBlobs, pushManifest } from './oci-client.js';
import { openTarget, type Target } from './target.js';

// Spec "Pull": end-1, end-2 and end-3, GET and HEAD, by tag and by digest.

let target: Target;
const repository = uniqueRepository('pull');
const tag = 'v1';
const config = imageConfig();
const layer = randomLayer(4096);
const tagged = imageManifest({ config, layers: [layer] });
const untagged = imageManifest({ config, layers: [layer], annotations: { 'test.variant': 'by-digest' } });

beforeAll(async () => {
  target = await openTarget();
  await pushBlobs(target, repository, [config, layer]);
  await pushManifest(target, repository, tag, tagged);
  await pushManifest(target, repository, untagged.digest, untagged);
});

afterAll(async () => {
  await target?.close();
});

describe('end-1 GET /v2/', () => {
  test('answers 200, so clients know the registry speaks the API', async () => {
    const response = await target.fetch('/v2/');
    expect(response.status).toBe(200);
    // Not in the OCI spec, but docker refuses a registry that omits it.
    expect(response.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });
});

describe('end-2 blobs', () => {
  test('GET returns the exact bytes with their digest and length', async () => {
    const response = await target.fetch(`/v2/${repository}/blobs/${layer.digest}`);
    expect(response.status).toBe(200);
    const bytes = await bodyBytes(response);
    expect(sha256(bytes)).toBe(layer.digest);
    expect(response.headers.get('docker-content-digest')).toBe(layer.digest);
    expect(response.headers.get('content-length')).toBe(String(layer.bytes.byteLength));
  });

  test('HEAD answers 200 with digest and length and no body', async () => {
    const response = await target.fetch(`/v2/${repository}/blobs/${config.digest}`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('docker-content-digest')).toBe(config.digest);
    expect(response.headers.get('content-length')).toBe(String(config.bytes.byteLength));
    expect((await bodyBytes(response)).byteLength).toBe(0);
  });

  test('a Range request answers 206 with just those bytes', async () => {
    const response = await target.fetch(`/v2/${repository}/blobs/${layer.digest}`, { headers: { range: 'bytes=100-199' } });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(`bytes 100-199/${layer.bytes.byteLength}`);
    expect(await bodyBytes(response)).toEqual(layer.bytes.subarray(100, 200));
  });

  test('a suffix Range answers the last bytes', async () => {
    const response = await target.fetch(`/v2/${repository}/blobs/${layer.digest}`, { headers: { range: 'bytes=-10' } });
    expect(response.status).toBe(206);
    expect(await bodyBytes(response)).toEqual(layer.bytes.subarray(layer.bytes.byteLength - 10));
  });

  test('a Range past the end answers 416', async () => {
    const response = await target.fetch(`/v2/${repository}/blobs/${layer.digest}`, { headers: { range: `bytes=${layer.bytes.byteLength + 10}-` } });
    expect(response.status).toBe(416);
    expect(response.headers.get('content-range')).toBe(`bytes */${layer.bytes.byteLength}`);
  });

  test('GET of an unknown blob is 404 BLOB_UNKNOWN', async () => {
    await expectOciError(await target.fetch(`/v2/${repository}/blobs/${unknownDigest()}`), 404, 'BLOB_UNKNOWN');
  });

  test('HEAD of an unknown blob is 404', async () => {
    const response = await target.fetch(`/v2/${repository}/blobs/${unknownDigest()}`, { method: 'HEAD' });
    expect(response.status).toBe(404);
  });

  test('a blob pushed to one repository is not visible through another', async () => {
    const response = await target.fetch(`/v2/${uniqueRepository('elsewhere')}/blobs/${layer.digest}`);
    expect(response.status).toBe(404);
  });

  test('a malformed digest is 400 DIGEST_INVALID', async () => {
    await expectOciError(await target.fetch(`/v2/${repository}/blobs/sha256:not-hex`), 400, 'DIGEST_INVALID');
  });
});

describe('end-3 manifests', () => {
  const cases: [string, () => string, () => Content][] = [
    ['tag', () => tag, () => tagged],
    ['digest', () => tagged.digest, () => tagged],
    ['digest of a manifest pushed by digest', () => untagged.digest, () => untagged],
  ];

  test.each(cases)('GET by %s returns the pushed bytes, type and digest', async (_, reference, manifest) => {
    const response = await target.fetch(`/v2/${repository}/manifests/${reference()}`, {
      headers: { accept: mediaTypes.manifest },
    });
    expect(response.status).toBe(200);
    expect(await bodyBytes(response)).toEqual(manifest().bytes);
    expect(response.headers.get('content-type')).toBe(mediaTypes.manifest);
    expect(response.headers.get('docker-content-digest')).toBe(manifest().digest);
  });

  test.each(cases)('HEAD by %s answers 200 with digest, type and length', async (_, reference, manifest) => {
    const response = await target.fetch(`/v2/${repository}/manifests/${reference()}`, {
      method: 'HEAD',
      headers: { accept: mediaTypes.manifest },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('docker-content-digest')).toBe(manifest().digest);
    expect(response.headers.get('content-type')).toBe(mediaTypes.manifest);
    expect(response.headers.get('content-length')).toBe(String(manifest().bytes.byteLength));
  });

  test('GET of an unknown tag is 404 MANIFEST_UNKNOWN', async () => {
    await expectOciError(await target.fetch(`/v2/${repository}/manifests/no-such-tag`), 404, 'MANIFEST_UNKNOWN');
  });

  test('GET of an unknown digest is 404 MANIFEST_UNKNOWN', async () => {
    await expectOciError(await target.fetch(`/v2/${repository}/manifests/${unknownDigest()}`), 404, 'MANIFEST_UNKNOWN');
  });

  test('HEAD of an unknown manifest is 404', async () => {
    const response = await target.fetch(`/v2/${repository}/manifests/no-such-tag`, { method: 'HEAD' });
    expect(response.status).toBe(404);
  });

  test('a manifest in a repository that does not exist is 404', async () => {
    await expectOciError(await target.fetch(`/v2/${uniqueRepository('absent')}/manifests/${tag}`), 404, ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN']);
  });

  test('a reference that is neither tag nor digest is 400 or 404 with a spec error body', async () => {
    // `sha256:totallywrong` fails the tag grammar (no `:`) and the digest grammar (not hex).
    const response = await target.fetch(`/v2/${repository}/manifests/sha256:totallywrong`);
    await expectOciError(response, [400, 404], ['DIGEST_INVALID', 'MANIFEST_INVALID', 'MANIFEST_UNKNOWN']);
  });

  // end-3 knows one failure, 404: a reference no tag can have names no manifest.
  test.each([
    ['a leading dot', '.INVALID_TAG'],
    ['a leading dash', '-dash-first'],
    ['129 characters', 't'.repeat(129)],
  ])('GET of a tag with %s, outside the tag grammar, is 404 MANIFEST_UNKNOWN', async (_, reference) => {
    await expectOciError(await target.fetch(`/v2/${repository}/manifests/${reference}`), 404, 'MANIFEST_UNKNOWN');
  });

  test('HEAD of a reference outside the tag grammar is 404', async () => {
    const response = await target.fetch(`/v2/${repository}/manifests/.INVALID_TAG`, { method: 'HEAD' });
    expect(response.status).toBe(404);
  });
});

describe('repository names', () => {
  test.each([['Upper/case'], ['double//slash'], ['trailing-/x'], ['-leading/dash']])(
    'a name outside the grammar (%s) is 400 NAME_INVALID before anything is looked up',
    async (name) => {
      await expectOciError(await target.fetch(`/v2/${name}/tags/list`), 400, 'NAME_INVALID');
    },
  );

  test('multi-level names work', async () => {
    const deep = `${uniqueRepository('a')}/b/c.d/e_f/g-h`;
    await pushBlobs(target, deep, [config, layer]);
    await pushManifest(target, deep, 'deep', tagged);
    const response = await target.fetch(`/v2/${deep}/manifests/deep`, { headers: { accept: mediaTypes.manifest } });
    expect(response.status).toBe(200);
    expect(await bodyBytes(response)).toEqual(tagged.bytes);
  });
});

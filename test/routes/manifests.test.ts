import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { digestOf } from '../../functions/core/digest.js';
import { BlobLinks } from '../../functions/registry/blob-links.js';
import { registryCapability } from '../../functions/registry/registry-capability.js';
import { bytesOf, errorOf, type LocalRegistry, localRegistry, pushBlob, pushImage } from '../support/local-app.js';

let registry: LocalRegistry;
beforeEach(async () => {
  registry = await localRegistry();
});
afterEach(async () => {
  await registry.cleanup();
});

const ociManifest = 'application/vnd.oci.image.manifest.v1+json';
const ociIndex = 'application/vnd.oci.image.index.v1+json';
const dockerManifest = 'application/vnd.docker.distribution.manifest.v2+json';
const dockerList = 'application/vnd.docker.distribution.manifest.list.v2+json';

describe('manifests: happy paths', () => {
  test('PUT by tag, then GET and HEAD by tag and digest return the bytes as pushed', async () => {
    const { digest, body, response } = await pushImage(registry, 'lib/app', 'v1');
    expect(response.status).toBe(201);
    expect(response.headers.get('docker-content-digest')).toBe(digest);
    expect(response.headers.get('location')).toBe(`/v2/lib/app/manifests/${digest}`);
    for (const reference of ['v1', digest]) {
      const get = await registry.request(`/v2/lib/app/manifests/${reference}`, { headers: { accept: ociManifest } });
      expect(get.status).toBe(200);
      expect(get.headers.get('content-type')).toBe(ociManifest);
      expect(get.headers.get('docker-content-digest')).toBe(digest);
      expect(await get.text()).toBe(body);
      const head = await registry.request(`/v2/lib/app/manifests/${reference}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(bytesOf(body).byteLength));
    }
  });

  test('whitespace and key order are kept byte for byte', async () => {
    const config = await pushBlob(registry, 'lib/app', bytesOf('{}'));
    const body = `{\n  "schemaVersion": 2,\n  "layers": [],\n  "mediaType": "${ociManifest}",\n  "config": {"size": 2, "digest": "${config}", "mediaType": "application/vnd.oci.image.config.v1+json"}\n}\n`;
    const put = await registry.request('/v2/lib/app/manifests/odd', { method: 'PUT', body, headers: { 'content-type': ociManifest } });
    expect(put.status).toBe(201);
    expect(await (await registry.request('/v2/lib/app/manifests/odd')).text()).toBe(body);
  });

  test('PUT by digest, Docker schema 2 and manifest lists, OCI indexes with two platforms', async () => {
    const amd = await pushImage(registry, 'lib/multi', 'amd64');
    const arm = await pushImage(registry, 'lib/multi', 'arm64');
    for (const mediaType of [ociIndex, dockerList]) {
      const list = JSON.stringify({
        schemaVersion: 2,
        mediaType,
        manifests: [
          { mediaType: ociManifest, digest: amd.digest, size: bytesOf(amd.body).byteLength, platform: { architecture: 'amd64', os: 'linux' } },
          { mediaType: ociManifest, digest: arm.digest, size: bytesOf(arm.body).byteLength, platform: { architecture: 'arm64', os: 'linux' } },
        ],
      });
      const digest = digestOf(bytesOf(list));
      const put = await registry.request(`/v2/lib/multi/manifests/${digest}`, { method: 'PUT', body: list, headers: { 'content-type': mediaType } });
      expect(put.status).toBe(201);
      const get = await registry.request(`/v2/lib/multi/manifests/${digest}`, { headers: { accept: `${mediaType}, ${ociManifest}` } });
      expect(get.headers.get('content-type')).toBe(mediaType);
    }
    const config = await pushBlob(registry, 'lib/docker', bytesOf('{"os":"linux"}'));
    const docker = JSON.stringify({ schemaVersion: 2, mediaType: dockerManifest, config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: config, size: 14 }, layers: [] });
    expect((await registry.request('/v2/lib/docker/manifests/latest', { method: 'PUT', body: docker, headers: { 'content-type': dockerManifest } })).status).toBe(201);
  });

  test('Accept negotiation: a client that accepts only other manifest types gets MANIFEST_UNKNOWN', async () => {
    await pushImage(registry, 'lib/app', 'v1');
    const refused = await registry.request('/v2/lib/app/manifests/v1', { headers: { accept: dockerManifest } });
    expect(await errorOf(refused)).toEqual({ status: 404, code: 'MANIFEST_UNKNOWN' });
    expect((await registry.request('/v2/lib/app/manifests/v1', { headers: { accept: '*/*' } })).status).toBe(200);
  });

  test('moving a tag, deleting a tag, deleting a manifest removes its tags', async () => {
    const first = await pushImage(registry, 'lib/app', 'v1');
    const second = await pushImage(registry, 'lib/app', 'v1');
    expect((await registry.request('/v2/lib/app/manifests/v1', { method: 'HEAD' })).headers.get('docker-content-digest')).toBe(second.digest);
    await registry.request(`/v2/lib/app/manifests/${second.digest}`, { method: 'PUT', body: second.body, headers: { 'content-type': ociManifest } });
    await pushImage(registry, 'lib/app', 'keep');
    await registry.request(`/v2/lib/app/manifests/v2`, { method: 'PUT', body: first.body, headers: { 'content-type': ociManifest } });
    expect((await registry.request('/v2/lib/app/manifests/v2', { method: 'DELETE' })).status).toBe(202);
    expect((await registry.request('/v2/lib/app/manifests/v2')).status).toBe(404);
    expect((await registry.request(`/v2/lib/app/manifests/${first.digest}`)).status).toBe(200);
    expect((await registry.request(`/v2/lib/app/manifests/${second.digest}`, { method: 'DELETE' })).status).toBe(202);
    expect((await registry.request('/v2/lib/app/manifests/v1')).status).toBe(404);
    const tags = (await (await registry.request('/v2/lib/app/tags/list')).json()) as { tags: string[] };
    expect(tags.tags).toEqual(['keep']);
  });

  test('a manifest larger than the inline limit is stored and returned whole', async () => {
    const annotations: Record<string, string> = {};
    for (let i = 0; i < 4000; i++) annotations[`org.example.key${i}`] = 'x'.repeat(100);
    const { digest, body, response } = await pushImage(registry, 'lib/big', 'v1', { annotations });
    expect(response.status).toBe(201);
    expect(bytesOf(body).byteLength).toBeGreaterThan(300 * 1024);
    const get = await registry.request(`/v2/lib/big/manifests/${digest}`);
    expect(await get.text()).toBe(body);
  });

  test('the bytes of a large manifest count as held by its repository until the manifest is deleted', async () => {
    const annotations: Record<string, string> = {};
    for (let i = 0; i < 4000; i++) annotations[`org.example.key${i}`] = 'x'.repeat(100);
    const { digest } = await pushImage(registry, 'lib/big', 'v1', { annotations });
    const links = new BlobLinks(registry.deps.table);
    const collect = registryCapability({ table: registry.deps.table, blobs: registry.deps.blobs }).jobs!['gc-blob']!;
    const gc = { version: 1, kind: 'gc-blob', id: crypto.randomUUID(), digest } as const;
    await collect(gc);
    expect(await registry.deps.blobs.stat(digest)).not.toBeNull();
    expect((await registry.request(`/v2/lib/big/manifests/${digest}`)).status).toBe(200);
    expect((await registry.request(`/v2/lib/big/manifests/${digest}`, { method: 'DELETE' })).status).toBe(202);
    expect(await links.repositoriesHolding(digest)).toEqual([]);
    await collect(gc);
    expect(await registry.deps.blobs.stat(digest)).toBeNull();
  });
});

describe('manifests: bad input', () => {
  const put = (path: string, body: string | Uint8Array<ArrayBuffer>, contentType = ociManifest) =>
    registry.request(path, { method: 'PUT', body, headers: { 'content-type': contentType } });

  test('invalid JSON, wrong shapes and schema 1 are MANIFEST_INVALID', async () => {
    for (const body of ['{not json', '[]', '{"schemaVersion":2}', '{"schemaVersion":2,"config":{},"layers":[]}', '\xff\xfe']) {
      expect(await errorOf(await put('/v2/lib/app/manifests/bad', body))).toEqual({ status: 400, code: 'MANIFEST_INVALID' });
    }
    const schema1 = JSON.stringify({ schemaVersion: 1, name: 'lib/app', tag: 'x', fsLayers: [] });
    expect(await errorOf(await put('/v2/lib/app/manifests/bad', schema1, 'application/vnd.docker.distribution.manifest.v1+prettyjws'))).toEqual({ status: 400, code: 'MANIFEST_INVALID' });
    const mismatched = JSON.stringify({ schemaVersion: 2, mediaType: dockerManifest, config: { mediaType: 'x', digest: digestOf(bytesOf('a')), size: 1 }, layers: [] });
    expect(await errorOf(await put('/v2/lib/app/manifests/bad', mismatched))).toEqual({ status: 400, code: 'MANIFEST_INVALID' });
    expect((await registry.request('/v2/lib/app/manifests/bad')).status).toBe(404);
  });

  test('a manifest naming a blob the repository lacks is MANIFEST_BLOB_UNKNOWN and nothing is stored', async () => {
    const missing = digestOf(bytesOf('never pushed'));
    const body = JSON.stringify({ schemaVersion: 2, mediaType: ociManifest, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: missing, size: 12 }, layers: [] });
    const response = await put('/v2/lib/app/manifests/v1', body);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe('MANIFEST_BLOB_UNKNOWN');
    expect((await registry.request('/v2/lib/app/manifests/v1')).status).toBe(404);
    const otherRepo = await pushBlob(registry, 'lib/other', bytesOf('{}'));
    const foreign = JSON.stringify({ schemaVersion: 2, mediaType: ociManifest, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: otherRepo, size: 2 }, layers: [] });
    expect((await errorOf(await put('/v2/lib/app/manifests/v1', foreign))).code).toBe('MANIFEST_BLOB_UNKNOWN');
    const index = JSON.stringify({ schemaVersion: 2, mediaType: ociIndex, manifests: [{ mediaType: ociManifest, digest: missing, size: 1 }] });
    expect((await errorOf(await put('/v2/lib/app/manifests/v1', index, ociIndex))).code).toBe('MANIFEST_BLOB_UNKNOWN');
  });

  test('an oversized manifest is 413 SIZE_INVALID', async () => {
    const response = await put('/v2/lib/app/manifests/big', new Uint8Array(4 * 1024 * 1024 + 1));
    expect(await errorOf(response)).toEqual({ status: 413, code: 'SIZE_INVALID' });
  });

  test('a digest reference that does not match the body is DIGEST_INVALID', async () => {
    const { body } = await pushImage(registry, 'lib/app', 'v1');
    const wrong = digestOf(bytesOf('something else'));
    expect(await errorOf(await put(`/v2/lib/app/manifests/${wrong}`, body))).toEqual({ status: 400, code: 'DIGEST_INVALID' });
  });

  test('bad references and unknown manifests', async () => {
    expect(await errorOf(await registry.request('/v2/lib/app/manifests/-bad'))).toEqual({ status: 404, code: 'MANIFEST_UNKNOWN' });
    expect(await errorOf(await registry.request(`/v2/lib/app/manifests/${'t'.repeat(129)}`))).toEqual({ status: 404, code: 'MANIFEST_UNKNOWN' });
    const push = await registry.request('/v2/lib/app/manifests/.bad', { method: 'PUT', body: '{}', headers: { 'content-type': ociManifest } });
    expect(await errorOf(push)).toEqual({ status: 400, code: 'MANIFEST_INVALID' });
    expect(await errorOf(await registry.request('/v2/lib/app/manifests/sha256:123'))).toEqual({ status: 400, code: 'DIGEST_INVALID' });
    expect(await errorOf(await registry.request('/v2/lib/app/manifests/missing'))).toEqual({ status: 404, code: 'MANIFEST_UNKNOWN' });
    expect(await errorOf(await registry.request('/v2/lib/app/manifests/missing', { method: 'DELETE' }))).toEqual({ status: 404, code: 'MANIFEST_UNKNOWN' });
  });
});

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  content,
  emptyConfig,
  imageConfig,
  imageIndex,
  imageManifest,
  mediaTypes,
  randomLayer,
  sha256,
  uniqueRepository,
  unknownDigest,
} from './content.js';
import { bodyBytes, expectOciError, explain, pushBlobs, pushManifest, putManifest, requireLocation } from './oci-client.js';
import { openTarget, type Target } from './target.js';

// Spec "Pushing Manifests" (end-7), with subject (OCI-Subject), and the validation the spec allows.

let target: Target;
const repository = uniqueRepository('manifests');
const config = imageConfig();
const layer = randomLayer(2000);

const dockerTypes = {
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  list: 'application/vnd.docker.distribution.manifest.list.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
  layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
};

beforeAll(async () => {
  target = await openTarget();
  await pushBlobs(target, repository, [config, layer]);
});

afterAll(async () => {
  await target?.close();
});

async function expectManifest(reference: string, bytes: Uint8Array, mediaType: string): Promise<void> {
  const response = await target.fetch(`/v2/${repository}/manifests/${reference}`, {
    headers: { accept: [mediaTypes.manifest, mediaTypes.index, dockerTypes.manifest, dockerTypes.list].join(', ') },
  });
  expect(response.status, await explain(response)).toBe(200);
  expect(await bodyBytes(response)).toEqual(bytes);
  expect(response.headers.get('content-type')).toBe(mediaType);
}

describe('end-7 PUT', () => {
  test('by tag: 201 with a pullable Location and the digest of the bytes', async () => {
    const manifest = imageManifest({ config, layers: [layer] });
    const response = await pushManifest(target, repository, 'by-tag', manifest);
    expect(response.headers.get('docker-content-digest')).toBe(manifest.digest);
    const pulled = await target.fetch(requireLocation(response), { headers: { accept: mediaTypes.manifest } });
    expect(pulled.status).toBe(200);
    expect(await bodyBytes(pulled)).toEqual(manifest.bytes);
  });

  test('by digest: 201 and pullable by that digest', async () => {
    const manifest = imageManifest({ config, layers: [layer], annotations: { pushed: 'by-digest' } });
    const response = await pushManifest(target, repository, manifest.digest, manifest);
    expect(response.headers.get('docker-content-digest')).toBe(manifest.digest);
    await expectManifest(manifest.digest, manifest.bytes, mediaTypes.manifest);
  });

  test('the exact bytes are kept, whitespace and key order included', async () => {
    const text = `{\n  "schemaVersion": 2,\n  "layers": [ ${JSON.stringify(layer.descriptor)} ],\n  "config":   ${JSON.stringify(config.descriptor)},\n  "mediaType": "${mediaTypes.manifest}"\n}\n`;
    const manifest = content(new TextEncoder().encode(text), mediaTypes.manifest);
    await pushManifest(target, repository, 'odd-bytes', manifest);
    await expectManifest('odd-bytes', manifest.bytes, mediaTypes.manifest);
    await expectManifest(manifest.digest, manifest.bytes, mediaTypes.manifest);
  });

  test('a manifest with no layers is accepted', async () => {
    const manifest = imageManifest({ config, layers: [] });
    await pushManifest(target, repository, 'no-layers', manifest);
    await expectManifest('no-layers', manifest.bytes, mediaTypes.manifest);
  });

  test('pushing a tag again moves it to the new manifest', async () => {
    const before = imageManifest({ config, layers: [layer], annotations: { round: '1' } });
    const after = imageManifest({ config, layers: [layer], annotations: { round: '2' } });
    await pushManifest(target, repository, 'moving', before);
    await pushManifest(target, repository, 'moving', after);
    await expectManifest('moving', after.bytes, mediaTypes.manifest);
    await expectManifest(before.digest, before.bytes, mediaTypes.manifest);
  });

  test('an OCI index of pushed manifests is accepted and served with its type', async () => {
    const amd64 = imageManifest({ config, layers: [layer], annotations: { arch: 'amd64' } });
    const arm64 = imageManifest({ config, layers: [layer], annotations: { arch: 'arm64' } });
    await pushManifest(target, repository, amd64.digest, amd64);
    await pushManifest(target, repository, arm64.digest, arm64);
    const index = imageIndex({
      manifests: [
        { ...amd64.descriptor, platform: { architecture: 'amd64', os: 'linux' } } as typeof amd64.descriptor,
        { ...arm64.descriptor, platform: { architecture: 'arm64', os: 'linux' } } as typeof arm64.descriptor,
      ],
    });
    await pushManifest(target, repository, 'multi', index);
    await expectManifest('multi', index.bytes, mediaTypes.index);
  });

  test('Docker schema 2 manifests and manifest lists are accepted and served with their types', async () => {
    const dockerConfig = content(config.bytes, dockerTypes.config);
    const dockerLayer = content(layer.bytes, dockerTypes.layer);
    const manifest = content(
      new TextEncoder().encode(
        JSON.stringify({ schemaVersion: 2, mediaType: dockerTypes.manifest, config: dockerConfig.descriptor, layers: [dockerLayer.descriptor] }),
      ),
      dockerTypes.manifest,
    );
    await pushManifest(target, repository, 'docker', manifest);
    await expectManifest('docker', manifest.bytes, dockerTypes.manifest);
    const list = content(
      new TextEncoder().encode(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: dockerTypes.list,
          manifests: [{ ...manifest.descriptor, platform: { architecture: 'amd64', os: 'linux' } }],
        }),
      ),
      dockerTypes.list,
    );
    await pushManifest(target, repository, 'docker-list', list);
    await expectManifest('docker-list', list.bytes, dockerTypes.list);
  });
});

describe('end-7 validation', () => {
  test('a digest reference that does not match the bytes is 400 DIGEST_INVALID', async () => {
    const manifest = imageManifest({ config, layers: [layer], annotations: { wrong: 'digest' } });
    const response = await putManifest(target, repository, unknownDigest(), manifest);
    await expectOciError(response, 400, 'DIGEST_INVALID');
  });

  test('a manifest naming a missing layer is MANIFEST_BLOB_UNKNOWN', async () => {
    const manifest = imageManifest({ config, layers: [randomLayer(10)] });
    await expectOciError(await putManifest(target, repository, 'missing-layer', manifest), [400, 404], 'MANIFEST_BLOB_UNKNOWN');
    expect((await target.fetch(`/v2/${repository}/manifests/missing-layer`)).status).toBe(404);
  });

  test('a manifest naming a missing config is MANIFEST_BLOB_UNKNOWN', async () => {
    const manifest = imageManifest({ config: imageConfig(), layers: [layer] });
    await expectOciError(await putManifest(target, repository, 'missing-config', manifest), [400, 404], 'MANIFEST_BLOB_UNKNOWN');
  });

  test('an index naming a missing manifest is MANIFEST_BLOB_UNKNOWN', async () => {
    const absent = imageManifest({ config, layers: [layer], annotations: { never: 'pushed' } });
    const index = imageIndex({ manifests: [absent.descriptor] });
    await expectOciError(await putManifest(target, repository, 'missing-child', index), [400, 404], 'MANIFEST_BLOB_UNKNOWN');
  });

  test('a body that is not JSON is 400 MANIFEST_INVALID', async () => {
    const garbage = content(new TextEncoder().encode('{"schemaVersion": 2, "mediaType": '), mediaTypes.manifest);
    await expectOciError(await putManifest(target, repository, 'garbage', garbage), 400, 'MANIFEST_INVALID');
  });

  test('JSON that is not a manifest is 400 MANIFEST_INVALID', async () => {
    const wrong = content(new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.manifest, layers: 'none' })), mediaTypes.manifest);
    await expectOciError(await putManifest(target, repository, 'wrong-shape', wrong), 400, 'MANIFEST_INVALID');
  });

  test('a Docker schema 1 manifest is refused', async () => {
    const schema1 = content(
      new TextEncoder().encode(JSON.stringify({ schemaVersion: 1, name: repository, tag: 'old', architecture: 'amd64', fsLayers: [], history: [] })),
      'application/vnd.docker.distribution.manifest.v1+prettyjws',
    );
    await expectOciError(await putManifest(target, repository, 'schema1', schema1), [400, 415], ['MANIFEST_INVALID', 'UNSUPPORTED']);
  });

  test('an invalid tag is refused with 400', async () => {
    const manifest = imageManifest({ config, layers: [layer] });
    await expectOciError(await putManifest(target, repository, '.starts-with-dot', manifest), 400, ['MANIFEST_INVALID', 'NAME_INVALID']);
  });

  test('a manifest of 4 MB is accepted', async () => {
    // The spec asks registries to take manifests of at least 4 megabytes.
    const manifest = imageManifest({ config, layers: [layer], annotations: { padding: 'x'.repeat(3_990_000) } });
    const response = await putManifest(target, repository, 'large', manifest);
    expect(response.status, await explain(response)).toBe(201);
  });

  test('a manifest far over any sensible limit is 413', async () => {
    const manifest = imageManifest({ config, layers: [layer], annotations: { padding: 'x'.repeat(32 * 1024 * 1024) } });
    const response = await putManifest(target, repository, 'huge', manifest);
    expect(response.status, await explain(response)).toBe(413);
  });
});

describe('subject (Pushing Manifests with Subject)', () => {
  test('a manifest with a subject answers OCI-Subject with the subject digest', async () => {
    const image = imageManifest({ config, layers: [layer], annotations: { role: 'subject' } });
    await pushManifest(target, repository, image.digest, image);
    const empty = emptyConfig();
    await pushBlobs(target, repository, [empty]);
    const signature = imageManifest({ config: empty, layers: [empty], artifactType: 'application/vnd.test.signature', subject: image.descriptor });
    const response = await pushManifest(target, repository, signature.digest, signature);
    expect(response.headers.get('oci-subject')).toBe(image.digest);
  });

  test('a subject that does not exist yet is accepted and acknowledged with OCI-Subject', async () => {
    const empty = emptyConfig();
    await pushBlobs(target, repository, [empty]);
    const absent = { mediaType: mediaTypes.manifest, digest: unknownDigest(), size: 1234 };
    const artifact = imageManifest({ config: empty, layers: [empty], artifactType: 'application/vnd.test.sbom', subject: absent });
    const response = await pushManifest(target, repository, artifact.digest, artifact);
    expect(response.headers.get('oci-subject')).toBe(absent.digest);
    expect(sha256(artifact.bytes)).toBe(artifact.digest);
  });
});

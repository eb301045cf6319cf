import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MediaType } from './support/oci-layout.js';
import { getReferrers, pushBlob, putManifest } from './support/registry-http.js';
import type { RegistryServer } from './support/registry-server.js';
import { startRegistryUnderTest } from './support/registry-under-test.js';

const sbomType = 'application/vnd.example.sbom.v1+json';
const signatureType = 'application/vnd.example.signature.v1+json';

describe('artifacts with a subject over plain HTTP', () => {
  let registry: RegistryServer;

  beforeAll(async () => {
    registry = await startRegistryUnderTest();
  });

  afterAll(async () => {
    await registry?.stop();
  });

  test('are listed by GET /v2/<name>/referrers/<digest>, filtered by artifactType', async (context) => {
    if (!registry.supports.referrers) context.skip();
    const repository = 'e2e/referrers';
    const url = registry.url;

    const layer = await pushBlob(url, repository, MediaType.ociLayerGzip, Buffer.from(`layer ${Date.now()}`));
    const config = await pushBlob(
      url,
      repository,
      MediaType.ociConfig,
      Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } })),
    );
    const subject = await putManifest(
      url,
      repository,
      MediaType.ociManifest,
      { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [layer] },
      'v1',
    );

    const empty = await pushBlob(url, repository, MediaType.ociEmpty, Buffer.from('{}'));
    const pushArtifact = async (artifactType: string, payload: string) => {
      const blob = await pushBlob(url, repository, artifactType, Buffer.from(payload));
      const manifest = {
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        artifactType,
        config: { ...empty, data: Buffer.from('{}').toString('base64') },
        layers: [blob],
        subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
        annotations: { 'org.opencontainers.image.created': new Date().toISOString() },
      };
      const pushed = await putManifest(url, repository, MediaType.ociManifest, manifest);
      // Spec: a registry that processes `subject` answers with OCI-Subject.
      expect(pushed.response.headers.get('oci-subject')).toBe(subject.digest);
      return pushed;
    };
    const sbom = await pushArtifact(sbomType, '{"packages":[]}');
    const signature = await pushArtifact(signatureType, 'signed');

    const all = await getReferrers(url, repository, subject.digest);
    expect(all.contentType).toContain(MediaType.ociIndex);
    const byDigest = new Map(all.index.manifests.map((entry) => [entry.digest, entry]));
    expect(byDigest.size).toBe(2);
    expect(byDigest.get(sbom.digest)).toMatchObject({
      mediaType: MediaType.ociManifest,
      size: sbom.size,
      artifactType: sbomType,
    });
    expect(byDigest.get(signature.digest)).toMatchObject({ artifactType: signatureType, size: signature.size });

    const filtered = await getReferrers(url, repository, subject.digest, sbomType);
    expect(filtered.filtersApplied).toBe('artifactType');
    expect(filtered.index.manifests.map((entry) => entry.digest)).toEqual([sbom.digest]);

    // A manifest nothing refers to has an empty list, not a 404.
    const none = await getReferrers(url, repository, sbom.digest);
    expect(none.index.manifests).toEqual([]);
  });
});

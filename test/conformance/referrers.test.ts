import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  content,
  emptyConfig,
  imageConfig,
  imageIndex,
  imageManifest,
  mediaTypes,
  randomLayer,
  uniqueRepository,
  unknownDigest,
  type Content,
  type Descriptor,
} from './content.js';
import { expectOciError, explain, pushBlobs, pushManifest } from './oci-client.js';
import { openTarget, type Target } from './target.js';

// Spec "Listing Referrers": end-12a and end-12b, the descriptors they carry, artifactType filtering.

let target: Target;
const repository = uniqueRepository('referrers');
const sbomType = 'application/vnd.test.sbom.v1';
const signatureType = 'application/vnd.test.signature.v1';

const config = imageConfig();
const layer = randomLayer(300);
const subject = imageManifest({ config, layers: [layer] });
const otherSubject = imageManifest({ config, layers: [layer], annotations: { other: 'subject' } });
const empty = emptyConfig();
// A config blob whose media type stands in for a missing artifactType.
const sbomConfig = content(new TextEncoder().encode('{"sbom":true}'), sbomType);

/** Referrers of `subject`, and the descriptor the registry must list for each. */
const sbomExplicit = imageManifest({
  config: empty,
  layers: [empty],
  artifactType: sbomType,
  subject: subject.descriptor,
  annotations: { 'test.kind': 'sbom-explicit' },
});
const sbomFromConfig = imageManifest({
  config: sbomConfig,
  layers: [empty],
  subject: subject.descriptor,
  annotations: { 'test.kind': 'sbom-from-config' },
});
const signature = imageManifest({
  config: empty,
  layers: [empty],
  artifactType: signatureType,
  subject: subject.descriptor,
  annotations: { 'test.kind': 'signature' },
});
const typedIndex = imageIndex({
  manifests: [otherSubject.descriptor],
  artifactType: signatureType,
  subject: subject.descriptor,
  annotations: { 'test.kind': 'typed-index' },
});
const untypedIndex = imageIndex({ manifests: [otherSubject.descriptor], subject: subject.descriptor, annotations: { 'test.kind': 'untyped-index' } });
/** Refers to another subject, so never listed for `subject`. */
const elsewhere = imageManifest({ config: empty, layers: [empty], artifactType: sbomType, subject: otherSubject.descriptor });

function expected(manifest: Content, artifactType: string | undefined, annotations: Record<string, string>): Descriptor {
  return { ...manifest.descriptor, ...(artifactType ? { artifactType } : {}), annotations };
}

const all = [
  expected(sbomExplicit, sbomType, { 'test.kind': 'sbom-explicit' }),
  expected(sbomFromConfig, sbomType, { 'test.kind': 'sbom-from-config' }),
  expected(signature, signatureType, { 'test.kind': 'signature' }),
  expected(typedIndex, signatureType, { 'test.kind': 'typed-index' }),
  expected(untypedIndex, undefined, { 'test.kind': 'untyped-index' }),
];

interface ImageIndex {
  schemaVersion: number;
  mediaType: string;
  manifests: Descriptor[];
}

async function referrers(digest: string, query = ''): Promise<{ response: Response; index: ImageIndex }> {
  const response = await target.fetch(`/v2/${repository}/referrers/${digest}${query}`);
  expect(response.status, await explain(response)).toBe(200);
  expect(response.headers.get('content-type')).toBe(mediaTypes.index);
  const index = (await response.json()) as ImageIndex;
  expect(index.schemaVersion).toBe(2);
  expect(index.mediaType).toBe(mediaTypes.index);
  return { response, index };
}

const byDigest = (a: Descriptor, b: Descriptor) => a.digest.localeCompare(b.digest);

beforeAll(async () => {
  target = await openTarget();
  await pushBlobs(target, repository, [config, layer, empty, sbomConfig]);
  // Referrers first: the spec lets them arrive before their subject.
  await pushManifest(target, repository, sbomExplicit.digest, sbomExplicit);
  await pushManifest(target, repository, subject.digest, subject);
  await pushManifest(target, repository, otherSubject.digest, otherSubject);
  for (const manifest of [sbomFromConfig, signature, typedIndex, untypedIndex, elsewhere]) {
    await pushManifest(target, repository, manifest.digest, manifest);
  }
});

describe('Pushing Manifests with Subject', () => {
  test('every referrer push, image manifest or index, was answered with OCI-Subject', async () => {
    // Pushing identical bytes again is idempotent and answers the same headers as the first push.
    for (const [manifest, subjectDigest] of [
      [sbomExplicit, subject.digest],
      [sbomFromConfig, subject.digest],
      [typedIndex, subject.digest],
      [untypedIndex, subject.digest],
      [elsewhere, otherSubject.digest],
    ] as const) {
      const response = await pushManifest(target, repository, manifest.digest, manifest);
      expect(response.headers.get('oci-subject')).toBe(subjectDigest);
    }
  });
});

afterAll(async () => {
  await target?.close();
});

describe('end-12a', () => {
  test('lists every referrer of the subject with artifactType, size and annotations', async () => {
    const { index } = await referrers(subject.digest);
    expect([...index.manifests].sort(byDigest)).toEqual([...all].sort(byDigest));
  });

  test('a subject nobody refers to answers 200 with an empty index', async () => {
    const { index } = await referrers(unknownDigest());
    expect(index.manifests).toEqual([]);
  });

  test('a manifest that exists but has no referrers answers an empty index', async () => {
    const { index } = await referrers(sbomExplicit.digest);
    expect(index.manifests).toEqual([]);
  });

  test('referrers in another repository are not listed', async () => {
    const other = uniqueRepository('referrers-other');
    await pushBlobs(target, other, [empty]);
    const foreign = imageManifest({ config: empty, layers: [empty], artifactType: sbomType, subject: subject.descriptor, annotations: { foreign: 'yes' } });
    await pushManifest(target, other, foreign.digest, foreign);
    const { index } = await referrers(subject.digest);
    expect(index.manifests.map((d) => d.digest)).not.toContain(foreign.digest);
  });

  test('a malformed digest is 400', async () => {
    const response = await target.fetch(`/v2/${repository}/referrers/sha256:nothex`);
    await expectOciError(response, 400, 'DIGEST_INVALID');
  });
});

describe('end-12b artifactType filter', () => {
  test('keeps only referrers of that type and says the filter was applied', async () => {
    const { response, index } = await referrers(subject.digest, `?artifactType=${encodeURIComponent(sbomType)}`);
    expect(response.headers.get('oci-filters-applied')).toBe('artifactType');
    expect([...index.manifests].sort(byDigest)).toEqual(all.filter((d) => d.artifactType === sbomType).sort(byDigest));
  });

  test('a type nobody has gives an empty index', async () => {
    const { response, index } = await referrers(subject.digest, '?artifactType=application%2Fvnd.test.none');
    expect(response.headers.get('oci-filters-applied')).toBe('artifactType');
    expect(index.manifests).toEqual([]);
  });
});

describe('deletion', () => {
  test('a deleted referrer is no longer listed', async () => {
    const { index: before } = await referrers(otherSubject.digest);
    expect(before.manifests.map((d) => d.digest)).toEqual([elsewhere.digest]);
    const deleted = await target.fetch(`/v2/${repository}/manifests/${elsewhere.digest}`, { method: 'DELETE' });
    expect(deleted.status, await explain(deleted)).toBe(202);
    const { index: after } = await referrers(otherSubject.digest);
    expect(after.manifests).toEqual([]);
  });
});

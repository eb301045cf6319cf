import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { digestOf } from '../../functions/core/digest.js';
import { accessoriesOf } from '../../functions/trust/accessories.js';
import { evaluateArtifact, maxSignatureLayerBytes } from '../../functions/trust/evaluate.js';
import type { TrustMaterial } from '../../functions/trust/verification.js';
import { localRegistry, pushImage, type LocalRegistry } from '../support/local-app.js';
import { cosignFixture, fixture } from './support/fixtures.js';
import { pushCosignSignature, pushManifest, pushReferrer } from './support/push-signatures.js';
import { cosignSign, notationCose, notationJws, pkiSigner, simpleSigningPayload } from './support/signers.js';

const now = new Date('2026-01-01T00:00:00Z');
const repo = 'library/app';
let registry: LocalRegistry;
const request = (path: string, init?: RequestInit) => registry.request(path, init);

beforeEach(async () => {
  registry = await localRegistry();
});
afterEach(async () => registry.cleanup());

const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const trusted: TrustMaterial = { publicKeys: [{ name: 'release', key: publicKey }], anchors: [{ name: 'berth-root', certificate: pkiSigner('root').certificate }] };

async function image() {
  const pushed = await pushImage(registry, repo, 'v1');
  return { digest: pushed.digest, size: Buffer.byteLength(pushed.body) };
}

describe('finding and verifying the signatures of an artifact in the registry', () => {
  test('an unsigned artifact has no accessories and is unsigned in both schemes', async () => {
    const subject = await image();
    expect(await accessoriesOf(registry.deps, repo, subject.digest)).toEqual([]);
    const summary = await evaluateArtifact(registry.deps, repo, subject.digest, trusted, now);
    expect(summary.cosign.state).toBe('unsigned');
    expect(summary.notation.state).toBe('unsigned');
  });

  test('a cosign .sig tag is a signature.cosign accessory and verifies with the project key', async () => {
    const subject = await image();
    const payload = simpleSigningPayload(subject.digest);
    const sig = await pushCosignSignature(request, repo, subject, [{ payload, annotations: { 'dev.cosignproject.cosign/signature': cosignSign(payload, privateKey) } }]);
    expect(await accessoriesOf(registry.deps, repo, subject.digest)).toEqual([
      expect.objectContaining({ digest: sig.digest, type: 'signature.cosign', form: 'tag', subject_artifact_digest: subject.digest, subject_artifact_repo: repo }),
    ]);
    const summary = await evaluateArtifact(registry.deps, repo, subject.digest, trusted, now);
    expect(summary.cosign).toMatchObject({ state: 'verified', key: 'release', signatures: 1 });
    expect(summary.notation.state).toBe('unsigned');
    expect((await evaluateArtifact(registry.deps, repo, subject.digest, { publicKeys: [], anchors: [] }, now)).cosign.state).toBe('untrusted');
  });

  test('a cosign referrer (older OCI 1.1 form) verifies too', async () => {
    const subject = await image();
    const payload = simpleSigningPayload(subject.digest);
    await pushCosignSignature(request, repo, subject, [{ payload, annotations: { 'dev.cosignproject.cosign/signature': cosignSign(payload, privateKey) } }], 'referrer');
    expect((await accessoriesOf(registry.deps, repo, subject.digest))[0]).toMatchObject({ type: 'signature.cosign', form: 'referrer' });
    expect((await evaluateArtifact(registry.deps, repo, subject.digest, trusted, now)).cosign.state).toBe('verified');
  });

  test('a .sig tag holding a signature of another digest is a mismatch', async () => {
    const subject = await image();
    const other = await pushImage(registry, repo, 'v2');
    const payload = simpleSigningPayload(other.digest);
    await pushCosignSignature(request, repo, subject, [{ payload, annotations: { 'dev.cosignproject.cosign/signature': cosignSign(payload, privateKey) } }]);
    expect((await evaluateArtifact(registry.deps, repo, subject.digest, trusted, now)).cosign).toMatchObject({ state: 'mismatch' });
  });

  test('the real cosign signature fixture, pushed as its .sig tag, verifies against the real key', async () => {
    const real = cosignFixture('cosign/key-signed.signature');
    const subjectDigest = digestOf(fixture('cosign/key-signed.manifest.json'));
    await pushCosignSignature(request, repo, { digest: subjectDigest, size: 428 }, [{ payload: real.payload, annotations: real.annotations }]);
    const key = (await import('./support/fixtures.js')).publicKeyFixture('cosign/cosign.pub');
    const summary = await evaluateArtifact(registry.deps, repo, subjectDigest, { publicKeys: [{ name: 'cosign-pub', key }], anchors: [] }, now);
    expect(summary.cosign).toMatchObject({ state: 'verified', key: 'cosign-pub' });
  });

  test('the real Notation JWS and COSE fixtures, pushed as referrers, verify against their certificate', async () => {
    const manifest = fixture('notation/signed.manifest.json');
    const subject = { digest: digestOf(manifest), size: manifest.byteLength };
    await pushReferrer(request, repo, subject, 'application/vnd.cncf.notary.signature', { mediaType: 'application/jose+json', bytes: fixture('notation/signature.jws.json') });
    await pushReferrer(request, repo, subject, 'application/vnd.cncf.notary.signature', { mediaType: 'application/cose', bytes: fixture('notation/signature.cose') });
    const accessories = await accessoriesOf(registry.deps, repo, subject.digest);
    expect(accessories.map((a) => a.type)).toEqual(['signature.notation', 'signature.notation']);
    const jws = JSON.parse(fixture('notation/signature.jws.json').toString()) as { header: { x5c: string[] } };
    const { X509Certificate } = await import('node:crypto');
    const anchor = { name: 'alpine', certificate: new X509Certificate(Buffer.from(jws.header.x5c[0]!, 'base64')), identity: 'x509.subject: C=US, ST=WA, L=Seattle, O=Notary, CN=alpine' };
    const summary = await evaluateArtifact(registry.deps, repo, subject.digest, { publicKeys: [], anchors: [anchor] }, now);
    expect(summary.notation).toMatchObject({ state: 'verified', key: 'alpine', signatures: 2 });
    expect(summary.signatures.map((s) => s.status)).toEqual(['verified', 'verified']);
  });

  test('Notation signatures made here: one from an expired certificate loses to a good one', async () => {
    const subject = await image();
    const root = pkiSigner('root');
    const expired = pkiSigner('signer-expired');
    const good = pkiSigner('signer-ec');
    await pushReferrer(request, repo, subject, 'application/vnd.cncf.notary.signature', { mediaType: 'application/jose+json', bytes: await notationJws({ ...subject, key: expired.key, chain: [expired.certificate, root.certificate] }) });
    expect((await evaluateArtifact(registry.deps, repo, subject.digest, trusted, now)).notation).toMatchObject({ state: 'untrusted', reason: expect.stringContaining('not valid') });
    await pushReferrer(request, repo, subject, 'application/vnd.cncf.notary.signature', { mediaType: 'application/cose', bytes: notationCose({ ...subject, key: good.key, chain: [good.certificate, root.certificate] }) });
    expect((await evaluateArtifact(registry.deps, repo, subject.digest, trusted, now)).notation).toMatchObject({ state: 'verified', key: 'berth-root', signatures: 2 });
  });

  test('a signature manifest whose layer is huge is invalid without being read', async () => {
    const subject = await image();
    const huge = { mediaType: 'application/jose+json', digest: `sha256:${'a'.repeat(64)}`, size: maxSignatureLayerBytes + 1 };
    // The registry refuses a manifest naming an unknown blob; a foreign layer (urls) is let through.
    await pushReferrer(request, repo, subject, 'application/vnd.cncf.notary.signature', { ...huge, urls: ['https://example.invalid/x'] } as never);
    expect((await evaluateArtifact(registry.deps, repo, subject.digest, trusted, now)).notation).toMatchObject({ state: 'invalid', reason: expect.stringContaining('larger than') });
  });

  test('a signature manifest whose layer is missing is invalid', async () => {
    const subject = await image();
    const missing = { mediaType: 'application/jose+json', digest: `sha256:${'b'.repeat(64)}`, size: 100, urls: ['https://example.invalid/x'] };
    await pushReferrer(request, repo, subject, 'application/vnd.cncf.notary.signature', missing as never);
    expect((await evaluateArtifact(registry.deps, repo, subject.digest, trusted, now)).notation).toMatchObject({ state: 'invalid', reason: expect.stringContaining('missing') });
  });

  test('other referrers are accessories but not signatures', async () => {
    const subject = await image();
    await pushReferrer(request, repo, subject, 'application/spdx+json', { mediaType: 'application/spdx+json', bytes: Buffer.from('{"spdxVersion":"SPDX-2.3"}') });
    expect((await accessoriesOf(registry.deps, repo, subject.digest))[0]).toMatchObject({ type: 'subject.accessory' });
    const summary = await evaluateArtifact(registry.deps, repo, subject.digest, trusted, now);
    expect([summary.cosign.state, summary.notation.state]).toEqual(['unsigned', 'unsigned']);
  });

  test('a .sig tag whose manifest is an index holds no signature layer', async () => {
    const subject = await image();
    const child = await pushImage(registry, repo, 'child');
    await pushManifest(request, repo, `${subject.digest.replace(':', '-')}.sig`, {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: child.digest, size: Buffer.byteLength(child.body) }],
    }, { 'content-type': 'application/vnd.oci.image.index.v1+json' });
    expect((await evaluateArtifact(registry.deps, repo, subject.digest, trusted, now)).cosign.state).toBe('invalid');
  });

});

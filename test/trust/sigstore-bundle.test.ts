import { describe, expect, test } from 'vitest';
import { generateKeyPairSync, sign } from 'node:crypto';
import { digestOf } from '../../functions/core/digest.js';
import { cosignSignPredicate } from '../../functions/trust/media-types.js';
import { verifySigstoreBundle } from '../../functions/trust/sigstore-bundle.js';
import { fixture } from './support/fixtures.js';

const now = new Date('2026-01-01T00:00:00Z');

function dsseBundle(digest: string, privateKey: Parameters<typeof sign>[2], predicateType = cosignSignPredicate): Buffer {
  const [algorithm, hex] = digest.split(':') as [string, string];
  const statement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ digest: { [algorithm]: hex } }], predicateType, predicate: {} }));
  const type = 'application/vnd.in-toto+json';
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${statement.length} `), statement]);
  return Buffer.from(JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: 'test' } },
    dsseEnvelope: { payload: statement.toString('base64'), payloadType: type, signatures: [{ sig: sign('sha256', pae, privateKey).toString('base64'), keyid: '' }] },
  }));
}

describe('sigstore bundles', () => {
  const digest = digestOf(Buffer.from('an image'));
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const trusted = { publicKeys: [{ name: 'release', key: publicKey }], anchors: [] };

  test('a keyed cosign-sign bundle verifies with the project key', () => {
    expect(verifySigstoreBundle(dsseBundle(digest, privateKey), digest, trusted, now)).toEqual({ isSignature: true, check: expect.objectContaining({ status: 'verified', key: 'release' }) });
  });

  test('another key, another digest, a tampered statement', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(verifySigstoreBundle(dsseBundle(digest, other.privateKey), digest, trusted, now).check.status).toBe('untrusted');
    expect(verifySigstoreBundle(dsseBundle(digestOf(Buffer.from('other')), privateKey), digest, trusted, now).check.status).toBe('mismatch');
    const bundle = JSON.parse(dsseBundle(digest, privateKey).toString());
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString());
    statement.predicate = { injected: true };
    bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    expect(verifySigstoreBundle(Buffer.from(JSON.stringify(bundle)), digest, trusted, now).check.status).toBe('untrusted');
  });

  test('an attestation bundle is not a signature', () => {
    expect(verifySigstoreBundle(dsseBundle(digest, privateKey, 'https://slsa.dev/provenance/v1'), digest, trusted, now).isSignature).toBe(false);
  });

  test('the keyless attestation cosign pushed is present, not a signature, and unverified without a trusted chain', () => {
    const bundle = fixture('cosign/keyless-attestation.sigstore.json');
    const subject = 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4';
    const result = verifySigstoreBundle(bundle, subject, trusted, now);
    expect(result.isSignature).toBe(false);
    expect(result.check).toMatchObject({ status: 'untrusted', keyless: true });
    expect(verifySigstoreBundle(bundle, digest, trusted, now).check.status).toBe('mismatch');
  });

  test.each([
    ['not JSON', '{{'],
    ['no content', '{}'],
    ['a DSSE envelope without payload', '{"dsseEnvelope":{}}'],
    ['a statement without subjects', JSON.stringify({ dsseEnvelope: { payload: Buffer.from('{}').toString('base64'), payloadType: 'x', signatures: [] } })],
  ])('a bundle that is %s is invalid', (_name, text) => {
    expect(verifySigstoreBundle(Buffer.from(text), digest, trusted, now).check.status).toBe('invalid');
  });
});

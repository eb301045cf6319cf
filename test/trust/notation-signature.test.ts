import { describe, expect, test } from 'vitest';
import { digestOf } from '../../functions/core/digest.js';
import { verifyNotationEnvelope } from '../../functions/trust/notation-signature.js';
import type { TrustMaterial } from '../../functions/trust/verification.js';
import { certificatesFromPem } from '../../functions/trust/x509-chain.js';
import { fixture } from './support/fixtures.js';
import { notationCose, notationJws, pkiSigner, unsignedJws } from './support/signers.js';

const now = new Date('2026-01-01T00:00:00Z');
const jwsType = 'application/jose+json';
const coseType = 'application/cose';

describe('signatures made by the notation tooling (notation-go test data)', () => {
  const manifest = fixture('notation/signed.manifest.json');
  const subject = { digest: digestOf(manifest), size: manifest.byteLength };
  const signerCert = () => {
    const jws = JSON.parse(fixture('notation/signature.jws.json').toString()) as { header: { x5c: string[] } };
    return certificatesFromPem(`-----BEGIN CERTIFICATE-----\n${jws.header.x5c[0]}\n-----END CERTIFICATE-----`)[0]!;
  };
  const trusting = (identity?: string): TrustMaterial => ({ publicKeys: [], anchors: [{ name: 'notary-alpine', certificate: signerCert(), identity }] });

  test.each([
    ['JWS', jwsType, 'notation/signature.jws.json'],
    ['COSE', coseType, 'notation/signature.cose'],
  ])('the %s envelope verifies against its trust anchor and identity', async (_name, type, path) => {
    const envelope = fixture(path);
    expect(await verifyNotationEnvelope(type, envelope, subject, trusting('x509.subject: C=US, ST=WA, L=Seattle, O=Notary, CN=alpine'), now)).toMatchObject({ status: 'verified', key: 'notary-alpine' });
    expect(await verifyNotationEnvelope(type, envelope, subject, trusting(), now)).toMatchObject({ status: 'verified' });
  });

  test.each([
    ['JWS', jwsType, 'notation/signature.jws.json'],
    ['COSE', coseType, 'notation/signature.cose'],
  ])('the %s envelope is untrusted without the anchor, or with another identity', async (_name, type, path) => {
    const envelope = fixture(path);
    expect((await verifyNotationEnvelope(type, envelope, subject, { publicKeys: [], anchors: [] }, now)).status).toBe('untrusted');
    expect(await verifyNotationEnvelope(type, envelope, subject, trusting('x509.subject: C=US, ST=WA, O=wabbit-networks.io'), now)).toMatchObject({
      status: 'untrusted',
      reason: expect.stringContaining('identity'),
    });
  });

  test('the envelope does not vouch for another artifact', async () => {
    const other = { digest: digestOf(Buffer.from('x')), size: 1 };
    expect((await verifyNotationEnvelope(jwsType, fixture('notation/signature.jws.json'), other, trusting(), now)).status).toBe('mismatch');
    // Same digest, other size: the payload descriptor must match as a whole.
    expect((await verifyNotationEnvelope(jwsType, fixture('notation/signature.jws.json'), { ...subject, size: 482 }, trusting(), now)).status).toBe('mismatch');
  });

  test('an envelope whose certificate expired is untrusted (Berth does not honour RFC 3161 timestamps)', async () => {
    const envelope = fixture('notation/expired-certificate.jws.json');
    const jws = JSON.parse(envelope.toString()) as { payload: string; header: { x5c: string[] } };
    const target = (JSON.parse(Buffer.from(jws.payload, 'base64url').toString()) as { targetArtifact: { digest: string; size: number } }).targetArtifact;
    const cert = certificatesFromPem(`-----BEGIN CERTIFICATE-----\n${jws.header.x5c[0]}\n-----END CERTIFICATE-----`)[0]!;
    const result = await verifyNotationEnvelope(jwsType, envelope, target, { publicKeys: [], anchors: [{ name: 'tsa', certificate: cert }] }, now);
    expect(result).toMatchObject({ status: 'untrusted', reason: expect.stringContaining('not valid at') });
  });
});

describe('signatures made here with jose and node:crypto', () => {
  const subject = { digest: digestOf(Buffer.from('manifest bytes')), size: 14 };
  const root = pkiSigner('root');
  const trust: TrustMaterial = { publicKeys: [], anchors: [{ name: 'berth-root', certificate: root.certificate, identity: 'x509.subject: C=US, ST=WA, O=Berth Test, CN=release-signer' }] };
  const ec = pkiSigner('signer-ec');

  test.each([
    ['JWS ES256', jwsType, 'signer-ec', 'ES256'],
    ['JWS PS256', jwsType, 'signer-rsa', 'PS256'],
    ['COSE ES256', coseType, 'signer-ec', 'ES256'],
    ['COSE PS256', coseType, 'signer-rsa', 'PS256'],
  ])('%s chained to the project root verifies', async (_name, type, stem, alg) => {
    const signer = pkiSigner(stem);
    const make = type === jwsType ? notationJws : async (o: Parameters<typeof notationCose>[0]) => notationCose(o);
    const envelope = await make({ ...subject, alg, key: signer.key, chain: [signer.certificate, root.certificate] });
    const anyone: TrustMaterial = { publicKeys: [], anchors: [{ name: 'berth-root', certificate: root.certificate }] };
    expect(await verifyNotationEnvelope(type, envelope, subject, anyone, now)).toMatchObject({ status: 'verified', key: 'berth-root', validUntil: '2120-01-01T00:00:00.000Z' });
  });

  test('the chain may stop below the anchor (x5c without the root)', async () => {
    const envelope = await notationJws({ ...subject, key: ec.key, chain: [ec.certificate] });
    expect((await verifyNotationEnvelope(jwsType, envelope, subject, trust, now)).status).toBe('verified');
  });

  test('a leaf issued by another root is untrusted', async () => {
    const other = pkiSigner('other-signer');
    const envelope = await notationJws({ ...subject, key: other.key, chain: [other.certificate, pkiSigner('other-root').certificate] });
    expect((await verifyNotationEnvelope(jwsType, envelope, subject, trust, now)).status).toBe('untrusted');
  });

  test('an expired leaf is untrusted', async () => {
    const expired = pkiSigner('signer-expired');
    const envelope = await notationJws({ ...subject, key: expired.key, chain: [expired.certificate, root.certificate] });
    const anyone: TrustMaterial = { publicKeys: [], anchors: [{ name: 'berth-root', certificate: root.certificate }] };
    expect(await verifyNotationEnvelope(jwsType, envelope, subject, anyone, now)).toMatchObject({ status: 'untrusted', reason: expect.stringContaining('not valid') });
  });

  test('a leaf with another identity than the anchor allows is untrusted', async () => {
    const rsa = pkiSigner('signer-rsa');
    const envelope = await notationJws({ ...subject, alg: 'PS256', key: rsa.key, chain: [rsa.certificate, root.certificate] });
    expect(await verifyNotationEnvelope(jwsType, envelope, subject, trust, now)).toMatchObject({ status: 'untrusted', reason: expect.stringContaining('identity') });
  });

  test('a signature past its own expiry is untrusted', async () => {
    const envelope = await notationJws({ ...subject, key: ec.key, chain: [ec.certificate, root.certificate], expiry: new Date('2025-06-01T00:00:00Z') });
    expect(await verifyNotationEnvelope(jwsType, envelope, subject, trust, now)).toMatchObject({ status: 'untrusted', reason: expect.stringContaining('expired') });
    const later = await notationJws({ ...subject, key: ec.key, chain: [ec.certificate, root.certificate], expiry: new Date('2030-06-01T00:00:00Z') });
    expect(await verifyNotationEnvelope(jwsType, later, subject, trust, now)).toMatchObject({ status: 'verified', validUntil: '2030-06-01T00:00:00.000Z' });
  });

  test('a payload tampered after signing does not verify', async () => {
    const envelope = JSON.parse((await notationJws({ ...subject, key: ec.key, chain: [ec.certificate] })).toString()) as { payload: string };
    const body = JSON.parse(Buffer.from(envelope.payload, 'base64url').toString()) as { targetArtifact: { annotations?: Record<string, string> } };
    body.targetArtifact.annotations = { injected: 'yes' };
    envelope.payload = Buffer.from(JSON.stringify(body)).toString('base64url');
    expect((await verifyNotationEnvelope(jwsType, Buffer.from(JSON.stringify(envelope)), subject, trust, now)).status).toBe('untrusted');
    const cose = notationCose({ ...subject, key: ec.key, chain: [ec.certificate] });
    const at = cose.indexOf(Buffer.from('manifest.v1'));
    cose[at] = cose[at]! ^ 0x01;
    expect((await verifyNotationEnvelope(coseType, cose, subject, trust, now)).status).toBe('untrusted');
  });

  test('alg none is invalid, never verified', async () => {
    const envelope = unsignedJws({ ...subject, chain: [ec.certificate] });
    expect(await verifyNotationEnvelope(jwsType, envelope, subject, trust, now)).toMatchObject({ status: 'invalid', reason: 'alg none is refused' });
  });

  test('an HMAC JWS made with the certificate bytes as secret is refused', async () => {
    const envelope = await notationJws({ ...subject, alg: 'HS256', key: new Uint8Array(ec.certificate.raw), chain: [ec.certificate] });
    expect((await verifyNotationEnvelope(jwsType, envelope, subject, trust, now)).status).toBe('invalid');
  });

  test('an unknown critical header is not understood, so the signature is untrusted', async () => {
    const envelope = await notationJws({ ...subject, key: ec.key, chain: [ec.certificate], crit: ['io.cncf.notary.signingScheme', 'io.example.unknown'] });
    const header = JSON.parse(envelope.toString()) as { protected: string };
    expect(JSON.parse(Buffer.from(header.protected, 'base64url').toString()).crit).toContain('io.example.unknown');
    expect((await verifyNotationEnvelope(jwsType, envelope, subject, trust, now)).status).toBe('untrusted');
  });

  test.each([
    ['not JSON', jwsType, Buffer.from('{{')],
    ['an empty object', jwsType, Buffer.from('{}')],
    ['no certificates', jwsType, Buffer.from(JSON.stringify({ protected: 'e30', payload: 'e30', signature: 'AA', header: { x5c: [] } }))],
    ['bad base64 certificates', jwsType, Buffer.from(JSON.stringify({ protected: Buffer.from('{"alg":"ES256"}').toString('base64url'), payload: 'e30', signature: 'AA', header: { x5c: ['@@@'] } }))],
    ['not CBOR', coseType, Buffer.from([0xff, 0xff])],
    ['truncated CBOR', coseType, Buffer.from([0xd2, 0x84, 0x58, 0x40])],
    ['an indefinite-length array', coseType, Buffer.from([0x9f, 0x01, 0xff])],
    ['a huge declared length', coseType, Buffer.from([0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
    ['deep nesting', coseType, Buffer.alloc(5000, 0x81)],
    ['an unknown envelope type', 'application/x-unknown', Buffer.from('{}')],
  ])('an envelope that is %s is invalid', async (_name, type, bytes) => {
    expect((await verifyNotationEnvelope(type, bytes, subject, trust, now)).status).toBe('invalid');
  });

  test('a timestamp-authority signing scheme is untrusted, not verified', async () => {
    const envelope = await notationJws({ ...subject, key: ec.key, chain: [ec.certificate], signingScheme: 'notary.x509.signingAuthority' });
    expect((await verifyNotationEnvelope(jwsType, envelope, subject, trust, now)).status).toBe('untrusted');
  });
});

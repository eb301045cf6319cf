import { describe, expect, test } from 'vitest';
import { generateKeyPairSync, sign } from 'node:crypto';
import { digestOf } from '../../functions/core/digest.js';
import { verifyCosignLayer } from '../../functions/trust/cosign-signature.js';
import type { TrustMaterial } from '../../functions/trust/verification.js';
import { certificateFixture, cosignFixture, fixture, publicKeyFixture } from './support/fixtures.js';

const now = new Date('2026-01-01T00:00:00Z');
const none: TrustMaterial = { publicKeys: [], anchors: [] };
const withKey = (path: string, name = 'release'): TrustMaterial => ({ publicKeys: [{ name, key: publicKeyFixture(path) }], anchors: [] });

describe('signatures made by the cosign binary', () => {
  const keySigned = cosignFixture('cosign/key-signed.signature');
  const keySignedDigest = digestOf(fixture('cosign/key-signed.manifest.json'));

  test('a key signature verifies with the signer public key and names the manifest digest', () => {
    expect(verifyCosignLayer(keySigned.layer, keySignedDigest, withKey('cosign/cosign.pub'), now)).toMatchObject({ status: 'verified', key: 'release' });
  });

  test('the same signature against another key is untrusted', () => {
    expect(verifyCosignLayer(keySigned.layer, keySignedDigest, withKey('cosign/cosign2.pub'), now).status).toBe('untrusted');
    expect(verifyCosignLayer(keySigned.layer, keySignedDigest, none, now).status).toBe('untrusted');
  });

  test('the same signature presented for another artifact is a mismatch', () => {
    const other = digestOf(Buffer.from('another manifest'));
    expect(verifyCosignLayer(keySigned.layer, other, withKey('cosign/cosign.pub'), now)).toMatchObject({ status: 'mismatch' });
  });

  test('one flipped payload byte breaks the signature', () => {
    const payload = Buffer.from(keySigned.payload);
    // Flip a byte inside "cosign container image signature", leaving the digest intact.
    const at = payload.indexOf('container');
    payload[at] = payload[at]! ^ 0x01;
    expect(verifyCosignLayer({ ...keySigned.layer, payload }, keySignedDigest, withKey('cosign/cosign.pub'), now).status).toBe('untrusted');
  });

  test('a certificate signature verifies against its trusted root, and not without it', () => {
    const pki = cosignFixture('cosign/pki-signed.signature');
    const digest = digestOf(fixture('cosign/pki-signed.manifest.json'));
    const anchors = [{ name: 'linuxera-root', certificate: certificateFixture('cosign/pki-root.pem') }];
    expect(verifyCosignLayer(pki.layer, digest, { publicKeys: [], anchors }, now)).toMatchObject({ status: 'verified', key: 'linuxera-root' });
    expect(verifyCosignLayer(pki.layer, digest, none, now).status).toBe('untrusted');
    expect(verifyCosignLayer(pki.layer, digest, { publicKeys: [], anchors: [{ ...anchors[0]!, identity: 'email:qiwan@redhat.com' }] }, now).status).toBe('verified');
    expect(verifyCosignLayer(pki.layer, digest, { publicKeys: [], anchors: [{ ...anchors[0]!, identity: 'email:mallory@example.com' }] }, now)).toMatchObject({
      status: 'untrusted',
      reason: expect.stringContaining('identity'),
    });
  });

  test('a keyless signature is present but untrusted unless the project trusts the Fulcio chain', () => {
    const keyless = cosignFixture('cosign/keyless-signed.signature');
    const digest = digestOf(fixture('cosign/keyless-signed.manifest.json'));
    expect(verifyCosignLayer(keyless.layer, digest, none, now)).toMatchObject({ status: 'untrusted', keyless: true });
    const fulcio = { name: 'fulcio', certificate: certificateFixture('cosign/fulcio-root.pem'), identity: 'email:mitr@redhat.com' };
    expect(verifyCosignLayer(keyless.layer, digest, { publicKeys: [], anchors: [fulcio] }, now)).toMatchObject({ status: 'verified', keyless: true });
    expect(verifyCosignLayer(keyless.layer, digest, { publicKeys: [], anchors: [{ ...fulcio, identity: 'email:someone@else.example' }] }, now).status).toBe('untrusted');
  });
});

describe('signatures made here with node:crypto, cosign-style', () => {
  const digest = digestOf(Buffer.from('an image manifest'));
  const payloadFor = (d: string) =>
    Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': 'r/x' }, image: { 'docker-manifest-digest': d }, type: 'cosign container image signature' }, optional: null }));

  test.each([
    ['ecdsa P-256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }), 'sha256'],
    ['ecdsa P-384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' }), 'sha256'],
    ['rsa 2048', () => generateKeyPairSync('rsa', { modulusLength: 2048 }), 'sha256'],
    ['ed25519', () => generateKeyPairSync('ed25519'), null],
  ] as const)('%s key signatures verify', (_name, make, hash) => {
    const { publicKey, privateKey } = make();
    const payload = payloadFor(digest);
    const signature = sign(hash, payload, privateKey).toString('base64');
    const trust = { publicKeys: [{ name: 'k', key: publicKey }], anchors: [] };
    expect(verifyCosignLayer({ payload, signature }, digest, trust, now).status).toBe('verified');
  });

  test('a signature over another digest is a mismatch even with the right key', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const payload = payloadFor(digestOf(Buffer.from('something else')));
    const signature = sign('sha256', payload, privateKey).toString('base64');
    expect(verifyCosignLayer({ payload, signature }, digest, { publicKeys: [{ name: 'k', key: publicKey }], anchors: [] }, now).status).toBe('mismatch');
  });

  test.each([
    ['no annotation', undefined],
    ['not base64', '%%%not base64%%%'],
  ])('a layer with %s is invalid', (_name, signature) => {
    expect(verifyCosignLayer({ payload: payloadFor(digest), signature }, digest, none, now).status).toBe('invalid');
  });

  test('a payload that is not a simplesigning document is invalid', () => {
    expect(verifyCosignLayer({ payload: Buffer.from('{"critical":{}}'), signature: 'AAAA' }, digest, none, now).status).toBe('invalid');
    expect(verifyCosignLayer({ payload: Buffer.from([0xff, 0x00]), signature: 'AAAA' }, digest, none, now).status).toBe('invalid');
  });
});

import { constants, createPrivateKey, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { FlattenedSign } from 'jose';
import { encodeCborStrings } from '../../../functions/trust/cbor.js';
import { fixtureText } from './fixtures.js';

/** A key and certificate from fixtures/pki (made by make-pki.py). */
export function pkiSigner(stem: string): { key: KeyObject; certificate: X509Certificate; pem: string } {
  const pem = fixtureText(`pki/${stem}.crt`);
  return { key: createPrivateKey(fixtureText(`pki/${stem}.key`)), certificate: new X509Certificate(pem), pem };
}

export interface NotationOptions {
  digest: string;
  size: number;
  alg?: string;
  chain: X509Certificate[];
  key: KeyObject;
  expiry?: Date;
  cty?: string;
  crit?: string[];
  signingScheme?: string;
}

const payloadType = 'application/vnd.cncf.notary.payload.v1+json';

function payload(o: { digest: string; size: number }): Buffer {
  return Buffer.from(JSON.stringify({ targetArtifact: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: o.digest, size: o.size } }));
}

/** A Notation JWS envelope (JSON serialization) as `notation sign` writes one. */
export async function notationJws(o: Omit<NotationOptions, 'key'> & { key: KeyObject | Uint8Array }): Promise<Buffer> {
  const header: Record<string, unknown> = {
    alg: o.alg ?? 'ES256',
    crit: o.crit ?? ['io.cncf.notary.signingScheme', ...(o.expiry ? ['io.cncf.notary.expiry'] : [])],
    cty: o.cty ?? payloadType,
    'io.cncf.notary.signingScheme': o.signingScheme ?? 'notary.x509',
    'io.cncf.notary.signingTime': new Date().toISOString(),
    ...(o.expiry ? { 'io.cncf.notary.expiry': o.expiry.toISOString() } : {}),
  };
  // A critical parameter must also be present; tests naming unknown ones get a placeholder value.
  for (const name of header.crit as string[]) header[name] ??= 'present';
  const jws = await new FlattenedSign(payload(o))
    .setProtectedHeader(header as never)
    .setUnprotectedHeader({ x5c: o.chain.map((c) => c.raw.toString('base64')), 'io.cncf.notary.signingAgent': 'berth-test' })
    .sign(o.key, { crit: Object.fromEntries((header.crit as string[]).map((name) => [name, true])) });
  return Buffer.from(JSON.stringify(jws));
}

/** A JWS with `alg: none` and no signature, the classic downgrade. */
export function unsignedJws(o: Omit<NotationOptions, 'key'>): Buffer {
  const header = { alg: 'none', crit: ['io.cncf.notary.signingScheme'], cty: payloadType, 'io.cncf.notary.signingScheme': 'notary.x509' };
  return Buffer.from(JSON.stringify({
    protected: Buffer.from(JSON.stringify(header)).toString('base64url'),
    payload: payload(o).toString('base64url'),
    signature: '',
    header: { x5c: o.chain.map((c) => c.raw.toString('base64')) },
  }));
}

// --- a minimal CBOR writer for COSE test envelopes (maps with int/text keys, tag 18, tag 1) ---
function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}
type W = number | string | Buffer | W[] | Map<W, W> | { tag: number; value: W };
function cbor(v: W): Buffer {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') { const b = Buffer.from(v); return Buffer.concat([head(3, b.length), b]); }
  if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v]);
  if (Array.isArray(v)) return Buffer.concat([head(4, v.length), ...v.map(cbor)]);
  if (v instanceof Map) return Buffer.concat([head(5, v.size), ...[...v].flatMap(([k, x]) => [cbor(k), cbor(x)])]);
  return Buffer.concat([head(6, v.tag), cbor(v.value)]);
}

const coseAlg: Record<string, number> = { ES256: -7, ES384: -35, PS256: -37 };

/** A Notation COSE_Sign1 envelope. */
export function notationCose(o: NotationOptions): Buffer {
  const alg = o.alg ?? 'ES256';
  const protectedMap = new Map<W, W>([
    [1, coseAlg[alg]!],
    [2, o.crit ?? ['io.cncf.notary.signingScheme']],
    [3, o.cty ?? payloadType],
    ['io.cncf.notary.signingScheme', o.signingScheme ?? 'notary.x509'],
    ['io.cncf.notary.signingTime', { tag: 1, value: Math.floor(Date.now() / 1000) }],
  ]);
  const protectedBytes = cbor(protectedMap);
  const body = payload(o);
  const toBeSigned = encodeCborStrings(['Signature1', protectedBytes, new Uint8Array(0), body]);
  const signature = alg.startsWith('PS')
    ? sign('sha256', toBeSigned, { key: o.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST })
    : sign(alg === 'ES384' ? 'sha384' : 'sha256', toBeSigned, { key: o.key, dsaEncoding: 'ieee-p1363' });
  const unprotected = new Map<W, W>([[33, o.chain.map((c) => c.raw)], ['io.cncf.notary.signingAgent', 'berth-test']]);
  return cbor({ tag: 18, value: [protectedBytes, unprotected, body, signature] });
}

/** A cosign simplesigning payload for `digest`, as `cosign sign` writes it. */
export function simpleSigningPayload(digest: string, reference = 'registry.test/project/app'): Buffer {
  return Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': reference }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }));
}

/** cosign's signature over a payload with a private key (ECDSA/RSA over SHA-256, Ed25519 plain). */
export function cosignSign(payloadBytes: Uint8Array, key: KeyObject): string {
  return sign(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', payloadBytes, key).toString('base64');
}

import { constants, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { flattenedVerify } from 'jose/jws/flattened/verify';
import { CborError, CborTag, decodeCbor, encodeCborStrings, type CborValue } from './cbor.js';
import { signatureTypes } from './media-types.js';
import { check, decodeBase64, type SignatureCheck, type TrustMaterial } from './verification.js';
import { verifyChain } from './x509-chain.js';

/**
 * Notation signatures (Notary Project signature specification, JWS and COSE envelopes, the
 * `notary.x509` signing scheme). What is checked, in order: the envelope is well formed and uses an
 * allowed algorithm (never `none`); its payload's target artifact is the subject; the signature
 * verifies with the leaf of its own certificate chain; the chain leads to one of the project's
 * trust anchors, valid now, with the anchor's signer identity; the signature has not expired.
 *
 * Not supported, and so untrusted: `notary.x509.signingAuthority` (it needs an RFC 3161 timestamp
 * authority), and timestamps that would let a signature outlive its certificate.
 */

const payloadContentType = signatureTypes.notaryPayload;
const hashOf = { 256: 'sha256', 384: 'sha384', 512: 'sha512' } as const;
const curveOf = { 256: 'prime256v1', 384: 'secp384r1', 512: 'secp521r1' } as const;
type Bits = keyof typeof hashOf;
interface Algorithm { family: 'PS' | 'ES'; bits: Bits }

const jwsAlgorithms: Record<string, Algorithm> = {
  PS256: { family: 'PS', bits: 256 }, PS384: { family: 'PS', bits: 384 }, PS512: { family: 'PS', bits: 512 },
  ES256: { family: 'ES', bits: 256 }, ES384: { family: 'ES', bits: 384 }, ES512: { family: 'ES', bits: 512 },
};
const coseAlgorithms = new Map<number, Algorithm>([
  [-37, { family: 'PS', bits: 256 }], [-38, { family: 'PS', bits: 384 }], [-39, { family: 'PS', bits: 512 }],
  [-7, { family: 'ES', bits: 256 }], [-35, { family: 'ES', bits: 384 }], [-36, { family: 'ES', bits: 512 }],
]);

/** Critical header parameters Notation defines; any other one listed in `crit` is not understood. */
const notaryCritical = ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry', 'io.cncf.notary.authenticSigningTime', 'io.cncf.notary.verificationPlugin', 'io.cncf.notary.verificationPluginMinVersion'];

export interface Subject {
  digest: string;
  /** The manifest size, when known: Notation's payload names it too. */
  size?: number;
}

/** What both envelopes carry once decoded; `verifySignature` closes over the envelope's own bytes. */
interface Envelope {
  algorithm: Algorithm;
  payload: Uint8Array;
  contentType: unknown;
  signingScheme: unknown;
  critical: unknown;
  expiry: Date | null;
  chain: X509Certificate[];
  verifySignature(key: KeyObject): Promise<boolean>;
}

function keyFits(key: KeyObject, algorithm: Algorithm): boolean {
  if (algorithm.family === 'PS') return key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss';
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === curveOf[algorithm.bits];
}

function certificates(ders: unknown[]): X509Certificate[] | null {
  try {
    return ders.map((der) => {
      const bytes = der instanceof Uint8Array ? der : decodeBase64(der);
      if (!bytes) throw new Error('not base64');
      return new X509Certificate(bytes);
    });
  } catch {
    return null;
  }
}

function readJws(bytes: Uint8Array): Envelope | string {
  let jws: { protected?: unknown; payload?: unknown; signature?: unknown; header?: { x5c?: unknown } };
  try {
    jws = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return 'the JWS envelope is not JSON';
  }
  if (typeof jws !== 'object' || jws === null || typeof jws.protected !== 'string' || typeof jws.payload !== 'string' || typeof jws.signature !== 'string') {
    return 'the JWS envelope lacks protected, payload or signature';
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString('utf8'));
  } catch {
    return 'the JWS protected header is not JSON';
  }
  if (typeof header !== 'object' || header === null) return 'the JWS protected header is not an object';
  if (header.alg === 'none') return 'alg none is refused';
  const algorithm = typeof header.alg === 'string' ? jwsAlgorithms[header.alg] : undefined;
  if (!algorithm) return `unsupported JWS algorithm ${String(header.alg)}`;
  const x5c = jws.header?.x5c;
  const chain = Array.isArray(x5c) && x5c.length > 0 ? certificates(x5c) : null;
  if (!chain) return 'the JWS envelope has no readable x5c certificate chain';
  const expiry = typeof header['io.cncf.notary.expiry'] === 'string' ? new Date(header['io.cncf.notary.expiry']) : null;
  const flattened = { protected: jws.protected, payload: jws.payload, signature: jws.signature };
  return {
    algorithm,
    payload: Buffer.from(jws.payload, 'base64url'),
    contentType: header.cty,
    signingScheme: header['io.cncf.notary.signingScheme'],
    critical: header.crit,
    expiry: expiry && !Number.isNaN(expiry.getTime()) ? expiry : null,
    chain,
    async verifySignature(key) {
      try {
        await flattenedVerify(flattened, key, {
          algorithms: [header.alg as string],
          crit: Object.fromEntries(notaryCritical.map((name) => [name, true])),
        });
        return true;
      } catch {
        return false;
      }
    },
  };
}

function epoch(value: CborValue | undefined): Date | null {
  const seconds = value instanceof CborTag && value.tag === 1 ? value.value : undefined;
  return typeof seconds === 'number' ? new Date(seconds * 1000) : null;
}

function readCose(bytes: Uint8Array): Envelope | string {
  let sign1: CborValue;
  let protectedHeader: CborValue;
  try {
    sign1 = decodeCbor(bytes);
    if (sign1 instanceof CborTag && sign1.tag === 18) sign1 = sign1.value;
    if (!Array.isArray(sign1) || sign1.length !== 4) return 'the COSE envelope is not a COSE_Sign1 message';
    if (!(sign1[0] instanceof Uint8Array) || !(sign1[2] instanceof Uint8Array) || !(sign1[3] instanceof Uint8Array) || !(sign1[1] instanceof Map)) {
      return 'the COSE_Sign1 message is malformed';
    }
    protectedHeader = decodeCbor(sign1[0]);
  } catch (error) {
    if (error instanceof CborError || error instanceof TypeError) return `the COSE envelope is not valid CBOR: ${error.message}`;
    throw error;
  }
  if (!(protectedHeader instanceof Map)) return 'the COSE protected header is not a map';
  const [protectedBytes, unprotected, payload, signature] = sign1 as [Uint8Array, Map<CborValue, CborValue>, Uint8Array, Uint8Array];
  const alg = protectedHeader.get(1);
  const algorithm = typeof alg === 'number' ? coseAlgorithms.get(alg) : undefined;
  if (!algorithm) return `unsupported COSE algorithm ${String(alg)}`;
  const x5chain = unprotected.get(33);
  const ders = x5chain instanceof Uint8Array ? [x5chain] : Array.isArray(x5chain) ? x5chain : [];
  const chain = ders.length > 0 && ders.every((d) => d instanceof Uint8Array) ? certificates(ders) : null;
  if (!chain) return 'the COSE envelope has no readable x5chain';
  const critical = protectedHeader.get(2);
  return {
    algorithm,
    payload,
    contentType: protectedHeader.get(3),
    signingScheme: protectedHeader.get('io.cncf.notary.signingScheme'),
    critical,
    expiry: epoch(protectedHeader.get('io.cncf.notary.expiry')),
    chain,
    async verifySignature(key) {
      // RFC 9052 §4.4: the signature is over Sig_structure ["Signature1", protected, external_aad, payload].
      const toBeSigned = encodeCborStrings(['Signature1', protectedBytes, new Uint8Array(0), payload]);
      const hash = hashOf[algorithm.bits];
      try {
        if (algorithm.family === 'PS') {
          return verify(hash, toBeSigned, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);
        }
        return verify(hash, toBeSigned, { key, dsaEncoding: 'ieee-p1363' }, signature);
      } catch {
        return false;
      }
    },
  };
}

function targetOf(payload: Uint8Array): { digest: string; size?: unknown } | null {
  try {
    const body = JSON.parse(Buffer.from(payload).toString('utf8')) as { targetArtifact?: { digest?: unknown; size?: unknown } };
    const target = body.targetArtifact;
    return target && typeof target.digest === 'string' ? { digest: target.digest, size: target.size } : null;
  } catch {
    return null;
  }
}

/**
 * Verifies one Notation signature envelope (`mediaType` is the signature layer's:
 * application/jose+json or application/cose) against `subject`.
 */
export async function verifyNotationEnvelope(mediaType: string, bytes: Uint8Array, subject: Subject, trust: TrustMaterial, now: Date): Promise<SignatureCheck> {
  const envelope = mediaType === signatureTypes.notaryJws ? readJws(bytes) : mediaType === signatureTypes.notaryCose ? readCose(bytes) : `unknown envelope type ${mediaType}`;
  if (typeof envelope === 'string') return check.invalid(envelope);
  if (envelope.contentType !== payloadContentType) return check.invalid(`the payload content type is not ${payloadContentType}`);
  if (!Array.isArray(envelope.critical) || !envelope.critical.includes('io.cncf.notary.signingScheme')) {
    return check.invalid('io.cncf.notary.signingScheme is not marked critical');
  }
  const target = targetOf(envelope.payload);
  if (!target) return check.invalid('the payload names no target artifact');
  if (target.digest !== subject.digest) return check.mismatch(target.digest, subject.digest);
  if (subject.size !== undefined && target.size !== subject.size) {
    return { status: 'mismatch', reason: `the signature is over a ${String(target.size)}-byte manifest, not ${subject.size} bytes` };
  }
  if (envelope.signingScheme !== 'notary.x509') {
    return check.untrusted(`signing scheme ${String(envelope.signingScheme)} needs a timestamp authority, which Berth does not check`);
  }
  const leaf = envelope.chain[0]!;
  if (!keyFits(leaf.publicKey, envelope.algorithm)) return check.invalid('the signing certificate key does not fit the signature algorithm');
  if (!(await envelope.verifySignature(leaf.publicKey))) return check.untrusted('the signature does not verify with its signing certificate');
  const chained = verifyChain(envelope.chain, trust.anchors, now);
  if (!chained.ok) return check.untrusted(chained.reason);
  if (envelope.expiry && envelope.expiry.getTime() < now.getTime()) return check.untrusted(`the signature expired at ${envelope.expiry.toISOString()}`);
  const until = envelope.expiry && envelope.expiry.getTime() < Date.parse(chained.validUntil) ? envelope.expiry.toISOString() : chained.validUntil;
  return check.verified(chained.anchor, until);
}

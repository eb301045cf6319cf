import { X509Certificate } from 'node:crypto';
import { cosignSignPredicate } from './media-types.js';
import { verifyWithKey } from './public-keys.js';
import { check, decodeBase64, type SignatureCheck, type TrustMaterial } from './verification.js';
import { verifyChain } from './x509-chain.js';

/**
 * A sigstore bundle (v0.3, as cosign's new bundle format pushes it as a referrer layer). Two
 * contents exist: a DSSE envelope over an in-toto statement naming the image digest (what `cosign
 * sign` writes, predicate `https://sigstore.dev/cosign/sign/v1`; other predicates are attestations),
 * or a message signature over the manifest bytes.
 */
interface Bundle {
  mediaType?: unknown;
  verificationMaterial?: {
    publicKey?: { hint?: unknown };
    certificate?: { rawBytes?: unknown };
    x509CertificateChain?: { certificates?: { rawBytes?: unknown }[] };
    tlogEntries?: { integratedTime?: unknown }[];
  };
  dsseEnvelope?: { payload?: unknown; payloadType?: unknown; signatures?: { sig?: unknown }[] };
  messageSignature?: { messageDigest?: { algorithm?: unknown; digest?: unknown }; signature?: unknown };
}

export interface BundleCheck {
  /** False for attestations (DSSE with another predicate): present, but not a signature. */
  isSignature: boolean;
  check: SignatureCheck;
}

/** DSSE's pre-authentication encoding: what a DSSE signature is over. */
function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.byteLength} `), body]);
}

function certificateChain(bundle: Bundle): X509Certificate[] | null {
  const material = bundle.verificationMaterial;
  const raws = material?.certificate ? [material.certificate.rawBytes] : (material?.x509CertificateChain?.certificates ?? []).map((c) => c.rawBytes);
  if (raws.length === 0) return [];
  try {
    return raws.map((raw) => {
      const der = decodeBase64(raw);
      if (!der) throw new Error('not base64');
      return new X509Certificate(der);
    });
  } catch {
    return null;
  }
}

function tlogTime(bundle: Bundle): Date | null {
  const seconds = Number(bundle.verificationMaterial?.tlogEntries?.[0]?.integratedTime);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : null;
}

/**
 * Checks a bundle against `subject` (`manifest` is the subject's bytes, needed only for a message
 * signature). Keys first (`publicKey` material), then the certificate: a Fulcio certificate is
 * judged at the transparency log's integrated time, which Berth records but cannot confirm, so it
 * counts only where the project trusts its chain and identity.
 */
export function verifySigstoreBundle(bytes: Uint8Array, subject: string, trust: TrustMaterial, now: Date, manifest?: Uint8Array): BundleCheck {
  let bundle: Bundle;
  try {
    bundle = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return { isSignature: true, check: check.invalid('the sigstore bundle is not JSON') };
  }
  if (typeof bundle !== 'object' || bundle === null) return { isSignature: true, check: check.invalid('the sigstore bundle is not an object') };
  const [algorithm, hex] = subject.split(':') as [string, string];

  let signed: Buffer;
  let signatures: Buffer[];
  let isSignature = true;
  if (bundle.dsseEnvelope) {
    const envelope = bundle.dsseEnvelope;
    const body = decodeBase64(envelope.payload);
    if (!body || typeof envelope.payloadType !== 'string') return { isSignature, check: check.invalid('the DSSE envelope has no payload') };
    let statement: { predicateType?: unknown; subject?: { digest?: Record<string, unknown> }[] };
    try {
      statement = JSON.parse(body.toString('utf8'));
    } catch {
      return { isSignature, check: check.invalid('the DSSE payload is not an in-toto statement') };
    }
    isSignature = statement.predicateType === cosignSignPredicate;
    const digests = (Array.isArray(statement.subject) ? statement.subject : []).map((s) => s?.digest?.[algorithm]).filter((d) => typeof d === 'string');
    if (digests.length === 0) return { isSignature, check: check.invalid('the in-toto statement names no subject digest') };
    if (!digests.includes(hex)) return { isSignature, check: check.mismatch(`${algorithm}:${digests[0] as string}`, subject) };
    signed = pae(envelope.payloadType, body);
    signatures = (envelope.signatures ?? []).map((s) => decodeBase64(s?.sig)).filter((s): s is Buffer => s !== null);
  } else if (bundle.messageSignature) {
    const message = bundle.messageSignature;
    const digest = decodeBase64(message.messageDigest?.digest);
    if (!digest) return { isSignature, check: check.invalid('the message signature has no digest') };
    if (digest.toString('hex') !== hex) return { isSignature, check: check.mismatch(`${algorithm}:${digest.toString('hex')}`, subject) };
    if (!manifest) return { isSignature, check: check.untrusted('the signed manifest bytes are not at hand') };
    signed = Buffer.from(manifest);
    const signature = decodeBase64(message.signature);
    signatures = signature ? [signature] : [];
  } else {
    return { isSignature, check: check.invalid('the sigstore bundle has neither a DSSE envelope nor a message signature') };
  }
  if (signatures.length === 0) return { isSignature, check: check.invalid('the sigstore bundle carries no signature') };

  for (const { name, key } of trust.publicKeys) {
    if (signatures.some((signature) => verifyWithKey(key, signed, signature))) return { isSignature, check: check.verified(name) };
  }
  const chain = certificateChain(bundle);
  if (chain === null) return { isSignature, check: check.invalid('the bundle certificate is not readable') };
  if (chain.length === 0) return { isSignature, check: check.untrusted('no trusted public key verifies the signature') };
  const leaf = chain[0]!;
  const keyless = /sigstore/i.test(leaf.issuer);
  if (!signatures.some((signature) => verifyWithKey(leaf.publicKey, signed, signature))) {
    return { isSignature, check: check.untrusted('the signature does not verify with its own certificate', { keyless }) };
  }
  const at = keyless ? tlogTime(bundle) : now;
  if (!at) return { isSignature, check: check.untrusted('keyless signature without a transparency-log time', { keyless }) };
  const chained = verifyChain(chain, trust.anchors, at);
  if (!chained.ok) return { isSignature, check: check.untrusted(keyless ? `keyless signature: ${chained.reason}` : chained.reason, { keyless }) };
  return { isSignature, check: { ...check.verified(chained.anchor, keyless ? undefined : chained.validUntil), ...(keyless ? { keyless } : {}) } };
}


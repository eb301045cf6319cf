import { X509Certificate } from 'node:crypto';
import { verifyWithKey } from './public-keys.js';
import { check, decodeBase64, type SignatureCheck, type TrustMaterial } from './verification.js';
import { certificatesFromPem, verifyChain } from './x509-chain.js';

/** One cosign simplesigning layer: the payload bytes and the annotations cosign put beside them. */
export interface CosignLayer {
  payload: Uint8Array;
  /** `dev.cosignproject.cosign/signature`: base64 signature over the payload bytes. */
  signature: string | undefined;
  /** `dev.sigstore.cosign/certificate`: the signing certificate (keyless or PKI signing). */
  certificate?: string;
  /** `dev.sigstore.cosign/chain`: its issuers, leaf's issuer first. */
  chain?: string;
  /** `dev.sigstore.cosign/bundle`: the Rekor entry, whose integratedTime dates a keyless signature. */
  rekorBundle?: string;
}

/** The digest a simplesigning payload vouches for (`critical.image.docker-manifest-digest`). */
export function signedDigestOf(payload: Uint8Array): string | null {
  try {
    const body = JSON.parse(Buffer.from(payload).toString('utf8')) as { critical?: { image?: Record<string, unknown>; type?: unknown } };
    const digest = body.critical?.image?.['docker-manifest-digest'];
    return typeof digest === 'string' ? digest : null;
  } catch {
    return null;
  }
}

function integratedTime(rekorBundle: string | undefined): Date | null {
  if (!rekorBundle) return null;
  try {
    const seconds = (JSON.parse(rekorBundle) as { Payload?: { integratedTime?: unknown } }).Payload?.integratedTime;
    return typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000) : null;
  } catch {
    return null;
  }
}

/** A Fulcio certificate carries the OIDC issuer extension (1.3.6.1.4.1.57264.1.1 or .1.8). */
function isFulcio(cert: X509Certificate): boolean {
  return /sigstore/i.test(cert.issuer) || cert.raw.includes(Buffer.from([0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01]));
}

/**
 * Verifies one cosign signature layer against `subject` (cosign SIGNATURE_SPEC): the payload must
 * name the subject's digest, and the signature over the payload bytes must verify with a trusted
 * public key, or with a certificate that chains to a trusted anchor.
 *
 * Certificates are checked at `now`, except keyless (Fulcio) ones, which live ten minutes and are
 * checked at the time the Rekor entry claims; Berth cannot reach Rekor to confirm that entry, so a
 * keyless signature counts only where a project trusts the Fulcio chain, with an identity.
 */
export function verifyCosignLayer(layer: CosignLayer, subject: string, trust: TrustMaterial, now: Date): SignatureCheck {
  const signed = signedDigestOf(layer.payload);
  if (!signed) return check.invalid('the payload is not a cosign simplesigning document');
  if (signed !== subject) return check.mismatch(signed, subject);
  const signature = decodeBase64(layer.signature);
  if (!signature) return check.invalid('the layer has no readable dev.cosignproject.cosign/signature annotation');

  for (const { name, key } of trust.publicKeys) {
    if (verifyWithKey(key, layer.payload, signature)) return check.verified(name);
  }
  if (!layer.certificate) return check.untrusted('no trusted public key verifies the signature');

  const chain = certificatesFromPem(`${layer.certificate}\n${layer.chain ?? ''}`);
  const leaf = chain[0];
  if (!leaf) return check.invalid('the signing certificate is not readable');
  const keyless = isFulcio(leaf);
  if (!verifyWithKey(leaf.publicKey, layer.payload, signature)) {
    return check.untrusted('the signature does not verify with its own certificate', { keyless });
  }
  const at = keyless ? integratedTime(layer.rekorBundle) : now;
  if (!at) return check.untrusted('keyless signature without a transparency-log time', { keyless: true });
  const chained = verifyChain(chain, trust.anchors, at);
  if (!chained.ok) {
    return check.untrusted(keyless ? `keyless signature: ${chained.reason}` : chained.reason, { keyless });
  }
  // A keyless certificate has expired minutes after signing; what stays true is the signing time.
  return { ...check.verified(chained.anchor, keyless ? undefined : chained.validUntil), ...(keyless ? { keyless } : {}) };
}

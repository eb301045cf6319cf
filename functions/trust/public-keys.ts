import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

/** The cosign key types a project may trust. */
export type KeyAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'rsa' | 'ed25519';

export type ParsedPublicKey = { key: KeyObject; algorithm: KeyAlgorithm; fingerprint: string } | { error: string };

/** Smallest RSA modulus accepted: NIST's floor since 2013, and cosign's own for generated keys. */
const minRsaBits = 2048;

/**
 * Reads a cosign public key (`-----BEGIN PUBLIC KEY-----`, SubjectPublicKeyInfo, as `cosign
 * generate-key-pair` writes it; or PKCS#1 `RSA PUBLIC KEY`). Private keys are refused rather than
 * reduced to their public half: whoever pasted one has just leaked it, and should be told.
 */
export function parsePublicKeyPem(pem: string): ParsedPublicKey {
  if (/PRIVATE KEY-----/.test(pem)) return { error: 'this is a private key; send only the public key (cosign.pub)' };
  if (!/-----BEGIN (RSA )?PUBLIC KEY-----[\s\S]+-----END (RSA )?PUBLIC KEY-----/.test(pem)) {
    return { error: 'public_key must be a PEM public key (-----BEGIN PUBLIC KEY-----)' };
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return { error: 'public_key is not a readable PEM public key' };
  }
  const details = key.asymmetricKeyDetails ?? {};
  let algorithm: KeyAlgorithm;
  switch (key.asymmetricKeyType) {
    case 'ec':
      if (details.namedCurve === 'prime256v1') algorithm = 'ecdsa-p256';
      else if (details.namedCurve === 'secp384r1') algorithm = 'ecdsa-p384';
      else return { error: `unsupported elliptic curve ${details.namedCurve ?? 'unknown'}; use P-256 or P-384` };
      break;
    case 'rsa':
      if ((details.modulusLength ?? 0) < minRsaBits) return { error: `RSA keys must have at least ${minRsaBits} bits` };
      algorithm = 'rsa';
      break;
    case 'ed25519':
      algorithm = 'ed25519';
      break;
    default:
      return { error: `unsupported key type ${key.asymmetricKeyType ?? 'unknown'}; use ECDSA P-256/P-384, RSA or Ed25519` };
  }
  const der = key.export({ type: 'spki', format: 'der' });
  return { key, algorithm, fingerprint: `sha256:${createHash('sha256').update(der).digest('hex')}` };
}

/**
 * Checks a signature made the way cosign signs with a key: ECDSA (ASN.1 DER) over SHA-256 (and,
 * for P-384, SHA-384 as sigstore-go does), RSA PKCS#1 v1.5 over SHA-256, plain Ed25519.
 * False for any failure, malformed signature bytes included.
 */
export function verifyWithKey(key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const attempt = (hash: string | null) => {
    try {
      return verify(hash, data, key, signature);
    } catch {
      return false;
    }
  };
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return attempt(null);
    case 'rsa':
      return attempt('sha256');
    case 'ec':
      return attempt('sha256') || (key.asymmetricKeyDetails?.namedCurve === 'secp384r1' && attempt('sha384'));
    default:
      return false;
  }
}

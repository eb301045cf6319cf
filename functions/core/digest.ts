import { createHash, type Hash } from 'node:crypto';
import { OciError } from './errors.js';

/** Algorithms Berth verifies (spec "Digests": sha256 is required, sha512 optional). */
const hexLength = { sha256: 64, sha512: 128 } as const;
export type DigestAlgorithm = keyof typeof hexLength;

/** The grammar of any digest (spec "Digests"), registered algorithm or not. */
const digestGrammar = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface Digest {
  algorithm: DigestAlgorithm;
  hex: string;
  /** `algorithm:hex` */
  value: string;
}

/** Parses a digest Berth can verify; null for anything else (caller picks the error code). */
export function parseDigest(input: string): Digest | null {
  if (input.length > 200 || !digestGrammar.test(input)) return null;
  const colon = input.indexOf(':');
  const algorithm = input.slice(0, colon);
  const hex = input.slice(colon + 1);
  if (!(algorithm in hexLength)) return null;
  const length = hexLength[algorithm as DigestAlgorithm];
  if (hex.length !== length || !/^[a-f0-9]+$/.test(hex)) return null;
  return { algorithm: algorithm as DigestAlgorithm, hex, value: input };
}

/** parseDigest, or DIGEST_INVALID. */
export function requireDigest(input: string | undefined | null): Digest {
  const digest = input ? parseDigest(input) : null;
  if (!digest) throw new OciError('DIGEST_INVALID', 'invalid or unsupported digest', { digest: input ?? null });
  return digest;
}

/** A streaming hasher for one algorithm. */
export function createDigester(algorithm: DigestAlgorithm): Hash {
  return createHash(algorithm);
}

export function digestOf(bytes: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

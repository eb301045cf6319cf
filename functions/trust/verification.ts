import type { KeyObject } from 'node:crypto';
import type { Anchor } from './x509-chain.js';

/** What a project trusts, ready to verify with (see key-store.ts for how it is stored). */
export interface TrustMaterial {
  /** cosign public keys. */
  publicKeys: { name: string; key: KeyObject }[];
  /** Certificates (Notation trust anchors; they also vouch for cosign certificate signatures). */
  anchors: Anchor[];
}

/**
 * The outcome of checking one signature against one artifact:
 * - `verified`: it names this artifact and a trusted key or anchor verifies it;
 * - `mismatch`: it is over another digest than the artifact's;
 * - `untrusted`: it names this artifact but no trusted key verifies it (other key, tampered
 *   payload, expired or foreign certificate, wrong identity, keyless without a trusted chain);
 * - `invalid`: it cannot be read (malformed envelope, missing or oversized layer, `alg: none`).
 */
export type CheckStatus = 'verified' | 'mismatch' | 'untrusted' | 'invalid';

export interface SignatureCheck {
  status: CheckStatus;
  reason: string;
  /** The key or anchor that verified it. */
  key?: string;
  /** When a verified signature stops counting (its certificates or its own expiry run out). */
  validUntil?: string;
  /** Signed with a short-lived Fulcio certificate (cosign keyless). */
  keyless?: boolean;
}

export const check = {
  verified: (key: string, validUntil?: string): SignatureCheck => ({ status: 'verified', reason: `verified with ${key}`, key, ...(validUntil ? { validUntil } : {}) }),
  mismatch: (signed: string, subject: string): SignatureCheck => ({ status: 'mismatch', reason: `the signature is over ${signed}, not ${subject}` }),
  untrusted: (reason: string, extra: Partial<SignatureCheck> = {}): SignatureCheck => ({ status: 'untrusted', reason, ...extra }),
  invalid: (reason: string): SignatureCheck => ({ status: 'invalid', reason }),
};

/** Strict standard or URL-safe base64 (with or without padding); null for anything else. */
export function decodeBase64(text: unknown): Buffer | null {
  if (typeof text !== 'string' || text.length === 0) return null;
  const trimmed = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return null;
  return Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

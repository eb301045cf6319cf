import { X509Certificate } from 'node:crypto';
import { ConditionFailedError, type Item, type Table } from '../ports/table.js';
import { parsePublicKeyPem, type KeyAlgorithm } from './public-keys.js';
import { trustKeys } from './keys.js';
import type { TrustMaterial } from './verification.js';
import { certificatesFromPem } from './x509-chain.js';

/**
 * A key a project trusts: a cosign public key, or a certificate (a Notation trust anchor, which
 * also vouches for cosign signatures made with certificates it issued) with the signer identity it
 * may vouch for.
 */
export interface TrustKey {
  name: string;
  kind: 'public_key' | 'certificate';
  pem: string;
  /** ecdsa-p256 | ecdsa-p384 | rsa | ed25519 for public keys; the certificate's key type otherwise. */
  algorithm: string;
  /** sha256 of the SubjectPublicKeyInfo (public keys) or of the certificate (DER). */
  fingerprint: string;
  identity?: string;
  subject?: string;
  notAfter?: string;
  createdAt: string;
}

export const keyNamePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** The checked form of what a caller may post; `error` explains a refusal in a sentence. */
export type KeyInput =
  | { name: string; kind: 'public_key'; pem: string }
  | { name: string; kind: 'certificate'; pem: string; identity?: string };

export function describeKey(input: KeyInput, now: Date): Omit<TrustKey, 'createdAt'> | { error: string } {
  if (!keyNamePattern.test(input.name)) return { error: 'name must be 1-63 lower-case letters, digits, dots, dashes or underscores' };
  if (input.kind === 'public_key') {
    const parsed = parsePublicKeyPem(input.pem);
    if ('error' in parsed) return parsed;
    return { name: input.name, kind: 'public_key', pem: input.pem.trim(), algorithm: parsed.algorithm satisfies KeyAlgorithm, fingerprint: parsed.fingerprint };
  }
  if (/PRIVATE KEY-----/.test(input.pem)) return { error: 'this PEM holds a private key; send only the certificate' };
  const certificates = certificatesFromPem(input.pem);
  if (certificates.length !== 1) return { error: 'certificate must be exactly one PEM X.509 certificate' };
  const certificate = certificates[0]!;
  if (new Date(certificate.validTo).getTime() < now.getTime()) return { error: `the certificate expired at ${new Date(certificate.validTo).toISOString()}` };
  const type = certificate.publicKey.asymmetricKeyType;
  if (type !== 'ec' && type !== 'rsa' && type !== 'ed25519') return { error: `unsupported certificate key type ${type ?? 'unknown'}` };
  const identity = input.identity?.trim();
  if (identity !== undefined && identity.length === 0) return { error: 'identity must not be empty (use "*" to trust any signer the certificate issued)' };
  return {
    name: input.name,
    kind: 'certificate',
    pem: certificate.toString().trim(),
    algorithm: type,
    fingerprint: `sha256:${certificate.fingerprint256.replace(/:/g, '').toLowerCase()}`,
    ...(identity ? { identity } : {}),
    subject: certificate.subject.replace(/\n/g, ', '),
    notAfter: new Date(certificate.validTo).toISOString(),
  };
}

function toKey(item: Item): TrustKey {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as unknown as TrustKey;
}

/** A project's trusted keys, on the Table port. */
export class TrustKeyStore {
  constructor(private readonly table: Table) {}

  /** Every key of the project, by name. */
  async list(project: string): Promise<TrustKey[]> {
    const items = await this.table.query(trustKeys.partition(project), { prefix: trustKeys.keyPrefix });
    return items.map(toKey);
  }

  /** Stores a new key; false when the name is taken (also under a concurrent add). */
  async add(project: string, key: TrustKey): Promise<boolean> {
    try {
      await this.table.put({ ...trustKeys.key(project, key.name), ...(key as unknown as Record<string, string>) }, { exists: false });
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  /** Removes a key; false when there was none of that name. */
  async remove(project: string, name: string): Promise<boolean> {
    try {
      await this.table.delete(trustKeys.key(project, name), { exists: true });
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  /** Removes every key of a project (the project is being deleted). */
  async removeAll(project: string): Promise<void> {
    for (const key of await this.list(project)) await this.table.delete(trustKeys.key(project, key.name));
  }

  /** The project's keys, parsed for verification. A stored key that no longer parses is skipped. */
  async material(project: string): Promise<TrustMaterial> {
    const material: TrustMaterial = { publicKeys: [], anchors: [] };
    for (const key of await this.list(project)) {
      if (key.kind === 'public_key') {
        const parsed = parsePublicKeyPem(key.pem);
        if (!('error' in parsed)) material.publicKeys.push({ name: key.name, key: parsed.key });
      } else {
        try {
          material.anchors.push({ name: key.name, certificate: new X509Certificate(key.pem), ...(key.identity ? { identity: key.identity } : {}) });
        } catch {
          // stored before a stricter parser: not trusted rather than fatal
        }
      }
    }
    return material;
  }
}

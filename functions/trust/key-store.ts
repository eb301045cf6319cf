import { X509Certificate } from 'node:crypto';
import type { Job } from '../core/jobs.js';
import type { JobQueue } from '../ports/job-queue.js';
import { ConditionFailedError, type Item, type Table, type WriteOp } from '../ports/table.js';
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
  // Fulcio issues a certificate to anyone who can log in somewhere: without an identity its root
  // would vouch for every keyless signature in the world.
  if (/sigstore/i.test(certificate.subject) && (identity === undefined || identity === '*')) {
    return { error: 'a Fulcio (sigstore) root needs an identity (email:..., uri:...): it certifies anyone who can log in' };
  }
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
  const { pk: _pk, sk: _sk, projectId: _projectId, ...rest } = item;
  return rest as unknown as TrustKey;
}

/** The project a key belongs to: its name and its numeric id, which is never reused. */
export interface ProjectRef {
  name: string;
  id: number;
}

/** The re-verification a key change needs, committed with the change itself (the outbox). */
function reverifyJob(project: string): Job {
  return { version: 1, kind: 'trust-reverify', id: crypto.randomUUID(), project };
}

/**
 * A project's trusted keys, on the Table port. Each key records the id of the project that added
 * it: a project deleted and created again under the same name gets a new id, and does not inherit
 * the keys its predecessor trusted. Adding or removing a key queues the project's re-verification
 * in the same transaction, so no acknowledged change leaves stale verdicts behind.
 */
export class TrustKeyStore {
  constructor(
    private readonly table: Table,
    private readonly queue?: JobQueue,
  ) {}

  private async items(project: ProjectRef): Promise<Item[]> {
    const items = await this.table.query(trustKeys.partition(project.name), { prefix: trustKeys.keyPrefix });
    return items.filter((item) => item.projectId === project.id);
  }

  /** Every key of the project, by name. */
  async list(project: ProjectRef): Promise<TrustKey[]> {
    return (await this.items(project)).map(toKey);
  }

  private commit(op: WriteOp, project: ProjectRef): Promise<void> {
    return this.table.transact(this.queue ? [op, this.queue.enqueueOp(reverifyJob(project.name))] : [op]);
  }

  /** Stores a new key; false when the project already has one of that name. */
  async add(project: ProjectRef, key: TrustKey): Promise<boolean> {
    const key_ = trustKeys.key(project.name, key.name);
    const item: Item = { ...key_, ...(key as unknown as Record<string, string>), projectId: project.id };
    const stale = await this.table.get(key_);
    if (stale && stale.projectId === project.id) return false;
    try {
      // A key left by a deleted project of the same name is replaced; anything else is a race lost.
      await this.commit({ put: item, condition: stale ? { equals: { projectId: stale.projectId ?? null } } : { exists: false } }, project);
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  /** Removes a key; false when the project has none of that name. */
  async remove(project: ProjectRef, name: string): Promise<boolean> {
    try {
      await this.commit({ delete: trustKeys.key(project.name, name), condition: { equals: { projectId: project.id } } }, project);
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  /** The project's keys, parsed for verification. A stored key that no longer parses is skipped. */
  async material(project: ProjectRef): Promise<TrustMaterial> {
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

import type { AppDeps } from '../app-env.js';
import { digestOf, parseDigest } from '../core/digest.js';
import { keys } from '../registry/keys.js';
import { Manifests } from '../registry/manifests.js';
import { accessoriesOf, type Accessory } from './accessories.js';
import { verifyCosignLayer } from './cosign-signature.js';
import { cosignAnnotations, isSigstoreBundleType, signatureTypes } from './media-types.js';
import { verifyNotationEnvelope } from './notation-signature.js';
import { verifySigstoreBundle } from './sigstore-bundle.js';
import { check, type CheckStatus, type SignatureCheck, type TrustMaterial } from './verification.js';

/** Largest signature layer read (cosign payloads are about 300 bytes, Notation envelopes a few KB). */
export const maxSignatureLayerBytes = 256 * 1024;
/** Signatures examined per artifact, and layers per signature manifest: pushing thousands buys no work. */
const maxSignatures = 32;
const maxLayers = 16;

export type Scheme = 'cosign' | 'notation';
export type VerdictState = 'verified' | 'unsigned' | CheckStatus;

/** What a project policy needs to know of one signing scheme on one artifact. */
export interface SchemeVerdict {
  state: VerdictState;
  reason: string;
  /** How many signatures of this scheme the artifact has (examined ones, at most 32). */
  signatures: number;
  key?: string;
  /** A verified verdict stops holding then (certificate or signature expiry). */
  validUntil?: string;
  keyless?: boolean;
  /** Verified through this image index's signature, not one of its own. */
  inheritedFrom?: string;
}

export interface SignatureResult {
  digest: string;
  type: Accessory['type'];
  status: CheckStatus;
  reason: string;
  key?: string;
}

/** Stored for a signature manifest itself: it may be pulled under a policy (cosign and notation verify do). */
export interface AccessoryMark {
  version: 1;
  accessoryOf: string;
  computedAt: string;
}

/** The verdict stored with an artifact; small, so the pull path reads it with everything else. */
export interface TrustSummary {
  version: 1;
  computedAt: string;
  cosign: SchemeVerdict;
  notation: SchemeVerdict;
  signatures: SignatureResult[];
}

/** When no signature verifies, the one that came closest speaks for the scheme. */
const closeness: Record<CheckStatus, number> = { verified: 3, untrusted: 2, mismatch: 1, invalid: 0 };

function best(checks: SignatureCheck[]): SignatureCheck {
  // Between two verified signatures, the one that holds longer; no end date holds longest.
  const end = (c: SignatureCheck) => (c.validUntil ? Date.parse(c.validUntil) : Number.POSITIVE_INFINITY);
  return checks.reduce((a, b) => {
    if (a.status === 'verified' && b.status === 'verified') return end(a) >= end(b) ? a : b;
    return closeness[b.status] > closeness[a.status] ? b : a;
  });
}

type Layer = { mediaType?: unknown; digest?: unknown; size?: unknown; annotations?: Record<string, string> };

/** A small blob of the repository, or why it cannot be had. */
async function readLayer(deps: AppDeps, repository: string, layer: Layer): Promise<Buffer | string> {
  const digest = typeof layer.digest === 'string' ? parseDigest(layer.digest) : null;
  if (!digest) return 'the signature layer has no valid digest';
  if (typeof layer.size !== 'number' || layer.size > maxSignatureLayerBytes) return `the signature layer is larger than ${maxSignatureLayerBytes} bytes`;
  if (!(await deps.table.get(keys.blobLink(repository, digest.value)))) return 'the signature layer is missing from the repository';
  const stream = await deps.blobs.open(digest.value);
  if (!stream) return 'the signature layer is missing from the blob store';
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.byteLength;
    if (total > maxSignatureLayerBytes) return `the signature layer is larger than ${maxSignatureLayerBytes} bytes`;
    chunks.push(Buffer.from(chunk));
  }
  const bytes = Buffer.concat(chunks);
  if (digestOf(bytes, digest.algorithm) !== digest.value) return 'the signature layer does not match its digest';
  return bytes;
}

async function signatureLayers(deps: AppDeps, manifests: Manifests, repository: string, accessory: Accessory): Promise<Layer[] | string> {
  const digest = parseDigest(accessory.digest);
  const stored = digest ? await manifests.resolve(repository, { digest }) : null;
  if (!stored) return 'the signature manifest is gone';
  try {
    const body = JSON.parse(Buffer.from(await manifests.body(stored)).toString('utf8')) as { layers?: unknown };
    return Array.isArray(body.layers) ? (body.layers as Layer[]) : 'the signature manifest has no layers';
  } catch {
    return 'the signature manifest is not readable';
  }
}

const envelopeTypes = new Set<string>([signatureTypes.cosignSimpleSigning, signatureTypes.notaryJws, signatureTypes.notaryCose]);

/**
 * Whether a signature manifest holds nothing but signature envelopes: no layer a runtime could
 * unpack. Only such manifests are let through a pull policy as accessories; a manifest that merely
 * claims a signature's artifactType and subject but carries a root filesystem is judged like any
 * image, so the policy cannot be dodged by dressing an image up as a signature.
 */
export async function holdsOnlyEnvelopes(deps: AppDeps, repository: string, accessory: Accessory): Promise<boolean> {
  const layers = await signatureLayers(deps, new Manifests(deps), repository, accessory);
  if (typeof layers === 'string' || layers.length === 0) return false;
  return layers.every((layer) => typeof layer.mediaType === 'string' && (envelopeTypes.has(layer.mediaType) || isSigstoreBundleType(layer.mediaType)));
}

/** Checks every signature layer of one accessory against the subject. */
async function checkAccessory(
  deps: AppDeps,
  manifests: Manifests,
  repository: string,
  accessory: Accessory,
  subject: { digest: string; size?: number; bytes?: () => Promise<Uint8Array | undefined> },
  trust: TrustMaterial,
  now: Date,
): Promise<{ checks: SignatureCheck[]; isSignature: boolean }> {
  const layers = await signatureLayers(deps, manifests, repository, accessory);
  if (typeof layers === 'string') return { checks: [check.invalid(layers)], isSignature: true };
  const checks: SignatureCheck[] = [];
  let isSignature = accessory.type !== 'subject.accessory';
  for (const layer of layers.slice(0, maxLayers)) {
    const type = typeof layer.mediaType === 'string' ? layer.mediaType : '';
    if (accessory.type === 'signature.notation') {
      if (type !== signatureTypes.notaryJws && type !== signatureTypes.notaryCose) continue;
      const bytes = await readLayer(deps, repository, layer);
      checks.push(typeof bytes === 'string' ? check.invalid(bytes) : await verifyNotationEnvelope(type, bytes, subject, trust, now));
    } else if (isSigstoreBundleType(type)) {
      const bytes = await readLayer(deps, repository, layer);
      if (typeof bytes === 'string') checks.push(check.invalid(bytes));
      else {
        const result = verifySigstoreBundle(bytes, subject.digest, trust, now, await subject.bytes?.());
        isSignature = result.isSignature;
        checks.push(result.check);
      }
    } else if (type === signatureTypes.cosignSimpleSigning) {
      const annotations = layer.annotations ?? {};
      const bytes = await readLayer(deps, repository, layer);
      checks.push(
        typeof bytes === 'string'
          ? check.invalid(bytes)
          : verifyCosignLayer(
              {
                payload: bytes,
                signature: annotations[cosignAnnotations.signature],
                certificate: annotations[cosignAnnotations.certificate],
                chain: annotations[cosignAnnotations.chain],
                rekorBundle: annotations[cosignAnnotations.rekorBundle],
              },
              subject.digest,
              trust,
              now,
            ),
      );
    }
  }
  if (checks.length === 0) checks.push(check.invalid('the signature manifest holds no signature layer'));
  return { checks, isSignature };
}

function schemeVerdict(scheme: Scheme, checks: SignatureCheck[]): SchemeVerdict {
  if (checks.length === 0) return { state: 'unsigned', reason: `not signed with ${scheme}`, signatures: 0 };
  const top = best(checks);
  return {
    state: top.status,
    reason: top.reason,
    signatures: checks.length,
    ...(top.key ? { key: top.key } : {}),
    ...(top.validUntil ? { validUntil: top.validUntil } : {}),
    ...(top.keyless ? { keyless: true } : {}),
  };
}

/**
 * The trust verdict of `digest` in `repository` against a project's keys: every cosign and
 * Notation signature found (tag scheme and referrers) is read and verified, and each scheme is
 * summed up by its best signature. Reads only; the caller stores the result.
 */
export async function evaluateArtifact(deps: AppDeps, repository: string, digest: string, trust: TrustMaterial, now: Date): Promise<TrustSummary> {
  const manifests = new Manifests(deps);
  const parsed = parseDigest(digest);
  const stored = parsed ? await manifests.resolve(repository, { digest: parsed }) : null;
  let body: Uint8Array | undefined;
  const subject = {
    digest,
    ...(stored ? { size: stored.size } : {}),
    bytes: async () => (stored ? (body ??= await manifests.body(stored)) : undefined),
  };
  const accessories = (await accessoriesOf(deps, repository, digest)).filter((a) => a.type !== 'subject.accessory').slice(0, maxSignatures);
  const byScheme: Record<Scheme, SignatureCheck[]> = { cosign: [], notation: [] };
  const signatures: SignatureResult[] = [];
  for (const accessory of accessories) {
    const { checks, isSignature } = await checkAccessory(deps, manifests, repository, accessory, subject, trust, now);
    if (!isSignature) continue;
    const scheme: Scheme = accessory.type === 'signature.notation' ? 'notation' : 'cosign';
    const top = best(checks);
    byScheme[scheme].push(top);
    signatures.push({ digest: accessory.digest, type: accessory.type, status: top.status, reason: top.reason.slice(0, 200), ...(top.key ? { key: top.key } : {}) });
  }
  return {
    version: 1,
    computedAt: now.toISOString(),
    cosign: schemeVerdict('cosign', byScheme.cosign),
    notation: schemeVerdict('notation', byScheme.notation),
    signatures: signatures.slice(0, 10),
  };
}

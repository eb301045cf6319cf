import type { Scheme, SchemeVerdict, TrustSummary } from './evaluate.js';

/**
 * Harbor's project switches: `enable_content_trust_cosign` ("Cosign") and `enable_content_trust`
 * (Harbor's Notary switch, which Berth applies to Notation signatures). With a switch on, a pull
 * needs a signature of that scheme that verifies with one of the project's keys; with both on, one
 * of each.
 */
export const trustMetadataKeys: Record<Scheme, string> = {
  cosign: 'enable_content_trust_cosign',
  notation: 'enable_content_trust',
};

export function schemesRequired(metadata: Record<string, string | undefined>): Scheme[] {
  return (Object.keys(trustMetadataKeys) as Scheme[]).filter((scheme) => metadata[trustMetadataKeys[scheme]] === 'true');
}

function refusal(scheme: Scheme, digest: string, verdict: SchemeVerdict | undefined, now: Date): string | null {
  const tool = scheme === 'cosign' ? 'cosign' : 'Notation';
  if (!verdict || verdict.state === 'unsigned') return `${digest} is not signed with ${tool}`;
  switch (verdict.state) {
    case 'verified':
      if (verdict.validUntil && Date.parse(verdict.validUntil) < now.getTime()) {
        return `the ${tool} signature of ${digest} expired at ${verdict.validUntil}`;
      }
      return null;
    case 'untrusted':
      return `${digest} is signed with ${tool}, but by a key this project does not trust (${verdict.reason})`;
    case 'mismatch':
      return `the ${tool} signature of ${digest} does not match its digest (${verdict.reason})`;
    default:
      return `the ${tool} signature of ${digest} cannot be verified (${verdict.reason})`;
  }
}

/**
 * Why a pull of `digest` is refused under the project's metadata, or null to allow it. Reads only
 * the stored summary (no verification on the pull path); the one thing measured now is whether a
 * verified signature has since expired.
 */
export function trustViolation(metadata: Record<string, string | undefined>, digest: string, summary: TrustSummary | undefined, now: Date): string | null {
  for (const scheme of schemesRequired(metadata)) {
    const reason = refusal(scheme, digest, summary?.[scheme], now);
    if (reason) return `content trust: ${reason}`;
  }
  return null;
}

import { X509Certificate } from 'node:crypto';

/** A project's trust anchor: a root (or pinned) certificate and who it may vouch for. */
export interface Anchor {
  name: string;
  certificate: X509Certificate;
  /** Signer identity constraint (see `identityMatches`); absent or `*` trusts any leaf it issued. */
  identity?: string;
}

export type ChainResult =
  | { ok: true; anchor: string; validUntil: string }
  | { ok: false; reason: string; /** How far the chain got: orders failures by how close they came. */ rank: number };

const codeSigning = '1.3.6.1.5.5.7.3.3';
const anyExtendedKeyUsage = '2.5.29.37.0';

/** Every certificate in a PEM text, in order; an empty list when there is none or one is malformed. */
export function certificatesFromPem(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    return blocks.map((block) => new X509Certificate(block));
  } catch {
    return [];
  }
}

function validity(cert: X509Certificate): { from: Date; to: Date } {
  return { from: new Date(cert.validFrom), to: new Date(cert.validTo) };
}

function issuedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return child.checkIssued(issuer) && child.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** `KEY=value` pairs of a distinguished name, in Notation's comma form or Node's line form. */
function distinguishedName(dn: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const part of dn.split(/(?<!\\),|\n/)) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    pairs.set(part.slice(0, eq).trim().toUpperCase(), part.slice(eq + 1).trim().replace(/\\,/g, ','));
  }
  return pairs;
}

/**
 * Does the leaf certificate carry the identity a trust anchor was given? Forms:
 * - `*`: any leaf the anchor issued;
 * - `x509.subject: C=US, ST=WA, O=...` (Notation's trusted identity) or a bare DN: every attribute
 *   named must be in the leaf's subject with that value;
 * - `email:...`, `uri:...`, `dns:...`: a subject alternative name (cosign keyless identities).
 */
export function identityMatches(leaf: X509Certificate, identity: string | undefined): boolean {
  if (identity === undefined || identity.trim() === '*') return true;
  const san = /^(email|uri|dns):(.+)$/i.exec(identity.trim());
  if (san) {
    const wanted = `${san[1]!.toLowerCase()}:${san[2]!.trim()}`;
    const names = (leaf.subjectAltName ?? '').split(/,\s*/).map((name) => {
      const colon = name.indexOf(':');
      return `${name.slice(0, colon).toLowerCase()}:${name.slice(colon + 1)}`;
    });
    return names.includes(wanted);
  }
  const wanted = distinguishedName(identity.replace(/^x509\.subject:\s*/i, ''));
  if (wanted.size === 0) return false;
  const subject = distinguishedName(leaf.subject);
  for (const [key, value] of wanted) if (subject.get(key) !== value) return false;
  return true;
}

/**
 * Verifies `chain` (leaf first, as x5c and cosign's chain annotation order it) up to one of the
 * anchors: each certificate is signed by the next, the chain reaches an anchor (the anchor is in the
 * chain, or the chain's top certificate was issued by it), every certificate up to the anchor is
 * valid at `at`, issuers are CAs, the leaf may sign code, and the leaf has the anchor's identity.
 */
export function verifyChain(chain: X509Certificate[], anchors: Anchor[], at: Date): ChainResult {
  if (chain.length === 0) return { ok: false, reason: 'no certificate', rank: 0 };
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!issuedBy(chain[i]!, chain[i + 1]!)) return { ok: false, reason: 'the certificate chain is broken', rank: 0 };
    if (!chain[i + 1]!.ca) return { ok: false, reason: 'a certificate in the chain is issued by a non-CA certificate', rank: 0 };
  }
  const leaf = chain[0]!;
  const usages = leaf.keyUsage;
  if (usages && usages.length > 0 && !usages.includes(codeSigning) && !usages.includes(anyExtendedKeyUsage)) {
    return { ok: false, reason: 'the signing certificate is not for code signing', rank: 1 };
  }
  let best: ChainResult = { ok: false, reason: 'the certificate chain does not lead to a trusted certificate', rank: 1 };
  for (const anchor of anchors) {
    const inChain = chain.findIndex((cert) => cert.fingerprint256 === anchor.certificate.fingerprint256);
    let path: X509Certificate[];
    if (inChain >= 0) path = chain.slice(0, inChain + 1);
    else if (anchor.certificate.ca && issuedBy(chain[chain.length - 1]!, anchor.certificate)) path = [...chain, anchor.certificate];
    else continue;
    const expired = path.find((cert) => {
      const { from, to } = validity(cert);
      return !(from.getTime() <= at.getTime() && at.getTime() <= to.getTime());
    });
    if (expired) {
      if (best.ok === false && best.rank < 2) best = { ok: false, reason: `certificate ${expired.subject.replace(/\n/g, ', ')} is not valid at ${at.toISOString()}`, rank: 2 };
      continue;
    }
    if (!identityMatches(leaf, anchor.identity)) {
      if (best.ok === false && best.rank < 3) best = { ok: false, reason: `the signer's identity does not match trust anchor ${anchor.name}`, rank: 3 };
      continue;
    }
    const validUntil = new Date(Math.min(...path.map((cert) => validity(cert).to.getTime()))).toISOString();
    return { ok: true, anchor: anchor.name, validUntil };
  }
  return best;
}

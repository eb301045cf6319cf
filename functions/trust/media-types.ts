/**
 * How signing tools store signatures in a registry. Facts from cosign's SIGNATURE_SPEC and
 * BUNDLE_SPEC, sigstore's protobuf-specs and the Notary Project's signature specification.
 */
export const signatureTypes = {
  /** A cosign payload layer (tag scheme and the older referrer form). */
  cosignSimpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
  /** artifactType of cosign's older OCI 1.1 referrer (`--registry-referrers-mode=oci-1-1`). */
  cosignReferrer: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  /** artifactType (and layer type) of a sigstore bundle referrer (cosign's new bundle format). */
  sigstoreBundle: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  notary: 'application/vnd.cncf.notary.signature',
  notaryJws: 'application/jose+json',
  notaryCose: 'application/cose',
  notaryPayload: 'application/vnd.cncf.notary.payload.v1+json',
} as const;

/** Layer annotations cosign writes on a simplesigning layer. */
export const cosignAnnotations = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  rekorBundle: 'dev.sigstore.cosign/bundle',
} as const;

/** The in-toto predicate cosign's bundle format uses for a plain signature (not an attestation). */
export const cosignSignPredicate = 'https://sigstore.dev/cosign/sign/v1';
export const bundlePredicateAnnotation = 'dev.sigstore.bundle.predicateType';

/** A bundle artifactType may name its version as a parameter instead (`...bundle+json;version=0.3`). */
export function isSigstoreBundleType(type: string | undefined): boolean {
  return type !== undefined && /^application\/vnd\.dev\.sigstore\.bundle(\.v0\.[0-9]+)?\+json(;version=0\.[0-9]+)?$/.test(type);
}

/** cosign's tag scheme: the signature of `sha256:<hex>` is the tag `sha256-<hex>.sig`. */
export function cosignSignatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

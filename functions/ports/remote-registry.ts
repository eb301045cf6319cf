/** A manifest as a registry stores it: the exact bytes, their media type and digest. */
export interface ManifestContent {
  bytes: Uint8Array;
  mediaType: string;
  digest: string;
}

/** What a manifest HEAD tells: enough to decide whether a copy is needed. */
export interface ManifestHead {
  digest: string;
  mediaType: string;
  size: number;
}

/** A blob being read: its size and its bytes, streamed (never whole in memory). */
export interface BlobContent {
  size: number;
  body: AsyncIterable<Uint8Array>;
}

/** A descriptor in a referrers list (OCI 1.1 "Listing Referrers"). */
export interface ReferrerEntry {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
}

/**
 * RemoteRegistry: one OCI distribution registry seen as a client sees it, repository by
 * repository. The copy engine reads from one and writes to another, so the same interface serves
 * a remote over HTTP (adapters/http) and this Berth itself (replication/local-registry.ts).
 *
 * Every method throws RemoteRegistryError on a failure, with `transient` set when a retry may
 * succeed (connection refused or reset, timeouts, 5xx, 429). "Absent" is never an error: it is
 * null, false or an empty list as stated.
 */
export interface RemoteRegistry {
  /** Reaches `/v2/` with the configured credentials; throws saying why not (DNS, TLS, 401...). */
  ping(): Promise<void>;

  /** Every repository name (the catalog, all pages). Throws when the registry does not list them. */
  repositories(): Promise<string[]>;

  /** Every tag of a repository (all pages); empty when the repository is unknown. */
  tags(repository: string): Promise<string[]>;

  /** Digest, type and size of what `reference` (tag or digest) names, or null when absent. */
  headManifest(repository: string, reference: string): Promise<ManifestHead | null>;

  /**
   * The manifest's bytes, exactly as stored, or null when absent. Fails (not transient) when the
   * bytes exceed the manifest size limit or do not hash to the digest asked for or announced.
   */
  getManifest(repository: string, reference: string): Promise<ManifestContent | null>;

  /** Stores the bytes under `reference` (tag or digest). Every blob and child must already be there. */
  putManifest(repository: string, reference: string, content: ManifestContent): Promise<void>;

  /** Deletes by tag (the tag only) or digest (the manifest); false when nothing was there. */
  deleteManifest(repository: string, reference: string): Promise<boolean>;

  /** Whether the repository holds the blob. */
  hasBlob(repository: string, digest: string): Promise<boolean>;

  /**
   * Links a blob that repository `from` of the same registry holds, without moving bytes. False
   * when the registry declined (the caller then uploads it); never leaves an upload open.
   */
  mountBlob(repository: string, digest: string, from: string): Promise<boolean>;

  /**
   * Asks the registry to take in blob `digest` that is already in its storage (copied there
   * server-side) and link it into `repository`: a mount without `from`. False when it declined.
   */
  adoptBlob?(repository: string, digest: string): Promise<boolean>;

  /** Streams the blob, or null when absent. The caller must read `body` to the end or abandon it. */
  getBlob(repository: string, digest: string): Promise<BlobContent | null>;

  /**
   * Uploads `size` bytes streamed from `body` as blob `digest`. The registry verifies the digest;
   * nothing becomes visible unless it matches.
   */
  putBlob(repository: string, digest: string, blob: BlobContent): Promise<void>;

  /** Manifests whose subject is `digest`, or null when the registry has no referrers API. */
  referrers(repository: string, digest: string): Promise<ReferrerEntry[] | null>;
}

/** A registry call that failed; the message says why in words an operator can act on. */
export class RemoteRegistryError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RemoteRegistryError';
  }
}

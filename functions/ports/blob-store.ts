import type { AttributeValue } from './table.js';

/** Inclusive byte range, as in an HTTP `Range: bytes=start-end` header. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * What an adapter needs to continue an upload in another request or process. The caller keeps it
 * in the upload session (a table item, so it must stay small: a few KiB) and hands it back on the
 * next call. `size` is the number of bytes accepted so far; the rest is the adapter's own.
 */
export interface UploadState {
  size: number;
  [field: string]: AttributeValue;
}

/**
 * BlobStore: content-addressed blobs and the resumable uploads that create them. Digests are
 * already validated (`algorithm:hex`) when they reach an adapter. Adapters never hash: the caller
 * hashes the bytes as they stream past and decides whether a blob may become visible.
 * `test/ports/blob-store.contract.ts` is the contract every adapter must pass.
 */
export interface BlobStore {
  /** Size of a committed blob, or null when absent. Uploads in progress are never visible. */
  stat(digest: string): Promise<{ size: number } | null>;

  /**
   * The blob's bytes, or the inclusive `range` of them (the caller has checked it against the
   * size). Null when absent.
   */
  open(digest: string, range?: ByteRange): Promise<AsyncIterable<Uint8Array> | null>;

  /**
   * A short-lived URL a client may GET the blob from directly (a presigned S3 URL), or null when
   * this store cannot hand one out and the caller must stream `open()` itself. Does not check
   * existence.
   */
  downloadUrl(digest: string, options: { expiresInSeconds: number }): Promise<string | null>;

  /** Removes a committed blob. Removing an absent blob succeeds (idempotent). */
  delete(digest: string): Promise<void>;

  /** Starts an empty upload under a fresh, caller-chosen id. */
  beginUpload(uploadId: string): Promise<UploadState>;

  /**
   * Appends `body` at byte `state.size`, first discarding anything an interrupted earlier append
   * left beyond it, and returns the new state. If the body fails midway the stored upload may hold
   * extra bytes, but the returned-or-previous state stays valid: nothing is lost or duplicated.
   */
  appendUpload(uploadId: string, state: UploadState, body: AsyncIterable<Uint8Array>): Promise<UploadState>;

  /** Every byte accepted so far (`state.size` of them), to re-hash an upload that moved processes. */
  readUpload(uploadId: string, state: UploadState): AsyncIterable<Uint8Array>;

  /**
   * Makes the upload's bytes visible as blob `digest` (which the caller has verified) and frees the
   * upload. Idempotent: when the blob already exists the upload is simply discarded. The blob
   * becomes visible atomically, whole or not at all.
   */
  commitUpload(uploadId: string, state: UploadState, digest: string): Promise<void>;

  /** Frees an upload and everything it stored. Aborting an unknown upload succeeds. */
  abortUpload(uploadId: string, state: UploadState): Promise<void>;

  /**
   * Copies a committed blob into another store of the same kind without moving the bytes through
   * this process (S3 to S3, across regions), as blob `digest` there. True only when the copy is
   * complete and its content was checked against `digest` on the way (S3's SHA-256 checksum);
   * false when this store cannot (the caller then streams). Stores without it leave it out.
   */
  copyTo?(digest: string, target: BlobStoreLocation, size: number): Promise<boolean>;

  /**
   * The size of blob `digest` when its stored bytes are known, by the store's own checksum, to
   * hash to `digest`, whoever wrote them; null when absent or not checkable. Lets a registry adopt
   * bytes another region copied in (`copyTo`). Stores without checksums leave it out.
   */
  verifiedStat?(digest: string): Promise<{ size: number } | null>;
}

/** Where another store of the same kind keeps its blobs: another region's bucket. */
export interface BlobStoreLocation {
  bucket: string;
  region: string;
}

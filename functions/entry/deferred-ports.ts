import type { Job } from '../core/jobs.js';
import type { BlobStore, ByteRange, UploadState } from '../ports/blob-store.js';
import type { JobQueue, QueueDepth } from '../ports/job-queue.js';
import type { WriteOp } from '../ports/table.js';

/** Loads once; a failed load is forgotten so the next call tries again. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/**
 * A BlobStore whose adapter (and SDK client) is loaded on first use. A Lambda cold start then
 * only pays for S3 when its request touches blob bytes: `GET /v2/`, manifests, tags and blob HEADs
 * answer from the table alone.
 */
export class DeferredBlobStore implements BlobStore {
  private readonly store: () => Promise<BlobStore>;

  constructor(load: () => Promise<BlobStore>) {
    this.store = once(load);
  }

  async stat(digest: string) {
    return (await this.store()).stat(digest);
  }

  async open(digest: string, range?: ByteRange) {
    return (await this.store()).open(digest, range);
  }

  async downloadUrl(digest: string, options: { expiresInSeconds: number }) {
    return (await this.store()).downloadUrl(digest, options);
  }

  async delete(digest: string) {
    return (await this.store()).delete(digest);
  }

  async beginUpload(uploadId: string) {
    return (await this.store()).beginUpload(uploadId);
  }

  async appendUpload(uploadId: string, state: UploadState, body: AsyncIterable<Uint8Array>) {
    return (await this.store()).appendUpload(uploadId, state, body);
  }

  async *readUpload(uploadId: string, state: UploadState): AsyncIterable<Uint8Array> {
    yield* (await this.store()).readUpload(uploadId, state);
  }

  async commitUpload(uploadId: string, state: UploadState, digest: string) {
    return (await this.store()).commitUpload(uploadId, state, digest);
  }

  async abortUpload(uploadId: string, state: UploadState) {
    return (await this.store()).abortUpload(uploadId, state);
  }
}

/**
 * A JobQueue loaded on first use: only requests that enqueue directly pay for the queue's client.
 * Jobs committed with a domain write need no client at all: `enqueueOp` is the adapter's pure
 * outbox write, given here so that it never loads anything.
 */
export class DeferredJobQueue implements JobQueue {
  private readonly queue: () => Promise<JobQueue>;

  constructor(
    load: () => Promise<JobQueue>,
    private readonly outbox: (job: Job) => WriteOp,
  ) {
    this.queue = once(load);
  }

  async enqueue(job: Job): Promise<void> {
    return (await this.queue()).enqueue(job);
  }

  enqueueOp(job: Job): WriteOp {
    return this.outbox(job);
  }

  async depth(): Promise<QueueDepth> {
    const queue = await this.queue();
    return queue.depth ? queue.depth() : { short: 0, long: 0 };
  }
}

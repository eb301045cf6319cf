import { OciError } from '../core/errors.js';
import { ConditionFailedError, type Item, type WriteOp } from '../ports/table.js';
import { BlobLinks } from './blob-links.js';
import { keys } from './keys.js';
import type { RegistryDeps } from './registry-deps.js';
import { repositoryLinkOps } from './repository-meta.js';

/** How long a link waits for garbage collection to finish removing the same blob. */
const deletingWaitMs = 3_000;
/** How long a link keeps retrying conditions that other writers keep moving, before a 429. */
const linkPatienceMs = 20_000;

/**
 * The record of a blob in the blob store, and the one way a blob gets linked into a repository.
 *
 * Garbage collection removes a blob in three steps: record marked `deleting` (on the generation it
 * read before it looked for links), bytes deleted, record removed. Every link writes the record
 * with a fresh generation under a condition on the generation it read before it relied on the
 * bytes being there, in the same transaction as the link. So either the link commits first (the
 * collector's mark fails: the blob stays) or the mark does (the link fails and nothing points at
 * bytes that are about to go). See docs/lifecycle.md, "Garbage collection".
 */
export class BlobRecords {
  private readonly links: BlobLinks;

  constructor(private readonly deps: RegistryDeps) {
    this.links = new BlobLinks(deps.table);
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /**
   * The record a link may rely on: live, or null when there is none. While a collector is
   * removing the blob, waits (briefly) until it is gone; BLOB_UPLOAD_INVALID if it does not go.
   */
  async current(digest: string): Promise<Item | null> {
    const deadline = Date.now() + deletingWaitMs;
    for (;;) {
      const item = await this.deps.table.get(keys.blob(digest));
      if (!item || item.state !== 'deleting') return item;
      if (Date.now() > deadline) {
        throw new OciError('BLOB_UPLOAD_INVALID', 'the blob is being garbage collected right now: push it again', { digest });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The record write a link commits with, on the condition that the record is still `read`. */
  recordOp(digest: string, size: number, read: Item | null): WriteOp {
    const now = this.now().toISOString();
    return {
      put: {
        ...keys.blob(digest),
        size,
        createdAt: (read?.createdAt as string | undefined) ?? now,
        linkedAt: now,
        generation: crypto.randomUUID(),
        gsi1pk: keys.blobShard(digest),
        gsi1sk: digest,
      },
      condition: read ? { equals: { generation: (read.generation as string | undefined) ?? null, state: null } } : { exists: false },
    };
  }

  /** What the capabilities add to a link's transaction (quota accounting); may refuse it. */
  async capabilityOps(repository: string, digest: string, size: number): Promise<WriteOp[]> {
    const ops: WriteOp[] = [];
    for (const capability of this.deps.capabilities ?? []) {
      if (capability.linkOps) ops.push(...(await capability.linkOps(repository, digest, size)));
    }
    return ops;
  }

  /**
   * Links a blob whose bytes are in the blob store, retrying from a fresh read when a condition
   * fails. `read` is the record as read before the caller relied on the bytes; `extra` are more
   * writes of the same transaction (closing the upload session); `stillValid` is asked after a
   * failure (is the session still ours?). False when the bytes can no longer be relied on.
   */
  async link(
    repository: string,
    digest: string,
    size: number,
    read: Item | null,
    options: { extra?: WriteOp[]; capabilityOps?: WriteOp[]; stillValid?: () => Promise<void>; patienceMs?: number } = {},
  ): Promise<boolean> {
    let record = read;
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      // Read what the conditions check together and just before the write: every manifest write in
      // the repository moves its generation and every link in the project moves its usage, so the
      // shorter the window, the fewer the retries under a busy push.
      const [meta, capabilityOps] = await Promise.all([
        this.deps.table.get(keys.repository(repository)),
        attempt === 0 && options.capabilityOps ? options.capabilityOps : this.capabilityOps(repository, digest, size),
      ]);
      try {
        await this.deps.table.transact([
          ...repositoryLinkOps(repository, meta, this.now()),
          this.recordOp(digest, size, record),
          { put: this.links.linkItem(repository, digest, size, this.now()) },
          ...(options.extra ?? []),
          ...capabilityOps,
        ]);
        return true;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
      if (Date.now() - started > (options.patienceMs ?? linkPatienceMs)) {
        throw new OciError('TOOMANYREQUESTS', 'the repository is changing too fast to link this blob at this moment; retry', { repository, digest });
      }
      await options.stillValid?.();
      const before = record;
      record = await this.current(digest);
      // A record gone (or replaced after a removal) may mean the bytes went with it.
      if (before && (!record || record.createdAt !== before.createdAt) && !(await this.deps.blobs.stat(digest))) return false;
      if (!before && !record && !(await this.deps.blobs.stat(digest))) return false;
      // Full jitter, growing to at most 100 ms between tries.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 ** attempt)));
    }
  }
}

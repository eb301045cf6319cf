import type { Table } from '../ports/table.js';
import { keys } from './keys.js';

/**
 * Which blobs a repository holds. A blob is visible through a repository only once linked, so a
 * stored blob that no repository links (a crash between storing and linking, a deleted layer) is
 * invisible to clients until garbage collection removes it.
 */
export class BlobLinks {
  constructor(private readonly table: Table) {}

  /** The linked blob's size, or null when the repository does not hold it. */
  async get(repository: string, digest: string): Promise<{ size: number } | null> {
    const item = await this.table.get(keys.blobLink(repository, digest));
    return item ? { size: item.size as number } : null;
  }

  /** Links a blob already in the blob store into a repository (idempotent). */
  async link(repository: string, digest: string, size: number, now: Date): Promise<void> {
    await this.table.transact([
      { put: { ...keys.blob(digest), size, createdAt: now.toISOString(), generation: crypto.randomUUID(), gsi1pk: keys.blobShard(digest), gsi1sk: digest } },
      { put: this.linkItem(repository, digest, size, now) },
    ]);
  }

  /** A link; its `generation` is new on every write, so a collector's removal can condition on it. */
  linkItem(repository: string, digest: string, size: number, now: Date) {
    return {
      ...keys.blobLink(repository, digest),
      size,
      linkedAt: now.toISOString(),
      generation: crypto.randomUUID(),
      gsi1pk: keys.blobLinkIndex(digest),
      gsi1sk: repository,
    };
  }

  /** Removes the link; false when there was none. The bytes stay until garbage collection. */
  async unlink(repository: string, digest: string): Promise<boolean> {
    const key = keys.blobLink(repository, digest);
    if (!(await this.table.get(key))) return false;
    await this.table.delete(key);
    return true;
  }

  /** Repositories that link the blob, in name order (eventually consistent). */
  async repositoriesHolding(digest: string, limit = 100): Promise<string[]> {
    const items = await this.table.query(keys.blobLinkIndex(digest), { index: 'gsi1', limit });
    return items.map((item) => item.gsi1sk as string);
  }
}

import type { Item, Table } from '../ports/table.js';
import { keys } from './keys.js';

/**
 * What capabilities concluded about a manifest (a scan's counts, a signature verdict), stored
 * beside it so that a pull gate reads them all in one query instead of recomputing anything when
 * the manifest is pulled. One small item per capability and manifest; each capability writes only
 * its own, so two capabilities never overwrite each other.
 */
export class ArtifactSummaries {
  constructor(private readonly table: Table) {}

  /** Replaces `capability`'s summary of the manifest (attributes must not use pk/sk/gsi names). */
  async put(repository: string, digest: string, capability: string, data: Record<string, Item[string]>): Promise<void> {
    await this.table.put({ ...data, ...keys.summary(repository, digest, capability) });
  }

  async get(repository: string, digest: string, capability: string): Promise<Item | null> {
    return this.table.get(keys.summary(repository, digest, capability));
  }

  /** Every capability's summary of the manifest, by capability name: one query. */
  async all(repository: string, digest: string): Promise<Record<string, Item>> {
    const prefix = keys.summaryPrefix(digest);
    const items = await this.table.query(keys.repository(repository).pk, { prefix });
    return Object.fromEntries(items.map((item) => [item.sk.slice(prefix.length), item]));
  }

  async remove(repository: string, digest: string, capability: string): Promise<void> {
    await this.table.delete(keys.summary(repository, digest, capability));
  }
}

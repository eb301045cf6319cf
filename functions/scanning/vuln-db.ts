import type { Table } from '../ports/table.js';
import { scanKeys } from './keys.js';
import type { Advisory } from './osv.js';

export interface VulnDbMeta {
  /** Changes with every import that changed something; stored reports name the one they used. */
  generation: string;
  importedAt: string;
  source: string;
  /** Advisories the last import loaded. */
  advisories: number;
  /** Digest of the last archive fetched by the scheduled refresh (unchanged: nothing to do). */
  archiveDigest?: string;
}

/**
 * OSV advisories in the table, one item per (ecosystem, package, advisory), so matching an
 * inventory reads exactly the partitions of the packages it holds and nothing else. Loading them
 * is vuln-db-import.ts, which only the jobs and `npm run vulndb` need.
 */
export class VulnDb {
  constructor(private readonly table: Table) {}

  /** Advisories naming `pkg` in `ecosystem` (exact names: `Debian:12` is not `Debian:11`). */
  async advisories(ecosystem: string, pkg: string): Promise<Advisory[]> {
    const items = await this.table.query(scanKeys.advisories(ecosystem, pkg));
    return items.map((item) => item.advisory as unknown as Advisory);
  }

  async meta(): Promise<VulnDbMeta | null> {
    const item = await this.table.get(scanKeys.vulndbMeta);
    return item ? (item.meta as unknown as VulnDbMeta) : null;
  }
}

/**
 * Memoizes advisory lookups for the length of one matching run: the inventories of a rescan
 * share most packages, so each (ecosystem, package) is read once.
 */
export function cachedLookup(db: VulnDb): (ecosystem: string, pkg: string) => Promise<Advisory[]> {
  const cache = new Map<string, Promise<Advisory[]>>();
  return (ecosystem, pkg) => {
    const key = `${ecosystem}\u0000${pkg}`;
    let found = cache.get(key);
    if (!found) {
      found = db.advisories(ecosystem, pkg);
      cache.set(key, found);
    }
    return found;
  };
}

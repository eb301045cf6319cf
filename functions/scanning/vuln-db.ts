import type { Item, Table, WriteOp } from '../ports/table.js';
import { scanKeys } from './keys.js';
import { cvss4Ready } from './cvss.js';
import { type Advisory, advisoriesOf, parseOsv } from './osv.js';

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

export interface ImportResult {
  records: number;
  /** Advisories the last import loaded. */
  advisories: number;
  skipped: { name: string; error: string }[];
}

/**
 * OSV advisories in the table, one item per (ecosystem, package, advisory), so matching an
 * inventory reads exactly the partitions of the packages it holds and nothing else.
 */
export class VulnDb {
  constructor(
    private readonly table: Table,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Advisories naming `pkg` in `ecosystem` (exact names: `Debian:12` is not `Debian:11`). */
  async advisories(ecosystem: string, pkg: string): Promise<Advisory[]> {
    const items = await this.table.query(scanKeys.advisories(ecosystem, pkg));
    return items.map((item) => item.advisory as unknown as Advisory);
  }

  async meta(): Promise<VulnDbMeta | null> {
    const item = await this.table.get(scanKeys.vulndbMeta);
    return item ? (item.meta as unknown as VulnDbMeta) : null;
  }

  /**
   * Loads OSV documents (each one JSON text, named for error messages). A document that does not
   * parse is skipped and reported, the rest still load; re-importing the same data writes the
   * same items (idempotent). When anything loaded, the generation moves on, which is what makes
   * stored reports stale and a rescan re-match them.
   */
  async import(documents: AsyncIterable<{ name: string; text: string }>, source: string, archiveDigest?: string): Promise<ImportResult> {
    await cvss4Ready();
    const result: ImportResult = { records: 0, advisories: 0, skipped: [] };
    let batch: WriteOp[] = [];
    const flush = async () => {
      if (batch.length > 0) await this.table.transact(batch);
      batch = [];
    };
    for await (const { name, text } of documents) {
      let advisories: Advisory[];
      let withdrawn: { ecosystem: string; name: string }[] = [];
      try {
        const record = parseOsv(JSON.parse(text));
        advisories = advisoriesOf(record);
        if (record.withdrawn) withdrawn = (record.affected ?? []).flatMap((a) => (a.package ? [a.package] : []));
        result.records++;
        for (const pkg of withdrawn) batch.push({ delete: { pk: scanKeys.advisories(pkg.ecosystem, pkg.name), sk: record.id } });
      } catch (error) {
        result.skipped.push({ name, error: error instanceof SyntaxError ? `not JSON: ${error.message}` : (error as Error).message });
        continue;
      }
      const seen = new Set(batch.map((op) => ('put' in op ? `${op.put.pk} ${op.put.sk}` : '')));
      for (const advisory of advisories) {
        const item: Item = { pk: scanKeys.advisories(advisory.ecosystem, advisory.package), sk: advisory.id, advisory: advisory as never };
        // One transaction names each key once; a record repeating a package merges in osv.ts.
        if (seen.has(`${item.pk} ${item.sk}`)) await flush();
        batch.push({ put: item });
        result.advisories++;
      }
      if (batch.length >= 25) await flush();
    }
    await flush();
    if (result.records > 0) {
      const meta: VulnDbMeta = {
        generation: `${this.now().toISOString()}#${crypto.randomUUID().slice(0, 8)}`,
        importedAt: this.now().toISOString(),
        source,
        advisories: result.advisories,
        ...(archiveDigest ? { archiveDigest } : {}),
      };
      await this.table.put({ ...scanKeys.vulndbMeta, meta: meta as never });
    }
    return result;
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

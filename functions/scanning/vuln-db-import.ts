import type { Item, Table, WriteOp } from '../ports/table.js';
import { cvss4Ready } from './cvss.js';
import { scanKeys } from './keys.js';
import { type Advisory, advisoriesOf, parseOsv } from './osv.js';
import type { VulnDbMeta } from './vuln-db.js';

export interface ImportResult {
  records: number;
  /** Advisories the last import loaded. */
  advisories: number;
  skipped: { name: string; error: string }[];
}

export interface ImportOptions {
  /** Digest of the archive the documents came from, kept so an unchanged archive is skipped. */
  archiveDigest?: string;
  now?: () => Date;
}

/**
 * Loads OSV documents (each one JSON text, named for error messages) into the table VulnDb reads.
 * A document that does not parse is skipped and reported, the rest still load; re-importing the
 * same data writes the same items (idempotent). When anything loaded, the generation moves on,
 * which is what makes stored reports stale and a rescan re-match them.
 */
export async function importOsv(
  table: Table,
  documents: AsyncIterable<{ name: string; text: string }>,
  source: string,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const now = options.now ?? (() => new Date());
  await cvss4Ready();
  const result: ImportResult = { records: 0, advisories: 0, skipped: [] };
  let batch: WriteOp[] = [];
  const flush = async () => {
    if (batch.length > 0) await table.transact(batch);
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
      generation: `${now().toISOString()}#${crypto.randomUUID().slice(0, 8)}`,
      importedAt: now().toISOString(),
      source,
      advisories: result.advisories,
      ...(options.archiveDigest ? { archiveDigest: options.archiveDigest } : {}),
    };
    await table.put({ ...scanKeys.vulndbMeta, meta: meta as never });
  }
  return result;
}

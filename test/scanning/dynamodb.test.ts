import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DynamoDbTable } from '../../functions/adapters/aws/dynamodb-table.js';
import { scanArtifact } from '../../functions/scanning/image-scan.js';
import { osvDocuments } from '../../functions/scanning/osv-archive.js';
import { matchInventory, summarize } from '../../functions/scanning/report.js';
import { ScanStore } from '../../functions/scanning/scan-store.js';
import { VulnDb, cachedLookup } from '../../functions/scanning/vuln-db.js';
import { startMotoStack } from '../support/aws-stack.js';
import { gzipLayer, imageOf, memorySource } from './support/layers.js';
import { importOsv } from '../../functions/scanning/vuln-db-import.js';

let stack: Awaited<ReturnType<typeof startMotoStack>>;
let table: DynamoDbTable;

beforeAll(async () => {
  stack = await startMotoStack();
  table = new DynamoDbTable(stack.clients.document, stack.resources.table);
}, 120_000);
afterAll(async () => stack?.stop());

describe('scanning stores on DynamoDB (moto)', () => {
  test("advisories, and a Debian image's inventory and report split across items under DynamoDB's limits", async () => {
    const db = new VulnDb(table);
    const result = await importOsv(table, osvDocuments(join(import.meta.dirname, 'fixtures', 'osv')), 'fixtures');
    expect(result.skipped).toEqual([]);
    const image = imageOf([
      await gzipLayer([
        { name: 'etc/os-release', body: readFileSync('/usr/lib/os-release') },
        { name: 'var/lib/dpkg/status', body: readFileSync('/var/lib/dpkg/status', 'utf8').replace(/(Package: libc6\n(?:[^\n]+\n)*?Version: )[^\n]+/, '$12.36-9+deb12u1') },
      ]),
    ]);
    const inventory = await scanArtifact(memorySource(image), image.digest);
    const vulnerabilities = await matchInventory(inventory, cachedLookup(db));
    expect(vulnerabilities.some((v) => v.id === 'DSA-5514-1')).toBe(true);
    const store = new ScanStore(table);
    const { op, state } = await store.requestOp('p/debian', image.digest, 'r1', new Date().toISOString());
    await table.transact([op]);
    const report = { generated_at: '', artifact: { repository: 'p/debian', digest: image.digest }, scanner: { name: 'Berth', vendor: 'Berth', version: '1' }, severity: 'Unknown' as const, vulnerabilities };
    const done = await store.complete('p/debian', image.digest, state.requestId, { report, summary: summarize(vulnerabilities), inventory, at: new Date().toISOString() });
    expect(done?.inventoryChunks).toBeGreaterThan(1);
    expect((await store.inventory(done!))?.packages.length).toBe(inventory.packages.length);
    expect((await store.report(done!))?.vulnerabilities).toEqual(vulnerabilities);
    const scanned = [];
    for await (const s of store.scanned()) scanned.push(s.digest);
    expect(scanned).toEqual([image.digest]);
  });
});

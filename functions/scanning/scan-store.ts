import { createHash } from 'node:crypto';
import type { Item, Table, WriteOp } from '../ports/table.js';
import { pruneChunks, putChunks, readChunks } from './chunked.js';
import type { Inventory } from './inventory.js';
import { scanKeys } from './keys.js';
import type { ReportSummary, ScannerInfo, VulnerabilityReport } from './report.js';
import type { Severity } from './severity.js';

/** Harbor's scan statuses. */
export type ScanStatus = 'Pending' | 'Running' | 'Success' | 'Error';

/** What the artifact list shows and the pull gate reads: small, one item. */
export interface ScanState {
  repository: string;
  digest: string;
  status: ScanStatus;
  requestedAt: string;
  startTime?: string;
  endTime?: string;
  /** Why a scan failed, for users. */
  message?: string;
  scanner?: ScannerInfo;
  summary?: ReportSummary;
  severity?: Severity | 'None';
  /** The vulnerability data generation the report was matched against. */
  generation?: string;
  reportGen?: string;
  reportChunks?: number;
  inventoryGen?: string;
  inventoryChunks?: number;
  /** Digest of the findings, so a rescan that finds the same ones rewrites nothing but this item. */
  findingsHash?: string;
  /** The request id, so a late worker does not overwrite a newer request's outcome. */
  requestId: string;
}

function stateOf(item: Item): ScanState {
  return item.state as unknown as ScanState;
}

/** What identifies a report's findings, whenever it was generated. */
export function findingsHash(report: VulnerabilityReport): string {
  return createHash('sha256').update(JSON.stringify(report.vulnerabilities)).digest('hex');
}

/** Scan status, reports and package inventories per artifact (repository + manifest digest). */
export class ScanStore {
  constructor(private readonly table: Table) {}

  async state(repository: string, digest: string): Promise<ScanState | null> {
    const item = await this.table.get({ pk: scanKeys.artifact(repository, digest), sk: 'status' });
    return item ? stateOf(item) : null;
  }

  private itemOf(state: ScanState): Item {
    return {
      pk: scanKeys.artifact(state.repository, state.digest),
      sk: 'status',
      gsi1pk: scanKeys.scannedIndex,
      gsi1sk: `${state.repository}@${state.digest}`,
      state: state as never,
    };
  }

  private async write(state: ScanState): Promise<void> {
    await this.table.put(this.itemOf(state));
  }

  /**
   * The write that records a new request (Pending), replacing whatever status was there but
   * keeping the last report; the caller commits it together with the job (the outbox).
   */
  async requestOp(repository: string, digest: string, requestId: string, at: string): Promise<{ op: WriteOp; state: ScanState }> {
    const previous = await this.state(repository, digest);
    const state: ScanState = { ...(previous ?? {}), repository, digest, status: 'Pending', requestedAt: at, requestId };
    delete state.message;
    delete state.startTime;
    delete state.endTime;
    const op: WriteOp = previous
      ? { put: this.itemOf(state), condition: { equals: { state: previous as never } } }
      : { put: this.itemOf(state), condition: { exists: false } };
    return { op, state };
  }

  /** Moves a request on, unless a newer request replaced it meanwhile. */
  async update(repository: string, digest: string, requestId: string, change: Partial<ScanState>): Promise<ScanState | null> {
    const current = await this.state(repository, digest);
    if (!current || current.requestId !== requestId) return null;
    const next = { ...current, ...change };
    await this.write(next);
    return next;
  }

  /**
   * Stores a finished scan: inventory (when there is one) and report under new generations, then
   * the status naming them, then old generations are removed (see chunked.ts).
   */
  async complete(
    repository: string,
    digest: string,
    requestId: string,
    result: { report: VulnerabilityReport; summary: ReportSummary; inventory: Inventory | null; generation?: string; at: string },
  ): Promise<ScanState | null> {
    const pk = scanKeys.artifact(repository, digest);
    const gen = crypto.randomUUID();
    const reportChunks = await putChunks(this.table, pk, 'report', gen, result.report);
    const inventoryChunks = result.inventory ? await putChunks(this.table, pk, 'inventory', gen, result.inventory) : undefined;
    const current = await this.state(repository, digest);
    const keepInventory = result.inventory ? gen : (current?.inventoryGen ?? null);
    const next = await this.update(repository, digest, requestId, {
      status: 'Success',
      endTime: result.at,
      summary: result.summary,
      severity: result.report.severity,
      scanner: result.report.scanner,
      reportGen: gen,
      reportChunks,
      findingsHash: findingsHash(result.report),
      ...(result.inventory ? { inventoryGen: gen, inventoryChunks } : {}),
      ...(result.generation ? { generation: result.generation } : {}),
    });
    if (!next) {
      await pruneChunks(this.table, pk, 'report', current?.reportGen ?? null);
      await pruneChunks(this.table, pk, 'inventory', current?.inventoryGen ?? null);
      return null;
    }
    await pruneChunks(this.table, pk, 'report', gen);
    await pruneChunks(this.table, pk, 'inventory', keepInventory);
    return next;
  }

  async report(state: ScanState): Promise<VulnerabilityReport | null> {
    if (!state.reportGen || state.reportChunks === undefined) return null;
    return readChunks<VulnerabilityReport>(this.table, scanKeys.artifact(state.repository, state.digest), 'report', state.reportGen, state.reportChunks);
  }

  async inventory(state: ScanState): Promise<Inventory | null> {
    if (!state.inventoryGen || state.inventoryChunks === undefined) return null;
    return readChunks<Inventory>(this.table, scanKeys.artifact(state.repository, state.digest), 'inventory', state.inventoryGen, state.inventoryChunks);
  }

  /** Every scanned artifact, a page at a time, in repository@digest order. */
  async *scanned(): AsyncGenerator<ScanState> {
    let after: string | undefined;
    for (;;) {
      const items = await this.table.query(scanKeys.scannedIndex, { index: 'gsi1', after, limit: 200 });
      for (const item of items) yield stateOf(item);
      if (items.length < 200) return;
      after = items[items.length - 1]!.gsi1sk;
    }
  }

  /** Forgets an artifact's scans (the manifest was deleted). */
  async forget(repository: string, digest: string): Promise<void> {
    const pk = scanKeys.artifact(repository, digest);
    await pruneChunks(this.table, pk, 'report', null);
    await pruneChunks(this.table, pk, 'inventory', null);
    await this.table.delete({ pk, sk: 'status' });
  }
}

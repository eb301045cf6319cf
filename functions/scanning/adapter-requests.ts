import type { AppDeps } from '../app-env.js';
import { pruneChunks, readChunks } from './chunked.js';
import type { Inventory } from './inventory.js';
import type { ScanRequest } from './adapter-client.js';
import type { ScanRequestJob } from './jobs.js';
import { scanKeys } from './keys.js';
import type { VulnerabilityReport } from './report.js';
import type { ScanService } from './scan-service.js';

/** Requests (with the credentials they carry) are forgotten a day after they were taken. */
export const requestTtlSeconds = 24 * 60 * 60;

export interface AdapterRequestState {
  id: string;
  status: 'Pending' | 'Running' | 'Success' | 'Error';
  request: ScanRequest;
  message?: string;
  chunks?: { report: number; inventory: number };
}

/**
 * Scans taken by Berth's own scanner adapter API: the request as Harbor (or another Berth) sent
 * it, then the report and inventory the `scan-request` job produced by pulling the artifact
 * from the named registry over HTTP.
 */
export class AdapterRequests {
  constructor(
    private readonly deps: AppDeps,
    private readonly service: ScanService,
  ) {}

  nowSeconds(): number {
    return Math.floor((this.deps.now?.() ?? new Date()).getTime() / 1000);
  }

  async get(id: string): Promise<AdapterRequestState | null> {
    const item = await this.deps.table.get({ pk: scanKeys.request(id), sk: 'meta' });
    return item ? (item.state as unknown as AdapterRequestState) : null;
  }

  async put(state: AdapterRequestState): Promise<void> {
    await this.deps.table.put({ pk: scanKeys.request(state.id), sk: 'meta', state: state as never, expiresAt: this.nowSeconds() + requestTtlSeconds });
  }

  /** Takes a request and queues its job; answers its id. */
  async accept(request: ScanRequest): Promise<string> {
    const id = crypto.randomUUID();
    await this.put({ id, status: 'Pending', request });
    const job: ScanRequestJob = { version: 1, kind: 'scan-request', id, requestId: id };
    await this.deps.queue.enqueue(job as never);
    return id;
  }

  async report(state: AdapterRequestState): Promise<VulnerabilityReport | null> {
    if (!state.chunks) return null;
    return readChunks<VulnerabilityReport>(this.deps.table, scanKeys.request(state.id), 'report', 'r', state.chunks.report);
  }

  async inventory(state: AdapterRequestState): Promise<Inventory | null> {
    if (!state.chunks) return null;
    return readChunks<Inventory>(this.deps.table, scanKeys.request(state.id), 'inventory', 'r', state.chunks.inventory);
  }

  async forget(id: string): Promise<void> {
    await pruneChunks(this.deps.table, scanKeys.request(id), 'report', null);
    await pruneChunks(this.deps.table, scanKeys.request(id), 'inventory', null);
    await this.deps.table.delete({ pk: scanKeys.request(id), sk: 'meta' });
  }
}

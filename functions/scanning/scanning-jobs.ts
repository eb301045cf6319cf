import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { JobHandlers } from '../capability.js';
import { scanWithAdapter } from './adapter-client.js';
import { type AdapterRequests, requestTtlSeconds } from './adapter-requests.js';
import { putChunks } from './chunked.js';
import { localSource, remoteSource } from './image-source.js';
import type { Inventory } from './inventory.js';
import type { ScanJob, ScanRequestJob } from './jobs.js';
import { scanKeys } from './keys.js';
import { type VulnerabilityReport, summarize } from './report.js';
import { ScanError } from './scan-common.js';
import type { ScanService } from './scan-service.js';
import { builtinUuid } from './scanner-registry.js';
import type { ScanningCapability } from './scanning-capability.js';

/**
 * Scanning's jobs that read images or vulnerability data: the scan itself (the built-in scanner,
 * or a registered adapter), the scans of Berth's own adapter API, and the scheduled refresh of
 * the data. They load a tar reader, a zip reader and the CVSS calculator (on first use), so the
 * composition adds them only where jobs run (entry/compose.ts); the API function's bundle holds
 * none of them.
 */
export function scanningJobs(scanning: ScanningCapability): JobHandlers {
  const { service, requests, settings } = scanning;
  return {
    scan: (job) => runScan(service, job),
    'scan-request': (job) => runScanRequest(requests, service, job),
    'vulndb-refresh': async (job) => {
      if (await refreshVulnDb(service, settings.vulnDbUrls)) {
        await service.deps.queue.enqueue({ version: 1, kind: 'scan-rematch', id: `rematch-after-${job.id}` });
      }
    },
  };
}

/**
 * The `scan` job. Idempotent: a request already finished, or replaced by a newer one, is left
 * alone; a redelivery of one that was Running (the worker died) runs it again. A scan that
 * cannot complete ends as Error with its reason; only infrastructure failures throw (retry).
 */
export async function runScan(service: ScanService, job: ScanJob): Promise<void> {
  const { store } = service;
  const state = await store.state(job.repository, job.digest);
  if (!state || state.requestId !== job.requestId || state.status === 'Success' || state.status === 'Error') return;
  await store.update(job.repository, job.digest, job.requestId, { status: 'Running', startTime: service.now().toISOString() });
  const scanner = await service.scanners.current();
  try {
    let report: VulnerabilityReport;
    let inventory: Inventory | null = null;
    const meta = await service.db.meta();
    if (scanner.uuid === builtinUuid) {
      // The layer reader (and its tar library) loads with the first scan, not with the process.
      const { scanArtifact } = await import('./image-scan.js');
      inventory = await scanArtifact(localSource(service.deps, job.repository), job.digest, service.options.limits);
      report = await service.reportOf(job.repository, job.digest, inventory);
    } else {
      report = await scanWithAdapter(scanner, await service.adapterRequest(job.repository, job.digest), {
        deadlineMs: service.options.adapterDeadlineMs,
        maxWaitMs: service.options.adapterMaxWaitMs,
      });
      if (!Array.isArray(report.vulnerabilities)) throw new ScanError(`scanner ${scanner.name} sent a report without vulnerabilities`);
    }
    const done = await store.complete(job.repository, job.digest, job.requestId, {
      report,
      summary: summarize(report.vulnerabilities),
      inventory,
      ...(inventory && meta ? { generation: meta.generation } : {}),
      at: service.now().toISOString(),
    });
    if (done) {
      await service.writeGate(job.repository, job.digest, 'Success', report.vulnerabilities);
      await service.notify(job.repository, job.digest, job.requestId, 'SCANNING_COMPLETED');
    }
  } catch (error) {
    if (!(error instanceof ScanError)) throw error;
    const failed = await store.update(job.repository, job.digest, job.requestId, { status: 'Error', message: error.message, endTime: service.now().toISOString() });
    if (failed) {
      await service.writeGate(job.repository, job.digest, 'Error', []);
      await service.notify(job.repository, job.digest, job.requestId, 'SCANNING_FAILED');
    }
  }
}

/** The `scan-request` job (Berth's adapter API); idempotent like the `scan` job. */
export async function runScanRequest(requests: AdapterRequests, service: ScanService, job: ScanRequestJob): Promise<void> {
  const state = await requests.get(job.requestId);
  if (!state || state.status === 'Success' || state.status === 'Error') return;
  await requests.put({ ...state, status: 'Running' });
  const { registry, artifact } = state.request;
  try {
    const { scanArtifact } = await import('./image-scan.js');
    const inventory = await scanArtifact(remoteSource(registry.url, artifact.repository, registry.authorization), artifact.digest, service.options.limits);
    const report = await service.reportOf(artifact.repository, artifact.digest, inventory);
    const pk = scanKeys.request(state.id);
    const expiresAt = requests.nowSeconds() + requestTtlSeconds;
    const reportChunks = await putChunks(service.deps.table, pk, 'report', 'r', report, expiresAt);
    const inventoryChunks = await putChunks(service.deps.table, pk, 'inventory', 'r', inventory, expiresAt);
    // The credentials are not kept past the scan that needed them.
    await requests.put({ ...state, request: { ...state.request, registry: { url: registry.url } }, status: 'Success', chunks: { report: reportChunks, inventory: inventoryChunks } });
  } catch (error) {
    if (!(error instanceof ScanError) && !(error instanceof TypeError)) throw error;
    await requests.put({ ...state, request: { ...state.request, registry: { url: registry.url } }, status: 'Error', message: error.message });
  }
}

/**
 * Downloads each OSV export zip to a temporary file (yauzl reads zips by random access) and
 * imports it when the set of archives changed since the last refresh. Returns whether the data
 * changed.
 */
async function refreshVulnDb(service: ScanService, urls: string[]): Promise<boolean> {
  if (urls.length === 0) return false;
  const dir = await mkdtemp(join(tmpdir(), 'berth-vulndb-'));
  try {
    const files: string[] = [];
    const digest = createHash('sha256');
    for (const [n, url] of urls.entries()) {
      const response = await fetch(url, { signal: AbortSignal.timeout(10 * 60 * 1000) });
      if (!response.ok || !response.body) throw new Error(`vulnerability data ${url} answered ${response.status}`);
      const file = join(dir, `${n}.zip`);
      const hashing = Readable.fromWeb(response.body as never).on('data', (chunk: Buffer) => digest.update(chunk));
      await pipeline(hashing, createWriteStream(file));
      files.push(file);
    }
    const archiveDigest = `sha256:${digest.digest('hex')}`;
    if ((await service.db.meta())?.archiveDigest === archiveDigest) return false;
    // The zip reader and the importer (with the CVSS calculator) load with the refresh that needs them.
    const [{ osvDocuments }, { importOsv }] = await Promise.all([import('./osv-archive.js'), import('./vuln-db-import.js')]);
    let loaded = 0;
    for (const [n, file] of files.entries()) {
      const result = await importOsv(service.deps.table, osvDocuments(file), urls[n]!, { archiveDigest, now: () => service.now() });
      loaded += result.records;
    }
    return loaded > 0;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

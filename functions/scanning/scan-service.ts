import type { AppDeps } from '../app-env.js';
import { parseDigest } from '../core/digest.js';
import { projectOf } from '../identity/stores/project-store.js';
import { Manifests } from '../registry/manifests.js';
import type { ScanRequest } from './adapter-client.js';
import { AllowlistStore } from './allowlist.js';
import type { Inventory } from './inventory.js';
import type { ScanJob } from './jobs.js';
import { type LayerLimits, ScanError, defaultLayerLimits, isScannable } from './scan-common.js';
import { gateSummaryOf } from './policy.js';
import { allowedIds } from './allowlist.js';
import { ArtifactSummaries } from '../registry/artifact-summaries.js';
import { ConditionFailedError, type Item } from '../ports/table.js';
import { type VerdictCache, type VulnerabilityReport, builtinScanner, matchInventory, summarize, topSeverity, vulnerabilityReportType } from './report.js';
import { type ScanState, ScanStore, findingsHash } from './scan-store.js';
import { ScannerRegistry } from './scanner-registry.js';
import { VulnDb, cachedLookup } from './vuln-db.js';

export interface ScanningOptions {
  limits: LayerLimits;
  /** The URL scanner adapters reach this registry at (for the pull token they are handed). */
  registryUrl?: string;
  /** How long a scan on an adapter may take, and the longest wait between its polls. */
  adapterDeadlineMs: number;
  adapterMaxWaitMs: number;
}

export const defaultScanningOptions: ScanningOptions = {
  limits: defaultLayerLimits,
  adapterDeadlineMs: 10 * 60 * 1000,
  adapterMaxWaitMs: 30_000,
};

/** The capability's name: its event deliveries and its artifact summaries go by it. */
export const scanningName = 'scanning';

/** Harbor's `scan_overview` entry of an artifact. */
export interface ScanOverview {
  report_id: string;
  scan_status: string;
  severity: string;
  duration: number;
  summary: { total: number; fixable: number; summary: Record<string, number> } | null;
  start_time: string;
  end_time: string;
  complete_percent: number;
  scanner: { name: string; vendor: string; version: string } | null;
}

/**
 * Scanning's service: requests scans, stores reports and inventories, and re-matches inventories
 * when the vulnerability data changes. The scans themselves run in scanning-jobs.ts.
 */
export class ScanService {
  readonly store: ScanStore;
  readonly db: VulnDb;
  readonly scanners: ScannerRegistry;
  readonly allowlist: AllowlistStore;
  readonly options: ScanningOptions;
  private readonly summaries: ArtifactSummaries;

  constructor(
    readonly deps: AppDeps,
    options: Partial<ScanningOptions> = {},
  ) {
    this.options = { ...defaultScanningOptions, ...options };
    const now = () => this.now();
    this.store = new ScanStore(deps.table);
    this.db = new VulnDb(deps.table);
    this.scanners = new ScannerRegistry(deps.table, now);
    this.allowlist = new AllowlistStore(deps.table, now);
    this.summaries = new ArtifactSummaries(deps.table);
  }

  now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /**
   * Marks the artifact Pending and queues its scan in one transaction (the outbox): a request is
   * never recorded without its job, nor a job queued without its request. `requestId` makes a
   * repeated request (an event delivered twice) a no-op; two requests racing, one of them wins.
   */
  async request(repository: string, digest: string, requestId: string = crypto.randomUUID()): Promise<ScanState> {
    const current = await this.store.state(repository, digest);
    if (current?.requestId === requestId) return current;
    const { op, state } = await this.store.requestOp(repository, digest, requestId, this.now().toISOString());
    const job: ScanJob = { version: 1, kind: 'scan', id: requestId, repository, digest, requestId };
    try {
      await this.deps.table.transact([op, this.deps.queue.enqueueOp(job)]);
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      return (await this.store.state(repository, digest)) ?? state;
    }
    return state;
  }

  /**
   * Tells webhook policies (lifecycle's `notify` job) that a scan ended, in Harbor's payload
   * shape. The id is the request's, so a redelivered scan job notifies once.
   */
  async notify(repository: string, digest: string, requestId: string, eventType: 'SCANNING_COMPLETED' | 'SCANNING_FAILED'): Promise<void> {
    const project = projectOf(repository);
    const found = await this.deps.identity?.projects.get(project);
    const name = repository.slice(project.length + 1);
    await this.deps.queue.enqueue({
      version: 1,
      kind: 'notify',
      id: `scan-${requestId}`,
      eventType,
      project,
      at: this.now().toISOString(),
      payload: {
        resources: [{ digest, tag: '', resource_url: `${repository}@${digest}`, scan_overview: (await this.overview(repository, digest)) ?? {} }],
        repository: { name, namespace: project, repo_full_name: repository, repo_type: found?.public ? 'public' : 'private' },
      },
    });
  }

  /** Stores what the pull gate reads of a scan (see policy.ts), flagged against the system allowlist. */
  async writeGate(repository: string, digest: string, status: ScanState['status'], items: VulnerabilityReport['vulnerabilities']): Promise<void> {
    const list = await this.allowlist.system();
    const summary = gateSummaryOf(status, items, { ids: allowedIds({ ...list, expires_at: null }, 0), expiresAt: list.expires_at });
    await this.summaries.put(repository, digest, scanningName, summary as unknown as Record<string, Item[string]>);
  }

  /** Rewrites every scanned artifact's gate summary (the `scan-gate-refresh` job). */
  async refreshGates(): Promise<number> {
    let count = 0;
    for await (const state of this.store.scanned()) {
      if (state.status !== 'Success') continue;
      const report = await this.store.report(state);
      if (!report) continue;
      await this.writeGate(state.repository, state.digest, 'Success', report.vulnerabilities);
      count++;
    }
    return count;
  }

  /** Whether the artifact is something to scan (an image or index; not a signature, chart, SBOM...). */
  async scannable(repository: string, digest: string): Promise<boolean> {
    const parsed = parseDigest(digest);
    const manifests = new Manifests(this.deps);
    const found = parsed ? await manifests.resolve(repository, { digest: parsed }) : null;
    if (!found) return false;
    try {
      return isScannable(JSON.parse(Buffer.from(await manifests.body(found)).toString('utf8')));
    } catch {
      return false;
    }
  }

  async reportOf(repository: string, digest: string, inventory: Inventory, lookup = cachedLookup(this.db), verdicts?: VerdictCache): Promise<VulnerabilityReport> {
    const vulnerabilities = await matchInventory(inventory, lookup, verdicts);
    return {
      generated_at: this.now().toISOString(),
      artifact: { repository, digest, mime_type: 'application/vnd.oci.image.manifest.v1+json' },
      scanner: builtinScanner,
      severity: topSeverity(vulnerabilities),
      vulnerabilities,
    };
  }

  /** What an adapter is handed: the registry's URL and a pull token for this one repository. */
  async adapterRequest(repository: string, digest: string): Promise<ScanRequest> {
    if (!this.options.registryUrl) throw new ScanError('an external scanner needs the registry URL it can pull from (BERTH_SCANNING_REGISTRY_URL)');
    let authorization: string | undefined;
    if (this.deps.identity) {
      const { token } = await this.deps.identity.tokens.issueAccessToken('scanner', [{ type: 'repository', name: repository, actions: ['pull'] }]);
      authorization = `Bearer ${token}`;
    }
    return { registry: { url: this.options.registryUrl, ...(authorization ? { authorization } : {}) }, artifact: { repository, digest, mime_type: 'application/vnd.oci.image.manifest.v1+json' } };
  }

  /**
   * Re-matches every stored inventory whose report predates the current vulnerability data:
   * reads inventories and advisories, never a layer. Each (ecosystem, package) is read once for
   * the whole run. Returns how many reports changed (the others only record the new generation).
   */
  async rematchAll(): Promise<{ visited: number; changed: number }> {
    const meta = await this.db.meta();
    if (!meta) return { visited: 0, changed: 0 };
    const lookup = cachedLookup(this.db);
    const verdicts: VerdictCache = new Map();
    let changed = 0;
    let visited = 0;
    for await (const state of this.store.scanned()) {
      if (state.status !== 'Success' || !state.inventoryGen || state.generation === meta.generation) continue;
      const inventory = await this.store.inventory(state);
      if (!inventory) continue;
      visited++;
      const report = await this.reportOf(state.repository, state.digest, inventory, lookup, verdicts);
      if (state.findingsHash === findingsHash(report)) {
        // The usual case: the data changed elsewhere. Only the generation moves on.
        await this.store.update(state.repository, state.digest, state.requestId, { generation: meta.generation });
        continue;
      }
      const done = await this.store.complete(state.repository, state.digest, state.requestId, {
        report,
        summary: summarize(report.vulnerabilities),
        inventory: null,
        generation: meta.generation,
        at: this.now().toISOString(),
      });
      if (done) {
        await this.writeGate(state.repository, state.digest, 'Success', report.vulnerabilities);
        changed++;
      }
    }
    return { visited, changed };
  }

  /** Harbor's `scan_overview` of an artifact: keyed by report media type; null when never scanned. */
  async overview(repository: string, digest: string): Promise<Record<string, ScanOverview> | null> {
    const state = await this.store.state(repository, digest);
    if (!state) return null;
    const start = state.startTime ?? state.requestedAt;
    const end = state.endTime ?? '';
    const percent = state.status === 'Success' || state.status === 'Error' ? 100 : state.status === 'Running' ? 50 : 0;
    return {
      [vulnerabilityReportType]: {
        report_id: state.reportGen ?? state.requestId,
        scan_status: state.status,
        severity: state.severity ?? 'Unknown',
        duration: end ? Math.max(0, Math.round((Date.parse(end) - Date.parse(start)) / 1000)) : 0,
        summary: state.summary ? { total: state.summary.total, fixable: state.summary.fixable, summary: state.summary.summary as Record<string, number> } : null,
        start_time: start,
        end_time: end,
        complete_percent: percent,
        scanner: state.scanner ?? null,
        ...(state.message ? { message: state.message } : {}),
      },
    };
  }
}

/** What the artifacts API shows as `scan_overview`; null when the artifact was never scanned. */
export async function scanOverviewFor(deps: AppDeps, repository: string, digest: string): Promise<Record<string, ScanOverview> | null> {
  return new ScanService(deps).overview(repository, digest);
}

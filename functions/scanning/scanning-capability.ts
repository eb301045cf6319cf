import type { AppDeps } from '../app-env.js';
import type { Capability } from '../capability.js';
import type { Config } from '../config.js';
import { projectOf } from '../identity/stores/project-store.js';
import { ArtifactSummaries } from '../registry/artifact-summaries.js';
import { keys } from '../registry/keys.js';
import { Manifests } from '../registry/manifests.js';
import { ScheduleStore } from '../schedules/schedule-store.js';
import { AdapterRequests } from './adapter-requests.js';
import { policyKeys, vulnerabilityViolation } from './policy.js';
import { ScanService, type ScanningOptions, scanningName } from './scan-service.js';

/** Scanning's settings, from config.ts's variables. */
export interface ScanningSettings {
  registryUrl?: string;
  adapterApiKey?: string;
  vulnDbUrls: string[];
  vulnDbRefreshCron: string;
}

export function scanningSettings(config: Partial<Config>): ScanningSettings {
  return {
    ...(config.BERTH_SCANNING_REGISTRY_URL ? { registryUrl: config.BERTH_SCANNING_REGISTRY_URL } : {}),
    ...(config.BERTH_SCANNER_ADAPTER_KEY ? { adapterApiKey: config.BERTH_SCANNER_ADAPTER_KEY } : {}),
    vulnDbUrls: (config.BERTH_VULNDB_URL ?? '').split(',').map((u) => u.trim()).filter((u) => u !== ''),
    vulnDbRefreshCron: config.BERTH_VULNDB_REFRESH_CRON ?? '0 0 */6 * * *',
  };
}

export const scanAllScheduleId = 'scan-all';
export const vulnDbScheduleId = 'vulndb-refresh';

export interface ScanningCapability extends Capability {
  service: ScanService;
  requests: AdapterRequests;
  settings: ScanningSettings;
}

/** The scanning capability of a running app, as compose wired it; a default one when absent (tests). */
export function scanningOf(deps: AppDeps): ScanningCapability {
  const found = deps.capabilities?.find((c) => c.name === scanningName) as ScanningCapability | undefined;
  return found ?? scanningCapability(deps, {});
}

/** Every manifest of every repository, a repository at a time (scan all). */
async function* allArtifacts(deps: AppDeps): AsyncGenerator<{ repository: string; digest: string; subject?: string }> {
  let last: string | undefined;
  const manifests = new Manifests(deps);
  for (;;) {
    const page = await manifests.catalog(100, last);
    for (const repository of page.repositories) {
      const items = await deps.table.query(keys.repository(repository).pk, { prefix: 'manifest#' });
      for (const item of items) yield { repository, digest: item.sk.slice('manifest#'.length), ...(item.subject ? { subject: item.subject as string } : {}) };
    }
    if (!page.more) return;
    last = page.repositories[page.repositories.length - 1];
  }
}

/**
 * Scanning beside the registry: scan jobs (built-in scanner or a registered adapter), scans of
 * Berth's own adapter API, scan all, rescans when the vulnerability data changes, the scheduled
 * refresh of that data, scan on push (`auto_scan`), and the `prevent_vul` pull gate.
 */
export function scanningCapability(deps: AppDeps, config: Partial<Config>, options: Partial<ScanningOptions> = {}): ScanningCapability {
  const settings = scanningSettings(config);
  const service = new ScanService(deps, { ...(settings.registryUrl ? { registryUrl: settings.registryUrl } : {}), ...options });
  const requests = new AdapterRequests(deps, service);
  const now = () => deps.now?.() ?? new Date();

  if (settings.vulnDbUrls.length > 0) {
    // Kept in step with the settings on every start; `set` is idempotent.
    const schedules = new ScheduleStore(deps.table, deps.queue, now);
    void schedules
      .get(vulnDbScheduleId)
      .then((current) => (current?.cron === settings.vulnDbRefreshCron ? null : schedules.set(vulnDbScheduleId, settings.vulnDbRefreshCron, { version: 1, kind: 'vulndb-refresh', id: vulnDbScheduleId })))
      .catch((error: unknown) => console.error(JSON.stringify({ level: 'error', message: 'vulnerability data schedule not set', error: String(error) })));
  }

  return {
    name: scanningName,
    service,
    settings,
    // The artifacts API's `with_scan_overview` (lifecycle/artifacts.ts).
    artifactExtras: async (repository, digest) => {
      const overview = await service.overview(repository, digest);
      return overview ? { scan_overview: overview } : {};
    },
    requests,
    // The scans and the data refresh are added where jobs run (scanning-jobs.ts).
    jobs: {
      'scan-all': async (job) => {
        for await (const artifact of allArtifacts(deps)) {
          if (artifact.subject || !(await service.scannable(artifact.repository, artifact.digest))) continue;
          // One request per artifact and run of scan all: a redelivered job requests nothing twice.
          await service.request(artifact.repository, artifact.digest, `${job.id}:${artifact.repository}@${artifact.digest}`);
        }
      },
      'scan-rematch': async () => {
        await service.rematchAll();
      },
      'scan-gate-refresh': async () => {
        await service.refreshGates();
      },
    },
    onEvent: async (event) => {
      if (event.action === 'delete') {
        await service.store.forget(event.repository, event.digest);
        await new ArtifactSummaries(deps.table).remove(event.repository, event.digest, scanningName);
        return;
      }
      if (event.action !== 'push' || event.subject || !deps.identity) return;
      const project = await deps.identity.projects.get(projectOf(event.repository));
      if (project?.metadata[policyKeys.autoScan] !== 'true') return;
      if (!(await service.scannable(event.repository, event.digest))) return;
      await service.request(event.repository, event.digest, `push:${event.id}`);
    },
    pullGate: {
      metadataKeys: [policyKeys.preventVul],
      check: ({ metadata, summaries }) => vulnerabilityViolation(metadata, summaries[scanningName], Math.floor(now().getTime() / 1000)),
    },
  };
}

import type { AppDeps } from '../app-env.js';
import type { Capability } from '../capability.js';
import { ArtifactSummaries } from '../registry/artifact-summaries.js';
import { accessoriesOf } from './accessories.js';
import type { Item } from '../ports/table.js';
import type { AccessoryMark, TrustSummary } from './evaluate.js';
import { schemesRequired, trustMetadataKeys, trustViolation } from './policy.js';
import { TrustService, type VerdictSink } from './trust-service.js';

/** The capability's name: its event deliveries and its summaries are filed under it. */
export const trustCapabilityName = 'trust';

/** Verdicts go beside the artifact, where the pull gate reads every capability's in one query. */
function summarySink(deps: AppDeps): VerdictSink {
  const summaries = new ArtifactSummaries(deps.table);
  return {
    get: async (repository, digest) => (await summaries.get(repository, digest, trustCapabilityName)) as unknown as TrustSummary | null,
    mark: (repository, digest, mark) => summaries.put(repository, digest, trustCapabilityName, mark as unknown as Record<string, Item[string]>),
    put: (repository, digest, summary) => summaries.put(repository, digest, trustCapabilityName, summary as unknown as Record<string, Item[string]>),
    remove: (repository, digest) => summaries.remove(repository, digest, trustCapabilityName),
  };
}

/**
 * The stored verdict of an artifact (null when it has no signature nor a signed parent index), for
 * views such as the artifacts API: what the pull gate would decide on, with each signature's result.
 */
export async function trustSummaryOf(deps: AppDeps, repository: string, digest: string): Promise<TrustSummary | null> {
  const item = await new ArtifactSummaries(deps.table).get(repository, digest, trustCapabilityName);
  if (!item || 'accessoryOf' in item) return null;
  const { pk: _pk, sk: _sk, ...summary } = item;
  return summary as unknown as TrustSummary;
}

export function trustService(deps: AppDeps): TrustService {
  return new TrustService(deps, summarySink(deps));
}

/**
 * Content trust: verdicts computed from registry events and key changes, and a pull gate that
 * reads them. See docs/content-trust.md.
 */
export function trustCapability(deps: AppDeps): Capability {
  const service = trustService(deps);
  return {
    name: trustCapabilityName,
    // The artifacts API's `with_accessory`: cosign tags as well as referrers (lifecycle/artifacts.ts).
    artifactExtras: async (repository, digest) => ({ accessories: await accessoriesOf(deps, repository, digest) }),
    jobs: {
      'trust-reverify': async (job) => {
        // One page per job, the rest as a follow-up job: a redelivery redoes one page at most.
        const next = await service.reverifyPage(job.project, job.after);
        if (next) await deps.queue.enqueue({ version: 1, kind: 'trust-reverify', id: crypto.randomUUID(), project: job.project, after: next });
      },
    },
    onEvent: (event) => service.onEvent(event),
    pullGate: {
      metadataKeys: Object.values(trustMetadataKeys),
      check: ({ metadata, digest, summaries }) => {
        if (schemesRequired(metadata).length === 0) return null;
        const found = summaries[trustCapabilityName] as unknown as TrustSummary | AccessoryMark | undefined;
        // A signature manifest itself: `cosign verify` and `notation verify` must be able to fetch it.
        if (found && 'accessoryOf' in found) return null;
        const stored = found;
        const message = trustViolation(metadata, digest, stored, deps.now?.() ?? new Date());
        return message
          ? { message, detail: { digest, cosign: stored?.cosign?.state ?? 'unsigned', notation: stored?.notation?.state ?? 'unsigned' } }
          : null;
      },
    },
  };
}

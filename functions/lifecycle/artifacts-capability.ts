import type { AppDeps } from '../app-env.js';
import type { Capability } from '../capability.js';
import { runGcJob } from './gc-runs.js';
import { ImmutableRules } from './immutable-rules.js';
import { QuotaStore } from './quota-store.js';

/**
 * Artifact management beside the registry: garbage collection runs (`gc-sweep` jobs), immutable
 * tags (a guard on every tag move and delete, whoever the writer) and project quotas (accounted in
 * the transaction of every blob link, refused before the blob becomes visible).
 */
export function artifactsCapability(deps: AppDeps): Capability {
  const rules = new ImmutableRules(deps.table);
  const quotas = new QuotaStore(deps);
  return {
    name: 'artifacts',
    jobs: { 'gc-sweep': (job) => runGcJob(deps, job) },
    tagGuard: (repository, tag) => rules.refusal(repository, tag),
    linkOps: (repository, digest, size) => quotas.linkOps(repository, digest, size),
  };
}

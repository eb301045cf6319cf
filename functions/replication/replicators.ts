import { Cron } from 'croner';
import type { AppDeps } from '../app-env.js';
import { Replicator, type ReplicationOptions } from './replicator.js';
import { AesGcmSecretBox } from './secret-box.js';

const replicators = new WeakMap<AppDeps, Replicator>();

/** Tunables; tests shorten the retry pauses. */
export const defaultReplicationOptions: Omit<ReplicationOptions, 'secretBox'> = {
  retry: { attempts: 5, baseDelayMs: 1000 },
  concurrency: 4,
};

/**
 * The one Replicator of a deployment (its stores are cheap, but the mount hints it keeps are worth
 * sharing between the API, the worker and the event consumer of one process).
 */
export function replicatorFor(deps: AppDeps, overrides: Partial<ReplicationOptions> = {}): Replicator {
  let replicator = replicators.get(deps);
  if (!replicator) {
    const key = deps.config.replicationKey;
    replicator = new Replicator(deps, {
      ...defaultReplicationOptions,
      secretBox: key ? AesGcmSecretBox.fromSecret(key) : null,
      ...overrides,
    });
    replicators.set(deps, replicator);
  }
  return replicator;
}

/** Why a cron expression is unusable (Harbor's six fields, seconds first, or five), or null. */
export function cronProblem(cron: string): string | null {
  if (cron.trim() === '') return 'a scheduled trigger needs a cron expression';
  try {
    const next = new Cron(cron, { paused: true, timezone: 'UTC' }).nextRun();
    return next ? null : 'it never fires';
  } catch (error) {
    return (error as Error).message;
  }
}


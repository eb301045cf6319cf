import type { AppDeps } from '../app-env.js';
import type { RegistryEvent } from '../core/jobs.js';

/**
 * Hands a registry event to the queue (audit, replication, scanning, webhooks consume it). The
 * request that caused it has already succeeded, so a queue failure is logged, not answered: the
 * client must not retry a push that is stored.
 */
export async function emitEvent(deps: AppDeps, event: Omit<RegistryEvent, 'version' | 'kind' | 'id' | 'at'>): Promise<void> {
  const job: RegistryEvent = {
    version: 1,
    kind: 'registry-event',
    id: crypto.randomUUID(),
    at: (deps.now?.() ?? new Date()).toISOString(),
    ...event,
  };
  try {
    await deps.queue.enqueue(job);
  } catch (error) {
    console.error(JSON.stringify({ level: 'error', message: 'event not queued', event: job, error: String(error) }));
  }
}

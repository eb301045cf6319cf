import type { Capability } from '../capability.js';
import type { Job, RegistryEvent } from '../core/jobs.js';
import type { JobHandler } from '../ports/job-queue.js';
import { ConditionFailedError, type Key, type Table } from '../ports/table.js';
import { partitions } from '../table-layout.js';

/** How long a delivery record is kept: longer than any queue keeps a message (SQS: 14 days). */
const deliveryTtlSeconds = 15 * 24 * 60 * 60;

function deliveryKey(capability: string, eventId: string): Key {
  return { pk: `${partitions.delivered}${capability}#${eventId}`, sk: 'event' };
}

/**
 * The worker's one dispatch: each job kind goes to the capability that owns it, and each registry
 * event to every capability that consumes events. A consumer's delivery is recorded after it
 * succeeds, so a redelivered event (SQS at least once, or a retry because another consumer
 * failed) skips the consumers that already had it; a crash between a consumer's work and its
 * record delivers it again, which is why consumers are idempotent too.
 */
export function dispatch(capabilities: readonly Capability[], table: Table, now: () => Date = () => new Date()): JobHandler {
  const owners = new Map<string, Capability>();
  for (const capability of capabilities) {
    for (const kind of Object.keys(capability.jobs ?? {})) {
      const owner = owners.get(kind);
      if (owner) throw new Error(`job kind ${kind} is claimed by both ${owner.name} and ${capability.name}`);
      owners.set(kind, capability);
    }
  }
  const consumers = capabilities.filter((capability) => capability.onEvent);

  async function deliver(event: RegistryEvent): Promise<void> {
    const failures: unknown[] = [];
    for (const consumer of consumers) {
      const key = deliveryKey(consumer.name, event.id);
      if (await table.get(key)) continue;
      try {
        await consumer.onEvent!(event);
      } catch (error) {
        failures.push(error);
        continue;
      }
      try {
        await table.put({ ...key, expiresAt: Math.floor(now().getTime() / 1000) + deliveryTtlSeconds }, { exists: false });
      } catch (error) {
        // Another delivery of the same event got there first: the consumer ran twice, which
        // idempotent consumers allow.
        if (!(error instanceof ConditionFailedError)) failures.push(error);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} consumers failed event ${event.id}`);
  }

  return async (job: Job) => {
    const owner = owners.get(job.kind);
    const handler = owner?.jobs?.[job.kind] as ((job: Job) => Promise<void>) | undefined;
    if (job.kind === 'registry-event') {
      await deliver(job);
      if (handler) await handler(job);
      return;
    }
    if (!handler) throw new Error(`no capability handles jobs of kind ${job.kind}`);
    await handler(job);
  };
}

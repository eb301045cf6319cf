import type { Job, RegistryEvent } from '../core/jobs.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { JobHandler } from '../ports/job-queue.js';
import { ConditionFailedError, type Item, type Table } from '../ports/table.js';
import { keys } from '../registry/keys.js';

const blobRecord = keys.blob;

export interface WorkerDeps {
  table: Table;
  blobs: BlobStore;
  /**
   * Whether any repository still links the blob. The registry's link index answers it; a gc job
   * must never remove a blob that something references.
   */
  blobInUse(digest: string): Promise<boolean>;
}

/**
 * Audit record of one registry event. Keyed by the event's own id and time, so a redelivered
 * message finds its record already written and changes nothing; gsi1 lists every repository's
 * events newest-last for the audit log view.
 */
export function auditItem(event: RegistryEvent): Item {
  const key = `${event.at}#${event.id}`;
  return {
    pk: `audit#${event.repository}`,
    sk: key,
    gsi1pk: 'audit',
    gsi1sk: key,
    id: event.id,
    action: event.action,
    repository: event.repository,
    digest: event.digest,
    at: event.at,
    ...(event.tag === undefined ? {} : { tag: event.tag }),
    ...(event.mediaType === undefined ? {} : { mediaType: event.mediaType }),
    ...(event.actor === undefined ? {} : { actor: event.actor }),
  };
}

/** One handler per job kind; every one of them idempotent, since SQS delivers at least once. */
export function jobHandlers(deps: WorkerDeps): JobHandler {
  const handlers: { [K in Job['kind']]: (job: Extract<Job, { kind: K }>) => Promise<void> } = {
    'registry-event': async (event) => {
      try {
        await deps.table.put(auditItem(event), { exists: false });
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    },
    'gc-blob': async (job) => {
      if (await deps.blobInUse(job.digest)) return;
      // Record first, bytes second: a crash in between leaves bytes nothing points at, which a
      // redelivery of this job (or the next gc) removes; the other order would leave a record of
      // a blob that is gone.
      await deps.table.delete(blobRecord(job.digest));
      await deps.blobs.delete(job.digest);
    },
  };
  return (job) => (handlers[job.kind] as (job: Job) => Promise<void>)(job);
}

import type { Capability } from '../capability.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { Table } from '../ports/table.js';
import { BlobLinks } from './blob-links.js';
import { keys } from './keys.js';

/** The registry's own jobs: removing a blob no repository links any more. */
export function registryCapability(deps: { table: Table; blobs: BlobStore }): Capability {
  const links = new BlobLinks(deps.table);
  return {
    name: 'registry',
    jobs: {
      'gc-blob': async (job) => {
        // A gc job must never remove a blob that something references.
        if ((await links.repositoriesHolding(job.digest, 1)).length > 0) return;
        // Record first, bytes second: a crash in between leaves bytes nothing points at, which a
        // redelivery of this job (or the next gc) removes; the other order would leave a record
        // of a blob that is gone.
        await deps.table.delete(keys.blob(job.digest));
        await deps.blobs.delete(job.digest);
      },
    },
  };
}

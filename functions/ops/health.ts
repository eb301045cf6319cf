import type { BlobStore } from '../ports/blob-store.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { Table } from '../ports/table.js';
import { partitions } from '../table-layout.js';

export type HealthStatus = 'healthy' | 'unhealthy';

export interface ComponentHealth {
  name: string;
  status: HealthStatus;
  error?: string;
}

/** Harbor's `GET /api/v2.0/health` body: overall status and one entry per component. */
export interface OverallHealth {
  status: HealthStatus;
  components: ComponentHealth[];
}

/** A probe that has not answered after this long counts as unhealthy. */
const probeTimeoutMs = 5_000;

/** A digest no blob has: asking for it reads the store without touching any data. */
const absentDigest = `sha256:${'0'.repeat(64)}`;

/**
 * Asks each backend one cheap read: the blob store for a blob that does not exist, the table for
 * an item that is never written, the queue for its depth. All three run at once; each is healthy
 * when it answers in time, whatever the answer.
 */
export async function checkHealth(deps: { blobs: BlobStore; table: Table; queue: JobQueue }): Promise<OverallHealth> {
  const components = await Promise.all([
    probe('storage', () => deps.blobs.stat(absentDigest)),
    probe('table', () => deps.table.get({ pk: `${partitions.health}probe`, sk: 'probe' })),
    probe('queue', async () => deps.queue.depth?.()),
  ]);
  return { status: components.every((c) => c.status === 'healthy') ? 'healthy' : 'unhealthy', components };
}

async function probe(name: string, read: () => Promise<unknown>): Promise<ComponentHealth> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      read(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${probeTimeoutMs / 1000} s`)), probeTimeoutMs);
      }),
    ]);
    return { name, status: 'healthy' };
  } catch (error) {
    return { name, status: 'unhealthy', error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteTable } from '../../../functions/adapters/local/sqlite-table.js';
import { TableJobQueue } from '../../../functions/adapters/local/table-job-queue.js';
import { describeJobQueueContract } from '../../ports/job-queue.contract.js';

describeJobQueueContract('TableJobQueue', async (handler) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-queue-'));
  const table = new SqliteTable(join(dir, 'queue.db'));
  const queue = new TableJobQueue(table, { maxReceives: 3, retryDelayMs: 0 });
  queue.start(handler);
  return {
    queue,
    table,
    maxAttempts: 3,
    settle: async () => {
      for (;;) {
        await queue.drain();
        const pending = [...(await table.query('queue#jobs', { limit: 1 })), ...(await table.query('queue#jobs-long', { limit: 1 }))];
        if (pending.length === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    deadLetters: () => queue.deadLetters(),
    cleanup: async () => {
      await queue.stop();
      table.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteTable } from '../../../functions/adapters/local/sqlite-table.js';
import { describeTableContract } from '../../ports/table.contract.js';

describeTableContract('SqliteTable', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-sqlite-'));
  const table = new SqliteTable(join(dir, 'table.db'));
  return {
    table,
    cleanup: async () => {
      table.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

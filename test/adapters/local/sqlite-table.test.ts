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

// Every item owned (read from memory once read): the contract's conditions, transactions,
// deletions and expiry must hold exactly as they do on SQLite alone.
describeTableContract('SqliteTable with every item owned', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-sqlite-'));
  const table = new SqliteTable(join(dir, 'table.db'), { owned: [{ pkPrefix: '', skPrefix: '' }] });
  return {
    table,
    cleanup: async () => {
      table.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FsBlobStore } from '../adapters/local/fs-blob-store.js';
import { SqliteTable } from '../adapters/local/sqlite-table.js';
import { TableJobQueue } from '../adapters/local/table-job-queue.js';
import type { AppDeps } from '../app-env.js';
import { tagItems } from '../registry/keys.js';
import { defaultRegistryConfig } from '../registry/registry-deps.js';

export interface LocalDeps extends AppDeps {
  table: SqliteTable;
  blobs: FsBlobStore;
  queue: TableJobQueue;
}

/**
 * The embedded default: everything under one data directory.
 *
 *   <dataDir>/registry.db   metadata (SQLite, the single-table port)
 *   <dataDir>/blobs/        committed blobs (see FsBlobStore)
 *   <dataDir>/uploads/      uploads in progress
 */
export function createLocalDeps(dataDir: string): LocalDeps {
  mkdirSync(dataDir, { recursive: true });
  // Tags are written by this server alone (it holds the data directory's lock), so their reads,
  // one per pull by tag, come from memory once read (SqliteTable keeps them exact).
  const table = new SqliteTable(join(dataDir, 'registry.db'), { owned: [tagItems] });
  return {
    table,
    blobs: new FsBlobStore(dataDir),
    queue: new TableJobQueue(table),
    config: { ...defaultRegistryConfig },
  };
}

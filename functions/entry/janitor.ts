import type { FsBlobStore } from '../adapters/local/fs-blob-store.js';
import type { SqliteTable } from '../adapters/local/sqlite-table.js';
import { keys } from '../registry/keys.js';

/**
 * Housekeeping for the embedded default, the local counterpart of DynamoDB TTL and the S3
 * lifecycle rule: drops expired items, then frees the bytes of uploads no live session claims.
 * Uploads touched within `graceMs` are left alone so a session being opened right now is safe.
 */
export async function sweepLocalStorage(table: SqliteTable, blobs: FsBlobStore, graceMs = 60 * 60 * 1000): Promise<{ items: number; uploads: number }> {
  const items = table.sweepExpired();
  let uploads = 0;
  for (const id of await blobs.staleUploads(new Date(Date.now() - graceMs))) {
    if (await table.get(keys.uploadSession(id))) continue;
    await blobs.abortUpload(id);
    uploads++;
  }
  return { items, uploads };
}

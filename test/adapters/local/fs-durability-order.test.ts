import { type FileHandle, mkdir, mkdtemp, open, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type DurableFs, FsBlobStore } from '../../../functions/adapters/local/fs-blob-store.js';
import { SqliteTable } from '../../../functions/adapters/local/sqlite-table.js';
import { TableJobQueue } from '../../../functions/adapters/local/table-job-queue.js';
import { createApp } from '../../../functions/app.js';
import { defaultRegistryConfig } from '../../../functions/registry/registry-deps.js';
import { digestOf } from '../../../functions/core/digest.js';
import type { WriteOp } from '../../../functions/ports/table.js';

/**
 * What a 201 for a blob promises survives a power loss only if the steps happen in this order:
 * the upload's bytes are fsynced after their last change, then renamed into place, then the
 * directory holding the new name is fsynced, and only then does the table record the blob. The
 * file-system calls and the table writes are recorded on one timeline while a real push runs.
 */
let root: string;
const timeline: string[] = [];

function recordingFs(): DurableFs {
  const name = (path: string) => relative(root, path) || '.';
  const wrap = (handle: FileHandle, path: string): FileHandle =>
    new Proxy(handle, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        if (property === 'truncate' || property === 'sync' || property === 'datasync') {
          return async (...args: unknown[]) => {
            const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            timeline.push(`${String(property)} ${name(path)}`);
            return result;
          };
        }
        return value.bind(target);
      },
    });
  return {
    open: async (path, flags) => {
      const handle = await open(path, flags);
      timeline.push(`open ${name(path)} ${flags}`);
      return wrap(handle, path);
    },
    rename: async (from, to) => {
      await rename(from, to);
      timeline.push(`rename ${name(from)} ${name(to)}`);
    },
    mkdir: async (path, options) => {
      const created = await mkdir(path, options);
      timeline.push(`mkdir ${name(path)}`);
      return created;
    },
  };
}

class RecordingTable extends SqliteTable {
  override async transact(ops: WriteOp[]): Promise<void> {
    await super.transact(ops);
    for (const op of ops) if ('put' in op && op.put.pk.startsWith('blob#')) timeline.push(`table ${op.put.pk}`);
  }
}

let app: ReturnType<typeof createApp>;
let table: RecordingTable;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-durability-'));
  table = new RecordingTable(join(root, 'registry.db'));
  app = createApp({ table, blobs: new FsBlobStore(root, recordingFs()), queue: new TableJobQueue(table), config: { ...defaultRegistryConfig } });
});

afterAll(async () => {
  table.close();
  await rm(root, { recursive: true, force: true });
});

/** Whether the file at `path` is fsynced after its last change, before timeline entry `until`. */
function syncedAfterLastChange(path: string, until: number): boolean {
  let lastChange = -1;
  let lastSync = -1;
  timeline.slice(0, until).forEach((entry, index) => {
    const [operation, target, flags] = entry.split(' ');
    if (target !== path) return;
    if (operation === 'truncate' || (operation === 'open' && flags !== 'r')) lastChange = index;
    if (operation === 'sync' || operation === 'datasync') lastSync = index;
  });
  return lastChange !== -1 && lastSync > lastChange;
}

test('fsync of the file < rename < fsync of its directory < the table record, for chunked and monolithic pushes', async () => {
  for (const monolithic of [false, true]) {
    timeline.length = 0;
    const bytes = new TextEncoder().encode(`blob pushed ${monolithic ? 'at once' : 'in a session'}`);
    const digest = digestOf(bytes);
    if (monolithic) {
      expect((await app.request(`/v2/team/app/blobs/uploads/?digest=${digest}`, { method: 'POST', body: bytes })).status).toBe(201);
    } else {
      const opened = await app.request('/v2/team/app/blobs/uploads/', { method: 'POST' });
      const location = opened.headers.get('location')!;
      expect((await app.request(location, { method: 'PATCH', body: bytes })).status).toBe(202);
      expect((await app.request(`${location}?digest=${digest}`, { method: 'PUT' })).status).toBe(201);
    }

    const renameAt = timeline.findIndex((entry) => entry.startsWith('rename uploads/'));
    expect(renameAt, timeline.join('\n')).toBeGreaterThan(-1);
    const [, upload, blob] = timeline[renameAt]!.split(' ') as [string, string, string];
    expect(blob).toBe(`blobs/sha256/${digest.slice(7, 9)}/${digest.slice(7)}`);
    expect(syncedAfterLastChange(upload, renameAt), timeline.join('\n')).toBe(true);

    const directorySyncAt = timeline.findIndex((entry, index) => index > renameAt && entry === `sync ${dirname(blob)}`);
    expect(directorySyncAt, timeline.join('\n')).toBeGreaterThan(renameAt);
    const recordAt = timeline.indexOf(`table blob#${digest}`);
    expect(recordAt, timeline.join('\n')).toBeGreaterThan(directorySyncAt);
  }
});

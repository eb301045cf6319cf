import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AppDeps } from '../../functions/app-env.js';
import { digestOf } from '../../functions/core/digest.js';
import { OciError } from '../../functions/core/errors.js';
import { createLocalDeps } from '../../functions/entry/local-deps.js';
import type { Condition, Item, Key, QueryOptions, Table, WriteOp } from '../../functions/ports/table.js';
import { BlobRecords } from '../../functions/registry/blob-records.js';
import { keys } from '../../functions/registry/keys.js';

/**
 * A table where another writer (a manifest push to the same repository) moves the repository's
 * generation between every blob link's read and its write, `races` times in a row.
 */
class BusyRepositoryTable implements Table {
  races = 0;
  constructor(private readonly inner: Table) {}
  get(key: Key): Promise<Item | null> {
    return this.inner.get(key);
  }
  put(item: Item, condition?: Condition): Promise<void> {
    return this.inner.put(item, condition);
  }
  delete(key: Key, condition?: Condition): Promise<void> {
    return this.inner.delete(key, condition);
  }
  async transact(ops: WriteOp[]): Promise<void> {
    const check = ops.find((op) => 'check' in op && op.check.sk === keys.repository('team/busy').sk);
    if (check && this.races > 0) {
      this.races--;
      const meta = (await this.inner.get(keys.repository('team/busy')))!;
      await this.inner.put({ ...meta, generation: crypto.randomUUID() });
    }
    return this.inner.transact(ops);
  }
  query(pk: string, options?: QueryOptions): Promise<Item[]> {
    return this.inner.query(pk, options);
  }
}

/** Stores `text` in the blob store as an upload would; its digest. */
async function stored(deps: AppDeps, text: string): Promise<{ digest: string; size: number }> {
  const bytes = new TextEncoder().encode(text);
  const id = crypto.randomUUID();
  const state = await deps.blobs.appendUpload(id, await deps.blobs.beginUpload(id), (async function* () {
    yield bytes;
  })());
  await deps.blobs.commitUpload(id, state, digestOf(bytes));
  return { digest: digestOf(bytes), size: bytes.byteLength };
}

describe('linking a blob into a busy repository', () => {
  let dir: string;
  let deps: ReturnType<typeof createLocalDeps>;
  let table: BusyRepositoryTable;
  let records: BlobRecords;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-link-contention-'));
    deps = createLocalDeps(dir);
    table = new BusyRepositoryTable(deps.table);
    records = new BlobRecords({ ...deps, table });
    // The repository exists (its first link creates it).
    const first = await stored(deps, 'first');
    expect(await records.link('team/busy', first.digest, first.size, null)).toBe(true);
  });

  afterAll(async () => {
    await deps.queue.stop();
    deps.table.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('keeps trying while other writers keep moving the repository, however many times, and links', async () => {
    const blob = await stored(deps, 'second');
    table.races = 60;
    expect(await records.link('team/busy', blob.digest, blob.size, null)).toBe(true);
    expect(table.races).toBe(0);
    expect(await deps.table.get(keys.blob(blob.digest))).not.toBeNull();
  }, 60_000);

  test('answers 429 TOOMANYREQUESTS, not a 500, when the repository never holds still', async () => {
    const blob = await stored(deps, 'third');
    table.races = Number.POSITIVE_INFINITY;
    const failure = await records.link('team/busy', blob.digest, blob.size, null, { patienceMs: 300 }).catch((error: unknown) => error);
    table.races = 0;
    expect(failure).toBeInstanceOf(OciError);
    expect((failure as OciError).code).toBe('TOOMANYREQUESTS');
    expect(await deps.table.get(keys.blob(blob.digest))).toBeNull();
  }, 60_000);
});

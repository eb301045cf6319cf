import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { SqliteTable } from '../../../functions/adapters/local/sqlite-table.js';
import { ConditionFailedError } from '../../../functions/ports/table.js';

/**
 * Items this process alone writes (tags on the embedded default) are read from memory once read.
 * A second SqliteTable on the same file stands for another process: the admin command, whose
 * writes to items the server does not own must show at once.
 */
let dir: string;
let server: SqliteTable;
let other: SqliteTable;
const tag = { pk: 'repo#library/alpine', sk: 'tag#latest' };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-owned-'));
  server = new SqliteTable(join(dir, 'registry.db'), { owned: [{ pkPrefix: 'repo#', skPrefix: 'tag#' }], ownedItemsKept: 3 });
  other = new SqliteTable(join(dir, 'registry.db'));
});
afterEach(async () => {
  server.close();
  other.close();
  await rm(dir, { recursive: true, force: true });
});

describe('owned items', () => {
  test('are read from memory once read: a write by another process is not seen (why only items the server alone writes are owned)', async () => {
    await server.put({ ...tag, digest: 'sha256:a' });
    expect((await server.get(tag))?.digest).toBe('sha256:a');
    await other.put({ ...tag, digest: 'sha256:b' });
    expect((await server.get(tag))?.digest).toBe('sha256:a');
  });

  test('items not owned are read from the database every time', async () => {
    const user = { pk: 'user#alice', sk: 'meta' };
    await server.put({ ...user, locked: true });
    expect((await server.get(user))?.locked).toBe(true);
    await other.put({ ...user, locked: false });
    expect((await server.get(user))?.locked).toBe(false);
    const elsewhere = { pk: 'project#library', sk: 'tag#latest' };
    await server.put({ ...elsewhere, n: 1 });
    expect((await server.get(elsewhere))?.n).toBe(1);
    await other.put({ ...elsewhere, n: 2 });
    expect((await server.get(elsewhere))?.n).toBe(2);
  });

  test('a put, a delete and a transaction by this table are seen at once', async () => {
    expect(await server.get(tag)).toBeNull();
    await server.put({ ...tag, digest: 'sha256:a' });
    expect((await server.get(tag))?.digest).toBe('sha256:a');
    await server.transact([{ put: { ...tag, digest: 'sha256:b' }, condition: { equals: { digest: 'sha256:a' } } }]);
    expect((await server.get(tag))?.digest).toBe('sha256:b');
    await server.transact([{ delete: tag }]);
    expect(await server.get(tag)).toBeNull();
    await server.put({ ...tag, digest: 'sha256:c' });
    expect((await server.get(tag))?.digest).toBe('sha256:c');
    await server.delete(tag);
    expect(await server.get(tag)).toBeNull();
  });

  test('a write that failed its condition leaves what is read as it was', async () => {
    await server.put({ ...tag, digest: 'sha256:a' });
    expect((await server.get(tag))?.digest).toBe('sha256:a');
    await expect(server.put({ ...tag, digest: 'sha256:b' }, { equals: { digest: 'sha256:x' } })).rejects.toBeInstanceOf(ConditionFailedError);
    expect((await server.get(tag))?.digest).toBe('sha256:a');
    // Read back from the database after the failed write: another process's change now shows.
    await other.put({ ...tag, digest: 'sha256:d' });
    await expect(server.transact([{ put: { ...tag, digest: 'sha256:e' }, condition: { exists: false } }])).rejects.toBeInstanceOf(ConditionFailedError);
    expect((await server.get(tag))?.digest).toBe('sha256:d');
  });

  test('each read gets its own copy of the item', async () => {
    await server.put({ ...tag, digest: 'sha256:a' });
    const first = await server.get(tag);
    first!.digest = 'changed by a caller';
    expect((await server.get(tag))?.digest).toBe('sha256:a');
  });

  test('an owned item past its expiry reads as absent', async () => {
    await server.put({ ...tag, digest: 'sha256:a', expiresAt: Math.floor(Date.now() / 1000) + 1 });
    expect(await server.get(tag)).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await server.get(tag)).toBeNull();
  });

  test('at most ownedItemsKept items are held; the oldest go first and are read again', async () => {
    const tags = ['a', 'b', 'c', 'd'].map((name) => ({ pk: 'repo#library/alpine', sk: `tag#${name}` }));
    for (const key of tags) await server.put({ ...key, digest: 'sha256:1' });
    for (const key of tags) await server.get(key);
    for (const key of tags) await other.put({ ...key, digest: 'sha256:2' });
    // 'a' was pushed out by 'd' and is read from the database again; the three newest are held
    // (read newest first, so reading 'a' again pushes out nothing still to be read).
    const read: Record<string, unknown> = {};
    for (const key of [...tags].reverse()) read[key.sk] = (await server.get(key))?.digest;
    expect(read).toEqual({ 'tag#a': 'sha256:2', 'tag#b': 'sha256:1', 'tag#c': 'sha256:1', 'tag#d': 'sha256:1' });
  });
});

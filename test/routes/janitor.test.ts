import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { sweepLocalStorage } from '../../functions/entry/janitor.js';
import { bytesOf, localRegistry, type LocalRegistry } from '../support/local-app.js';

let registry: LocalRegistry;
beforeEach(async () => {
  registry = await localRegistry();
});
afterEach(async () => {
  await registry.cleanup();
});

test('the janitor frees abandoned upload bytes and keeps live sessions', async () => {
  const live = (await registry.request('/v2/lib/app/blobs/uploads/', { method: 'POST' })).headers.get('location')!;
  const dead = (await registry.request('/v2/lib/app/blobs/uploads/', { method: 'POST' })).headers.get('location')!;
  for (const location of [live, dead]) await registry.request(location, { method: 'PATCH', body: bytesOf('some bytes') });
  const deadId = dead.split('/').at(-1)!;
  const liveId = live.split('/').at(-1)!;
  await registry.deps.table.delete({ pk: `upload#${deadId}`, sk: 'session' });
  const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
  for (const id of [deadId, liveId]) await utimes(join(registry.dir, 'uploads', id), old, old);
  expect(await sweepLocalStorage(registry.deps.table, registry.deps.blobs)).toEqual({ items: 0, uploads: 1 });
  expect(await registry.deps.blobs.staleUploads(new Date())).toEqual([liveId]);
  expect((await registry.request(live)).status).toBe(204);
});

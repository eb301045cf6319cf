import { afterEach, beforeEach, expect, test } from 'vitest';
import { createApp } from '../../functions/app.js';
import { digestOf } from '../../functions/core/digest.js';
import { forgetRunningHashes } from '../../functions/registry/uploads.js';
import { bytesOf, localRegistry, type LocalRegistry } from '../support/local-app.js';

let registry: LocalRegistry;
beforeEach(async () => {
  registry = await localRegistry();
});
afterEach(async () => {
  await registry.cleanup();
});

/**
 * The process dies at the next transaction: the write is refused and nothing after it runs. Then
 * a new app over the same storage, with no running hashes, as after a restart.
 */
async function crashAtNextTransaction(request: () => Promise<Response>): Promise<ReturnType<typeof createApp>> {
  const table = registry.deps.table;
  const transact = table.transact.bind(table);
  table.transact = async () => {
    table.transact = transact;
    throw new Error('killed');
  };
  expect((await request()).status).toBe(500);
  forgetRunningHashes();
  return createApp(registry.deps);
}

async function patched(content: Uint8Array<ArrayBuffer>): Promise<string> {
  const location = (await registry.request('/v2/lib/app/blobs/uploads/', { method: 'POST' })).headers.get('location')!;
  const response = await registry.request(location, { method: 'PATCH', body: content });
  expect(response.status).toBe(202);
  return response.headers.get('location')!;
}

test('a PUT cut off after the commit moved the bytes, before the session closed, can be repeated', async () => {
  const content = bytesOf('bytes already in the blob store when the process died');
  const digest = digestOf(content);
  const location = await patched(content);
  const restarted = await crashAtNextTransaction(() => registry.request(`${location}?digest=${digest}`, { method: 'PUT' }));

  expect((await restarted.request(`/v2/lib/app/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
  const status = await restarted.request(location);
  expect(status.status).toBe(204);
  expect(status.headers.get('range')).toBe(`0-${content.byteLength - 1}`);
  const more = await restarted.request(location, { method: 'PATCH', body: bytesOf('more') });
  expect(more.status).toBe(400);
  expect(((await more.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('BLOB_UPLOAD_INVALID');

  const again = await restarted.request(`${location}?digest=${digest}`, { method: 'PUT' });
  expect(again.status).toBe(201);
  const blob = await restarted.request(`/v2/lib/app/blobs/${digest}`);
  expect(new Uint8Array(await blob.arrayBuffer())).toEqual(content);
  expect((await restarted.request(location)).status).toBe(404);
});

test('after such a cut, a PUT of another digest is DIGEST_INVALID and closes the session', async () => {
  const content = bytesOf('verified against one digest, then claimed as another');
  const location = await patched(content);
  const restarted = await crashAtNextTransaction(() => registry.request(`${location}?digest=${digestOf(content)}`, { method: 'PUT' }));

  const other = digestOf(bytesOf('something else'));
  const wrong = await restarted.request(`${location}?digest=${other}`, { method: 'PUT' });
  expect(wrong.status).toBe(400);
  expect(((await wrong.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('DIGEST_INVALID');
  expect((await restarted.request(location)).status).toBe(404);
  expect((await restarted.request(`/v2/lib/app/blobs/${other}`, { method: 'HEAD' })).status).toBe(404);
});

import { afterEach, beforeEach, expect, test } from 'vitest';
import { createApp } from '../../functions/app.js';
import { localRegistry, pushImage, type LocalRegistry } from '../support/local-app.js';

let registry: LocalRegistry;
beforeEach(async () => {
  registry = await localRegistry();
});
afterEach(async () => {
  await registry.cleanup();
});

test('a delete by digest cut off between its transactions leaves no tag naming a deleted manifest', async () => {
  const { digest, body } = await pushImage(registry, 'lib/app', 'v0');
  const headers = { 'content-type': 'application/vnd.oci.image.manifest.v1+json' };
  for (let i = 1; i <= 120; i++) {
    expect((await registry.request(`/v2/lib/app/manifests/v${i}`, { method: 'PUT', body, headers })).status).toBe(201);
  }

  // 121 tags take two transactions: the process dies at the second one.
  const table = registry.deps.table;
  const transact = table.transact.bind(table);
  let calls = 0;
  table.transact = async (ops) => {
    if (++calls === 2) throw new Error('killed');
    return transact(ops);
  };
  expect((await registry.request(`/v2/lib/app/manifests/${digest}`, { method: 'DELETE' })).status).toBe(500);
  table.transact = transact;
  const restarted = createApp(registry.deps);

  const listed = ((await (await restarted.request('/v2/lib/app/tags/list')).json()) as { tags: string[] }).tags;
  for (const tag of listed) expect((await restarted.request(`/v2/lib/app/manifests/${tag}`, { method: 'HEAD' })).status, tag).toBe(200);

  expect((await restarted.request(`/v2/lib/app/manifests/${digest}`, { method: 'DELETE' })).status).toBe(202);
  expect(((await (await restarted.request('/v2/lib/app/tags/list')).json()) as { tags: string[] }).tags).toEqual([]);
  expect((await restarted.request(`/v2/lib/app/manifests/${digest}`, { method: 'HEAD' })).status).toBe(404);
});

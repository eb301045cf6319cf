import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job, RegistryEvent } from '../../functions/core/jobs.js';
import { localRegistry, type LocalRegistry, pushImage } from '../support/local-app.js';

let registry: LocalRegistry;
beforeEach(async () => {
  registry = await localRegistry();
});
afterEach(async () => {
  await registry.cleanup();
});

/** The registry events waiting in the embedded queue (nothing consumes it in these tests). */
async function queuedEvents(): Promise<RegistryEvent[]> {
  const items = await registry.deps.table.query('queue#jobs');
  return items.map((item) => item.job as unknown as Job).filter((job): job is RegistryEvent => job.kind === 'registry-event');
}

describe('registry events come from the domain, with the change', () => {
  it('a push by tag, a tag move, a tag delete and a manifest delete each record one event', async () => {
    const first = await pushImage(registry, 'team/app', 'v1');
    const second = await pushImage(registry, 'team/app', 'v1', { annotations: { second: 'yes' } });
    expect((await registry.request('/v2/team/app/manifests/v1', { method: 'DELETE' })).status).toBe(202);
    expect((await registry.request(`/v2/team/app/manifests/${first.digest}`, { method: 'DELETE' })).status).toBe(202);
    const events = await queuedEvents();
    expect(events.map(({ action, digest, tag, previousDigest }) => ({ action, digest, tag, previousDigest }))).toEqual([
      { action: 'push', digest: first.digest, tag: 'v1', previousDigest: undefined },
      { action: 'push', digest: second.digest, tag: 'v1', previousDigest: first.digest },
      { action: 'untag', digest: second.digest, tag: 'v1', previousDigest: undefined },
      { action: 'delete', digest: first.digest, tag: undefined, previousDigest: undefined },
    ]);
    expect(new Set(events.map((event) => event.id)).size).toBe(4);
    for (const event of events) expect(event.repository).toBe('team/app');
  });

  it('a write that fails records no event', async () => {
    const put = await registry.request('/v2/team/app/manifests/v1', {
      method: 'PUT',
      body: JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'0'.repeat(64)}`, size: 2 }, layers: [] }),
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(put.status).toBe(400);
    expect((await registry.request('/v2/team/app/manifests/nope', { method: 'DELETE' })).status).toBe(404);
    expect(await queuedEvents()).toEqual([]);
  });

  it('the event is written in the same transaction as the manifest, so a failed transaction leaves neither', async () => {
    const table = registry.deps.table;
    const transact = table.transact.bind(table);
    const manifestTransactions: string[][] = [];
    let refuse = false;
    table.transact = async (ops) => {
      const keys = ops.map((op) => ('put' in op ? op.put : 'delete' in op ? op.delete : op.check)).map((key) => `${key.pk} ${key.sk}`);
      if (keys.some((key) => key.includes(' manifest#'))) {
        manifestTransactions.push(keys);
        if (refuse) throw new Error('injected: the table refused the transaction');
      }
      return transact(ops);
    };
    await pushImage(registry, 'team/app', 'v1');
    expect(manifestTransactions).toHaveLength(1);
    expect(manifestTransactions[0]!.filter((key) => key.startsWith('queue#jobs '))).toHaveLength(1);
    refuse = true;
    const { response } = await pushImage(registry, 'team/app', 'v2');
    expect(response.status).toBe(500);
    expect(await table.get({ pk: 'repo#team/app', sk: 'tag#v2' })).toBeNull();
    expect((await queuedEvents()).map((event) => event.tag)).toEqual(['v1']);
  });
});

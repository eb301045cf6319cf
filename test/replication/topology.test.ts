import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HttpRemoteRegistry } from '../../functions/adapters/http/http-remote-registry.js';
import { loadConfig } from '../../functions/config.js';
import { topologyFromConfig } from '../../functions/replication/topology.js';
import { adminPassword, startTestBerth, type TestBerth } from './support/berth.js';
import { localOf, pushImage } from './support/images.js';

const password = 'Inbound-Passw0rd-1234';
let downstream: TestBerth;
let upstream: TestBerth;

beforeAll(async () => {
  downstream = await startTestBerth({ auth: true, worker: true, topology: { targets: [], inboundPassword: password } });
  upstream = await startTestBerth({ auth: true, worker: true, topology: { targets: [{ region: 'eu-west-1', url: downstream.url, password }] } });
});
afterAll(async () => {
  await Promise.all([upstream?.stop(), downstream?.stop()]);
});

describe('the region topology the deployment describes', () => {
  test('reads targets and passwords from the environment the CDK app sets', () => {
    const target = { region: 'ap-southeast-2', url: 'https://ap-southeast-2.registry.example.com', password: 'x'.repeat(32) };
    expect(
      topologyFromConfig(loadConfig({ BERTH_REPLICATION_TARGETS: JSON.stringify([target]), BERTH_REPLICATION_INBOUND_PASSWORD: 'y'.repeat(32) })),
    ).toEqual({ targets: [target], inboundPassword: 'y'.repeat(32) });
    expect(topologyFromConfig(loadConfig({}))).toBeUndefined();
    expect(() => topologyFromConfig(loadConfig({ BERTH_REPLICATION_TARGETS: JSON.stringify([{ region: 'eu-west-1', url: 'https://x' }]) }))).toThrow(/BERTH_REPLICATION_TARGETS: 0\.password/);
  });

  test('a push upstream reaches the downstream region through the system-managed policy', async () => {
    const image = await pushImage(localOf(upstream.deps), 'fresh/app', 'v1');
    const client = new HttpRemoteRegistry({ url: downstream.url, credential: { username: 'admin', password: adminPassword } });
    await expect.poll(async () => (await client.headManifest('fresh/app', 'v1'))?.digest, { timeout: 30_000, interval: 100 }).toBe(image.digest);
    // The `replication` account's first push created the project, as a system admin's does.
    expect(await downstream.deps.identity!.projects.get('fresh')).not.toBeNull();
  });

  test('the policy is system-managed: the API refuses to change or delete it, and applying again adds nothing', async () => {
    const policies = (await (await upstream.api('/replication/policies')).json()) as { id: number; name: string; system_managed: boolean }[];
    expect(policies).toHaveLength(1);
    expect(policies[0]).toMatchObject({ name: 'region-eu-west-1', system_managed: true });
    expect((await upstream.api(`/replication/policies/${policies[0]!.id}`, { method: 'DELETE' })).status).toBe(412);
    expect((await upstream.api(`/replication/policies/${policies[0]!.id}`, { method: 'PUT', body: JSON.stringify({ name: 'mine', dest_registry: { id: 1 } }) })).status).toBe(412);
    const { ensureTopologyPolicies } = await import('../../functions/replication/topology.js');
    await ensureTopologyPolicies(upstream.replicator, upstream.deps.config.replicationTopology!.targets);
    expect(await upstream.replicator.policies.list()).toHaveLength(1);
    expect(await upstream.replicator.registries.list()).toHaveLength(1);
  });

  test('processes that start together (the API and the worker) all apply it, and record it once', async () => {
    const fresh = await startTestBerth({ topology: { targets: [] } });
    try {
      const { ensureTopologyPolicies } = await import('../../functions/replication/topology.js');
      const targets = [{ region: 'sa-east-1', url: 'https://sa-east-1.registry.example.com', password: 'z'.repeat(32) }];
      await Promise.all(Array.from({ length: 4 }, () => ensureTopologyPolicies(fresh.replicator, targets)));
      expect(await fresh.replicator.registries.list()).toEqual([expect.objectContaining({ name: 'region-sa-east-1' })]);
      expect(await fresh.replicator.policies.list()).toEqual([expect.objectContaining({ name: 'region-sa-east-1' })]);
    } finally {
      await fresh.stop();
    }
  });
});

describe('event-based executions', () => {
  test('a redelivered event starts nothing twice', async () => {
    // Handed to the consumer directly (no push: the worker must not deliver an event of its own).
    const before = (await upstream.replicator.executions.listExecutions()).length;
    const event = { version: 1 as const, kind: 'registry-event' as const, id: 'event-redelivered', action: 'push' as const, repository: 'fresh/again', digest: `sha256:${'c'.repeat(64)}`, tag: 'v2', at: new Date().toISOString() };
    await upstream.replicator.onEvent(event);
    await upstream.replicator.onEvent(event);
    expect((await upstream.replicator.executions.listExecutions()).length).toBe(before + 1);
  });
});

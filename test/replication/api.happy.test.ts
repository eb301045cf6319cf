import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HttpRemoteRegistry } from '../../functions/adapters/http/http-remote-registry.js';
import { replicationKeys } from '../../functions/replication/keys.js';
import { createPolicy, createRegistry, executionsOf, finished, logOf, replicate, tasksOf } from './support/api.js';
import { adminPassword, startTestBerth, type TestBerth } from './support/berth.js';
import { localOf, pushImage } from './support/images.js';

let source: TestBerth;
let destination: TestBerth;
let registryId: number;
const secret = 'Robot-Secret-9';

beforeAll(async () => {
  [source, destination] = await Promise.all([startTestBerth({ auth: true, worker: true }), startTestBerth({ auth: true })]);
  registryId = await createRegistry(source, { name: 'dest', url: destination.url, credential: { type: 'basic', access_key: 'admin', access_secret: adminPassword } });
});
afterAll(async () => {
  await Promise.all([source?.stop(), destination?.stop()]);
});

function destinationClient(): HttpRemoteRegistry {
  return new HttpRemoteRegistry({ url: destination.url, credential: { username: 'admin', password: adminPassword } });
}

describe('registries', () => {
  test('the secret is sealed at rest and never answered; a masked secret keeps the stored one', async () => {
    const id = await createRegistry(source, { name: 'sealed', url: destination.url, credential: { type: 'basic', access_key: 'someone', access_secret: secret } });
    const body = (await (await source.api(`/registries/${id}`)).json()) as { credential: Record<string, string>; url: string; type: string };
    expect(body.credential).toEqual({ type: 'basic', access_key: 'someone', access_secret: '*****' });
    expect(JSON.stringify(await (await source.api('/registries?page_size=100')).json())).not.toContain(secret);
    const item = await source.deps.table.get(replicationKeys.registry(id));
    expect(JSON.stringify(item)).not.toContain(secret);
    expect(await source.replicator.secretBox!.open((item!.credential as { sealedSecret: string }).sealedSecret)).toBe(secret);

    const renamed = await source.api(`/registries/${id}`, { method: 'PUT', body: JSON.stringify({ name: 'sealed-2', access_secret: '*****', description: 'kept' }) });
    expect(renamed.status).toBe(200);
    const after = await source.deps.table.get(replicationKeys.registry(id));
    expect(await source.replicator.secretBox!.open((after!.credential as { sealedSecret: string }).sealedSecret)).toBe(secret);
    expect(((await (await source.api(`/registries/${id}`)).json()) as { name: string }).name).toBe('sealed-2');
    expect((await source.api(`/registries/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await source.api(`/registries/${id}`)).status).toBe(404);
  });

  test('ping with the stored credentials, and with the id of a stored registry', async () => {
    expect((await source.api('/registries/ping', { method: 'POST', body: JSON.stringify({ id: registryId }) })).status).toBe(200);
    const direct = await source.api('/registries/ping', { method: 'POST', body: JSON.stringify({ type: 'harbor', url: destination.url, insecure: true, access_key: 'admin', access_secret: adminPassword }) });
    expect(direct.status).toBe(200);
  });
});

describe('manual executions, push mode', () => {
  test('tag filters, namespace rewriting, tasks and their logs', async () => {
    const local = localOf(source.deps);
    const release = await pushImage(local, 'team/deep/app', 'v1.2');
    await pushImage(local, 'team/deep/app', 'v1.2-rc1');
    await pushImage(local, 'team/deep/app', 'nightly');
    const policy = await createPolicy(source, {
      dest_registry: { id: registryId },
      dest_namespace: 'copies',
      dest_namespace_replace_count: 2,
      filters: [
        { type: 'name', value: 'team/**' },
        { type: 'tag', value: 'v*' },
        { type: 'tag', value: '*-rc*', decoration: 'excludes' },
        { type: 'resource', value: 'image' },
      ],
    });
    const execution = await replicate(source, policy);
    expect(execution).toMatchObject({ status: 'Succeed', trigger: 'MANUAL', total: 1, succeed: 1, failed: 0 });
    const [task] = await tasksOf(source, execution.id);
    expect(task).toMatchObject({ status: 'Succeed', dst_resource: 'copies/app', operation: 'copy' });
    expect(await logOf(source, execution.id, task!.id)).toContain(`team/deep/app:v1.2 → copies/app:v1.2: copied ${release.digest}`);
    expect(await destinationClient().tags('copies/app')).toEqual(['v1.2']);
    expect((await executionsOf(source, policy))[0]!.id).toBe(execution.id);
  });

  test('override off leaves a moved destination tag alone and says so; on, it is replaced', async () => {
    const local = localOf(source.deps);
    const mine = await pushImage(local, 'keep/app', 'v1');
    const theirs = await pushImage(destinationClient(), 'keep/app', 'v1');
    const off = await createPolicy(source, { dest_registry: { id: registryId }, override: false, filters: [{ type: 'name', value: 'keep/app' }] });
    const execution = await replicate(source, off);
    expect(execution.status).toBe('Succeed');
    const [task] = await tasksOf(source, execution.id);
    expect(await logOf(source, execution.id, task!.id)).toMatch(/skipped, the destination tag names .* override is off/);
    expect((await destinationClient().headManifest('keep/app', 'v1'))?.digest).toBe(theirs.digest);

    const on = await createPolicy(source, { dest_registry: { id: registryId }, override: true, filters: [{ type: 'name', value: 'keep/app' }] });
    expect((await replicate(source, on)).status).toBe('Succeed');
    expect((await destinationClient().headManifest('keep/app', 'v1'))?.digest).toBe(mine.digest);
  });

  test('a stop request stops pending tasks and the execution reads Stopped', async () => {
    const local = localOf(source.deps);
    for (let i = 0; i < 6; i++) await pushImage(local, `many/r${i}`, 'v1');
    const policy = await createPolicy(source, { dest_registry: { id: registryId }, filters: [{ type: 'name', value: 'many/*' }] });
    await source.deps.queue.stop();
    const started = await source.api('/replication/executions', { method: 'POST', body: JSON.stringify({ policy_id: policy }) });
    const id = Number(started.headers.get('location')!.split('/').pop());
    // Planned (tasks written) but no task run yet: the worker is paused.
    const [planJob] = await source.deps.table.query('queue#jobs-long', { limit: 1 });
    expect(planJob).toBeDefined();
    await source.replicator.handle((planJob!.job as never));
    expect((await source.api(`/replication/executions/${id}`, { method: 'PUT' })).status).toBe(200);
    source.deps.queue.start(source.worker);
    const stopped = await finished(source, id);
    expect(stopped).toMatchObject({ status: 'Stopped', total: 6, stopped: 6 });
    expect(await destinationClient().tags('many/r0')).toEqual([]);
  });
});

describe('scheduled trigger', () => {
  test('each due time starts one execution, however many ticks see it', async () => {
    const local = localOf(source.deps);
    const image = await pushImage(local, 'cron/app', 'v1');
    const policy = await createPolicy(source, {
      dest_registry: { id: registryId },
      trigger: { type: 'scheduled', trigger_settings: { cron: '* * * * * *' } },
      filters: [{ type: 'name', value: 'cron/app' }],
    });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await Promise.all([source.tick(), source.tick()]);
    await expect.poll(async () => (await executionsOf(source, policy)).length, { timeout: 10_000 }).toBe(1);
    const [execution] = await executionsOf(source, policy);
    expect(execution!.trigger).toBe('SCHEDULE');
    expect((await finished(source, execution!.id)).status).toBe('Succeed');
    expect((await destinationClient().headManifest('cron/app', 'v1'))?.digest).toBe(image.digest);

    // Disabled, it is unscheduled: later ticks start nothing.
    const current = (await (await source.api(`/replication/policies/${policy}`)).json()) as Record<string, unknown>;
    expect((await source.api(`/replication/policies/${policy}`, { method: 'PUT', body: JSON.stringify({ ...current, enabled: false }) })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await source.tick();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await executionsOf(source, policy)).toHaveLength(1);
  });
});

describe('openapi', () => {
  test('the document lists the replication paths and the body schemas they validate with', async () => {
    const doc = (await (await source.api('/openapi.json')).json()) as { paths: Record<string, unknown>; components: { schemas: Record<string, { required?: string[] }> } };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/registries', '/registries/ping', '/replication/policies/{id}', '/replication/executions/{id}/tasks/{task_id}/log']));
    expect(doc.components.schemas.ReplicationPolicy!.required).toEqual(['name']);
    expect(doc.components.schemas.Registry!.required).toEqual(expect.arrayContaining(['name', 'url', 'type']));
  });
});

describe('webhooks', () => {
  test('a finished task writes Harbor\'s REPLICATION notification with its status', async () => {
    await pushImage(localOf(source.deps), 'hooks/app', 'v1');
    const policy = await createPolicy(source, { dest_registry: { id: registryId }, filters: [{ type: 'name', value: 'hooks/app' }] });
    await source.deps.queue.stop();
    try {
      const started = await source.api('/replication/executions', { method: 'POST', body: JSON.stringify({ policy_id: policy }) });
      const id = Number(started.headers.get('location')!.split('/').pop());
      const jobs = async (pk: string) => (await source.deps.table.query(pk)).map((item) => item.job as { kind: string; id: string; eventType?: string; project?: string; payload?: { replication: { job_status: string } } });
      const plan = (await jobs('queue#jobs-long')).find((job) => job.kind === 'replication-execution')!;
      await source.replicator.handle(plan as never);
      const [task] = await source.replicator.executions.tasks(id);
      await source.replicator.runTask(id, task!.id);
      const notify = (await jobs('queue#jobs')).find((job) => job.kind === 'notify' && job.id === `replication-${id}-${task!.id}`);
      expect(notify).toMatchObject({ eventType: 'REPLICATION', project: 'hooks', payload: { replication: { job_status: 'Succeed' } } });
    } finally {
      source.deps.queue.start(source.worker);
    }
  });
});

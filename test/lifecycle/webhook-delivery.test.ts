import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookServices } from '../../functions/lifecycle/webhook-capability.js';
import { addMember, addUser, basic, userPassword } from '../support/identity-app.js';
import { type LifecycleApp, lifecycleApp, manualClock } from './audit-app.js';
import { webhookReceiver } from './webhook-receiver.js';

interface Job {
  id: number;
  policy_id: number;
  event_type: string;
  status: string;
  attempts: number;
  attempt_log: { status_code?: number; error?: string }[];
}

describe('webhooks', () => {
  const clock = manualClock(new Date().toISOString());
  let registry: LifecycleApp;
  let projectId: number;

  beforeAll(async () => {
    registry = await lifecycleApp({ now: clock.now, env: { BERTH_WEBHOOK_MAX_ATTEMPTS: '3', BERTH_EXTERNAL_HOST: 'registry.example.com' } });
    const created = await registry.json('/api/v2.0/projects', 'POST', { project_name: 'hooked' });
    projectId = Number(created.headers.get('location')!.split('/').pop());
    await addUser(registry.identity, 'dev');
    await addMember(registry.identity, 'hooked', 'dev', 'developer');
  });
  afterAll(async () => registry.cleanup());

  async function policy(body: Record<string, unknown>): Promise<number> {
    const response = await registry.json('/api/v2.0/projects/hooked/webhook/policies', 'POST', body);
    expect(response.status, await response.clone().text()).toBe(201);
    return Number(response.headers.get('location')!.split('/').pop());
  }

  async function jobs(policyId: number): Promise<Job[]> {
    const response = await registry.request(`/api/v2.0/projects/hooked/webhook/jobs?policy_id=${policyId}`);
    expect(response.status).toBe(200);
    return (await response.json()) as Job[];
  }

  /** The retry sweep as the scheduler runs it, once the clock says retries are due. */
  async function sweepAfter(ms: number) {
    clock.advance(ms);
    await registry.worker({ version: 1, kind: 'webhook-retry-sweep', id: `sweep-${Date.now()}-${Math.random()}` });
    await registry.drain();
  }

  it('delivers pushes, pulls and deletes in Harbor\'s Default payload with the auth header', async () => {
    const receiver = await webhookReceiver();
    try {
      const id = await policy({
        name: 'ci',
        targets: [{ type: 'http', address: receiver.url, auth_header: 'Bearer s3cret', payload_format: 'Default' }],
        event_types: ['PUSH_ARTIFACT', 'PULL_ARTIFACT', 'DELETE_ARTIFACT'],
      });
      const { digest } = await registry.push('hooked/app', 'v1');
      await registry.drain();
      expect((await registry.request('/v2/hooked/app/manifests/v1')).status).toBe(200);
      await registry.flushPulls();
      expect((await registry.request(`/v2/hooked/app/manifests/${digest}`, { method: 'DELETE' })).status).toBe(202);
      await registry.drain();
      expect(receiver.received.map((r) => r.body.type)).toEqual(['PUSH_ARTIFACT', 'PULL_ARTIFACT', 'DELETE_ARTIFACT']);
      const push = receiver.received[0]!;
      expect(push.headers.authorization).toBe('Bearer s3cret');
      expect(push.headers['content-type']).toBe('application/json');
      expect(push.body).toEqual({
        type: 'PUSH_ARTIFACT',
        occur_at: expect.any(Number),
        operator: 'admin',
        event_data: {
          resources: [{ digest, tag: 'v1', resource_url: 'registry.example.com/hooked/app:v1' }],
          repository: { date_created: expect.any(Number), name: 'app', namespace: 'hooked', repo_full_name: 'hooked/app', repo_type: 'private' },
        },
      });
      const done = await jobs(id);
      expect(done.map((j) => `${j.event_type} ${j.status} ${j.attempts}`).sort()).toEqual(['DELETE_ARTIFACT finished 1', 'PULL_ARTIFACT finished 1', 'PUSH_ARTIFACT finished 1']);
      await registry.request(`/api/v2.0/projects/hooked/webhook/policies/${id}`, { method: 'DELETE' });
    } finally {
      await receiver.down();
    }
  });

  it('sends CloudEvents to a target that asks for them', async () => {
    const receiver = await webhookReceiver();
    try {
      const id = await policy({ name: 'ce', targets: [{ address: receiver.url, payload_format: 'CloudEvents' }], event_types: ['PUSH_ARTIFACT'] });
      const { digest } = await registry.push('hooked/ce', 'latest');
      await registry.drain();
      expect(receiver.received).toHaveLength(1);
      const [event] = receiver.received;
      expect(event!.headers['content-type']).toBe('application/cloudevents+json');
      expect(event!.body).toMatchObject({
        specversion: '1.0',
        type: 'harbor.artifact.pushed',
        source: `/projects/${projectId}/webhook/policies/${id}`,
        datacontenttype: 'application/json',
        operator: 'admin',
        data: { resources: [{ digest, tag: 'latest' }], repository: { repo_full_name: 'hooked/ce' } },
      });
      await registry.request(`/api/v2.0/projects/hooked/webhook/policies/${id}`, { method: 'DELETE' });
    } finally {
      await receiver.down();
    }
  });

  it('delivers to a receiver that was down once it is back, and only once', async () => {
    const receiver = await webhookReceiver();
    await receiver.down();
    const id = await policy({ name: 'flaky', targets: [{ address: receiver.url }], event_types: ['PUSH_ARTIFACT'] });
    try {
      await registry.push('hooked/late', 'v1');
      await registry.drain();
      let [job] = await jobs(id);
      expect(job).toMatchObject({ status: 'pending', attempts: 1 });
      expect(job!.attempt_log[0]!.error).toMatch(/ECONNREFUSED/);
      // Not due yet: a sweep now sends nothing.
      await sweepAfter(1_000);
      expect((await jobs(id))[0]!.attempts).toBe(1);
      await receiver.up();
      await sweepAfter(10_000);
      expect(receiver.received).toHaveLength(1);
      [job] = await jobs(id);
      expect(job).toMatchObject({ status: 'finished', attempts: 2 });
      expect(job!.attempt_log[1]).toMatchObject({ status_code: 200 });
      // Later sweeps and a redelivered notification send nothing more.
      await sweepAfter(60_000);
      const { deliveries } = webhookServices(registry.deps);
      const task = (await deliveries.tasksOf('hooked', id))[0]!;
      await deliveries.notify(task.notification);
      await registry.drain();
      await sweepAfter(60_000);
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.down();
      await registry.request(`/api/v2.0/projects/hooked/webhook/policies/${id}`, { method: 'DELETE' });
    }
  });

  it('sends an attempt once however many workers pick its job up at the same time', async () => {
    const receiver = await webhookReceiver();
    const id = await policy({ name: 'racing', targets: [{ address: receiver.url }], event_types: ['QUOTA_EXCEED'] });
    try {
      const { deliveries } = webhookServices(registry.deps);
      await deliveries.notify({ id: 'race-1', type: 'QUOTA_EXCEED', project: 'hooked', at: clock.now().toISOString(), operator: 'system', eventData: {} });
      const key = `hooked/${id}/race-1/0`;
      await Promise.all([deliveries.deliver(key), deliveries.deliver(key), deliveries.deliver(key)]);
      await registry.drain();
      expect(receiver.received).toHaveLength(1);
      expect((await jobs(id))[0]).toMatchObject({ status: 'finished', attempts: 1 });
    } finally {
      await receiver.down();
      await registry.request(`/api/v2.0/projects/hooked/webhook/policies/${id}`, { method: 'DELETE' });
    }
  });

  it('retries with growing delays, then gives up and says why', async () => {
    const receiver = await webhookReceiver();
    receiver.answer(503);
    const id = await policy({ name: 'failing', targets: [{ address: receiver.url }], event_types: ['PUSH_ARTIFACT'] });
    try {
      await registry.push('hooked/fail', 'v1');
      await registry.drain();
      await sweepAfter(10_000);
      expect(receiver.received).toHaveLength(2);
      // The second retry waits twice as long.
      await sweepAfter(10_000);
      expect(receiver.received).toHaveLength(2);
      await sweepAfter(10_000);
      expect(receiver.received).toHaveLength(3);
      await sweepAfter(3_600_000);
      expect(receiver.received).toHaveLength(3);
      const [job] = await jobs(id);
      expect(job).toMatchObject({ status: 'error', attempts: 3 });
      expect(job!.attempt_log.map((a) => a.error)).toEqual(['the receiver answered 503', 'the receiver answered 503', 'the receiver answered 503']);
      const executions = (await (await registry.request(`/api/v2.0/projects/hooked/webhook/policies/${id}/executions`)).json()) as { id: number; status: string }[];
      expect(executions).toEqual([expect.objectContaining({ status: 'Error', vendor_type: 'WEBHOOK', vendor_id: id })]);
      const tasks = (await (await registry.request(`/api/v2.0/projects/hooked/webhook/policies/${id}/executions/${executions[0]!.id}/tasks`)).json()) as { id: number; run_count: number }[];
      expect(tasks).toEqual([expect.objectContaining({ run_count: 3, status: 'Error' })]);
      const log = await (await registry.request(`/api/v2.0/projects/hooked/webhook/policies/${id}/executions/${executions[0]!.id}/tasks/${tasks[0]!.id}/log`)).text();
      expect(log).toContain('attempt 3: the receiver answered 503');
    } finally {
      await receiver.down();
      await registry.request(`/api/v2.0/projects/hooked/webhook/policies/${id}`, { method: 'DELETE' });
    }
  });

  it('delivers what other capabilities notify (quota, scanning, replication) and skips disabled policies', async () => {
    const receiver = await webhookReceiver();
    const on = await policy({ name: 'quota', targets: [{ address: receiver.url }], event_types: ['QUOTA_EXCEED', 'SCANNING_COMPLETED'] });
    const off = await policy({ name: 'off', enabled: false, targets: [{ address: receiver.url }], event_types: ['QUOTA_EXCEED'] });
    try {
      await registry.deps.queue.enqueue({
        version: 1,
        kind: 'notify',
        id: 'quota-1',
        eventType: 'QUOTA_EXCEED',
        project: 'hooked',
        at: clock.now().toISOString(),
        operator: 'dev',
        payload: { resources: [{ digest: 'sha256:abc' }], custom_attributes: { Details: 'adding 10 MiB of storage resource, which when updated to current usage of 95 MiB will exceed the configured upper limit of 100 MiB.' } },
      });
      await registry.drain();
      expect(receiver.received).toHaveLength(1);
      expect(receiver.received[0]!.body).toMatchObject({ type: 'QUOTA_EXCEED', operator: 'dev', event_data: { custom_attributes: { Details: expect.stringContaining('exceed') } } });
      expect(await jobs(off)).toEqual([]);
    } finally {
      await receiver.down();
      for (const id of [on, off]) await registry.request(`/api/v2.0/projects/hooked/webhook/policies/${id}`, { method: 'DELETE' });
    }
  });

  it('verifies certificates unless the target says skip_cert_verify', async () => {
    const receiver = await webhookReceiver({ https: true });
    const strict = await policy({ name: 'strict', targets: [{ address: receiver.url }], event_types: ['PUSH_ARTIFACT'] });
    const lax = await policy({ name: 'lax', targets: [{ address: receiver.url, skip_cert_verify: true }], event_types: ['PUSH_ARTIFACT'] });
    try {
      await registry.push('hooked/tls', 'v1');
      await registry.drain();
      expect(receiver.received).toHaveLength(1);
      expect((await jobs(lax))[0]).toMatchObject({ status: 'finished' });
      const [refused] = await jobs(strict);
      expect(refused).toMatchObject({ status: 'pending' });
      expect(refused!.attempt_log[0]!.error).toMatch(/self.signed|certificate/i);
    } finally {
      await receiver.down();
      for (const id of [strict, lax]) await registry.request(`/api/v2.0/projects/hooked/webhook/policies/${id}`, { method: 'DELETE' });
    }
  });
});

describe('webhook policies API', () => {
  let registry: LifecycleApp;
  beforeAll(async () => {
    registry = await lifecycleApp();
    expect((await registry.json('/api/v2.0/projects', 'POST', { project_name: 'hooks' })).status).toBe(201);
    await addUser(registry.identity, 'dev');
    await addMember(registry.identity, 'hooks', 'dev', 'developer');
  });
  afterAll(async () => registry.cleanup());
  const valid = { name: 'one', targets: [{ address: 'http://127.0.0.1:9/x' }], event_types: ['PUSH_ARTIFACT'] };

  it('creates, reads, updates, lists and deletes', async () => {
    const created = await registry.json('/api/v2.0/projects/hooks/webhook/policies', 'POST', valid);
    expect(created.status).toBe(201);
    const path = created.headers.get('location')!.replace(/^\/api\/v2\.0\/projects\/\d+/, '/api/v2.0/projects/hooks');
    const read = (await (await registry.request(path)).json()) as Record<string, unknown>;
    expect(read).toMatchObject({
      name: 'one',
      enabled: true,
      creator: 'admin',
      event_types: ['PUSH_ARTIFACT'],
      targets: [{ type: 'http', address: 'http://127.0.0.1:9/x', skip_cert_verify: false, payload_format: 'Default' }],
    });
    expect((await registry.json(path, 'PUT', { ...valid, name: 'renamed', enabled: false })).status).toBe(200);
    const list = (await (await registry.request('/api/v2.0/projects/hooks/webhook/policies')).json()) as { name: string; enabled: boolean }[];
    expect(list).toEqual([expect.objectContaining({ name: 'renamed', enabled: false })]);
    // The old name is free again.
    const again = await registry.json('/api/v2.0/projects/hooks/webhook/policies', 'POST', valid);
    expect(again.status).toBe(201);
    expect((await registry.json('/api/v2.0/projects/hooks/webhook/policies', 'POST', valid)).status).toBe(409);
    expect((await registry.request(path, { method: 'DELETE' })).status).toBe(200);
    expect((await registry.request(path)).status).toBe(404);
    const events = (await (await registry.request('/api/v2.0/projects/hooks/webhook/events')).json()) as { event_type: string[] };
    expect(events.event_type).toEqual(expect.arrayContaining(['PUSH_ARTIFACT', 'PULL_ARTIFACT', 'DELETE_ARTIFACT', 'QUOTA_EXCEED', 'SCANNING_COMPLETED', 'SCANNING_FAILED', 'REPLICATION']));
  });

  it.each([
    ['a target that is not http', { ...valid, name: 'x', targets: [{ address: 'ftp://example.test/' }] }],
    ['no target', { ...valid, name: 'x', targets: [] }],
    ['an unknown event type', { ...valid, name: 'x', event_types: ['COFFEE_BREWED'] }],
    ['no event type', { ...valid, name: 'x', event_types: [] }],
    ['an unknown payload format', { ...valid, name: 'x', targets: [{ address: 'http://a.test/', payload_format: 'Xml' }] }],
    ['no name', { ...valid, name: '' }],
  ])('refuses %s with 400', async (_, body) => {
    const response = await registry.json('/api/v2.0/projects/hooks/webhook/policies', 'POST', body);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('BAD_REQUEST');
  });

  it('lets project admins only manage policies', async () => {
    const dev = basic('dev', userPassword);
    expect((await registry.json('/api/v2.0/projects/hooks/webhook/policies', 'POST', { ...valid, name: 'mine' }, dev)).status).toBe(403);
    expect((await registry.request('/api/v2.0/projects/hooks/webhook/policies', {}, dev)).status).toBe(403);
    expect((await registry.request('/api/v2.0/projects/hooks/webhook/policies', {}, null)).status).toBe(401);
    expect((await registry.request('/api/v2.0/projects/nowhere/webhook/policies')).status).toBe(404);
    expect((await registry.request('/api/v2.0/projects/hooks/webhook/jobs')).status).toBe(400);
  });
});

describe('webhooks of a deleted project', () => {
  it('are not inherited by a new project of the same name', async () => {
    const registry = await lifecycleApp();
    const receiver = await webhookReceiver();
    try {
      expect((await registry.json('/api/v2.0/projects', 'POST', { project_name: 'reborn' })).status).toBe(201);
      const hook = { name: 'old', targets: [{ address: receiver.url }], event_types: ['PUSH_ARTIFACT'] };
      expect((await registry.json('/api/v2.0/projects/reborn/webhook/policies', 'POST', hook)).status).toBe(201);
      expect((await registry.request('/api/v2.0/projects/reborn', { method: 'DELETE' })).status).toBe(200);
      expect((await registry.json('/api/v2.0/projects', 'POST', { project_name: 'reborn' })).status).toBe(201);
      await registry.push('reborn/app', 'v1');
      await registry.drain();
      expect(receiver.received).toEqual([]);
      expect(await (await registry.request('/api/v2.0/projects/reborn/webhook/policies')).json()).toEqual([]);
      // Its name is free for the new project's own policy, which does hear pushes.
      expect((await registry.json('/api/v2.0/projects/reborn/webhook/policies', 'POST', hook)).status).toBe(201);
      await registry.push('reborn/app', 'v2');
      await registry.drain();
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.down();
      await registry.cleanup();
    }
  });
});

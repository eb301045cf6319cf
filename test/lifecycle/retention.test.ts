import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../functions/core/digest.js';
import { retentionServices } from '../../functions/lifecycle/retention-capability.js';
import { ScheduleStore } from '../../functions/schedules/schedule-store.js';
import { addMember, addUser, basic, userPassword } from '../support/identity-app.js';
import { bytesOf } from '../support/local-app.js';
import { type LifecycleApp, lifecycleApp, manualClock } from './audit-app.js';
import { webhookReceiver } from './webhook-receiver.js';

const minute = 60_000;
const day = 24 * 60 * minute;

const everything = { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] };
const allTags = [{ kind: 'doublestar', decoration: 'matches', pattern: '**' }];

function rule(template: string, n: number | undefined, repo = '**', tags: Record<string, unknown>[] = allTags) {
  return {
    action: 'retain',
    template,
    params: n === undefined ? {} : { [template]: n },
    tag_selectors: tags,
    scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: repo }] },
  };
}

interface Execution {
  id: number;
  status: string;
  dry_run: boolean;
  trigger: string;
}
interface Task {
  id: number;
  repository: string;
  total: number;
  retained: number;
  status: string;
}

describe('tag retention', () => {
  const clock = manualClock(new Date().toISOString());
  let registry: LifecycleApp;
  let projectId: number;
  let policyId: number;

  beforeAll(async () => {
    registry = await lifecycleApp({ now: clock.now });
    const created = await registry.json('/api/v2.0/projects', 'POST', { project_name: 'kept' });
    projectId = Number(created.headers.get('location')!.split('/').pop());
  });
  afterAll(async () => registry.cleanup());

  const status = async (reference: string) => (await registry.request(`/v2/${reference.replace(':', '/manifests/')}`)).status;

  async function run(dryRun: boolean): Promise<Execution> {
    const response = await registry.json(`/api/v2.0/retentions/${policyId}/executions`, 'POST', { dry_run: dryRun });
    expect(response.status).toBe(201);
    await registry.drain();
    const executions = (await (await registry.request(`/api/v2.0/retentions/${policyId}/executions`)).json()) as Execution[];
    return executions[0]!;
  }

  async function tasks(execution: Execution): Promise<Task[]> {
    return (await (await registry.request(`/api/v2.0/retentions/${policyId}/executions/${execution.id}/tasks`)).json()) as Task[];
  }

  it('keeps the latest pushed K: a dry run lists what would go, a run deletes it through the registry', async () => {
    for (const tag of ['v1', 'v2', 'v3', 'v4', 'v5']) {
      await registry.push('kept/app', tag);
      clock.advance(minute);
    }
    const created = await registry.json('/api/v2.0/retentions', 'POST', {
      algorithm: 'or',
      rules: [rule('latestPushedK', 2)],
      trigger: { kind: 'Schedule', settings: { cron: '' } },
      scope: { level: 'project', ref: projectId },
    });
    expect(created.status).toBe(201);
    policyId = Number(created.headers.get('location')!.split('/').pop());
    expect((await registry.identity.projects.get('kept'))!.metadata.retention_id).toBe(String(policyId));

    const dry = await run(true);
    expect(dry).toMatchObject({ status: 'Succeed', dry_run: true, trigger: 'MANUAL' });
    const [dryTask] = await tasks(dry);
    expect(dryTask).toMatchObject({ repository: 'kept/app', total: 5, retained: 2, status: 'Succeed' });
    const dryLog = await (await registry.request(`/api/v2.0/retentions/${policyId}/executions/${dry.id}/tasks/${dryTask!.id}`)).text();
    expect(dryLog.match(/would delete/g)).toHaveLength(3);
    for (const tag of ['v1', 'v2', 'v3', 'v4', 'v5']) expect(await status(`kept/app:${tag}`)).toBe(200);

    const real = await run(false);
    expect(real).toMatchObject({ status: 'Succeed', dry_run: false });
    expect(await tasks(real)).toEqual([expect.objectContaining({ total: 5, retained: 2 })]);
    for (const tag of ['v1', 'v2', 'v3']) expect(await status(`kept/app:${tag}`)).toBe(404);
    for (const tag of ['v4', 'v5']) expect(await status(`kept/app:${tag}`)).toBe(200);
    // Deleted through Manifests.delete: the events reach the audit log, under retention's name.
    await registry.drain();
    const logs = (await (await registry.request('/api/v2.0/projects/kept/logs?q=operation=delete')).json()) as { username: string }[];
    expect(logs).toHaveLength(3);
    expect(logs.every((l) => l.username === 'retention')).toBe(true);
    // Running again finds nothing more to delete.
    const again = await run(false);
    expect(await tasks(again)).toEqual([expect.objectContaining({ total: 2, retained: 2 })]);
  });

  it('keeps the latest pulled, what a rule always keeps, and leaves repositories no rule names alone', async () => {
    for (const tag of ['a', 'b', 'c', 'keep-1']) {
      await registry.push('kept/web', tag);
      clock.advance(minute);
    }
    const untagged = await registry.push('kept/web', 'tmp');
    expect((await registry.request('/v2/kept/web/manifests/tmp', { method: 'DELETE' })).status).toBe(202);
    await registry.request('/v2/kept/web/manifests/a');
    clock.advance(minute);
    await registry.request('/v2/kept/web/manifests/c');
    await registry.flushPulls();
    expect(
      (
        await registry.json(`/api/v2.0/retentions/${policyId}`, 'PUT', {
          rules: [rule('latestPulledN', 2, 'web'), rule('always', undefined, 'web', [{ kind: 'doublestar', decoration: 'matches', pattern: 'keep-*' }])],
          trigger: { kind: 'Schedule', settings: { cron: '' } },
          scope: { level: 'project', ref: projectId },
        })
      ).status,
    ).toBe(200);
    const execution = await run(false);
    const byRepository = Object.fromEntries((await tasks(execution)).map((t) => [t.repository, t]));
    expect(Object.keys(byRepository)).toEqual(['kept/web']);
    expect(byRepository['kept/web']).toMatchObject({ total: 5, retained: 3 });
    expect(await status('kept/web:a')).toBe(200);
    expect(await status('kept/web:c')).toBe(200);
    expect(await status('kept/web:keep-1')).toBe(200);
    expect(await status('kept/web:b')).toBe(404);
    // The untagged manifest was not selected by any rule (no {"untagged":true}): deleted.
    expect(await status(`kept/web:${untagged.digest}`)).toBe(404);
    // kept/app is named by no rule now: untouched.
    expect(await status('kept/app:v4')).toBe(200);
  });

  it('keeps what was pushed within N days, untagged artifacts when asked, and an index\'s children always', async () => {
    const old = await registry.push('kept/days', 'old');
    const oldUntagged = await registry.push('kept/days', 'gone');
    await registry.request('/v2/kept/days/manifests/gone', { method: 'DELETE' });
    clock.advance(10 * day);
    const fresh = await registry.push('kept/days', 'fresh');
    const children = [await registry.push('kept/days', 'child-1'), await registry.push('kept/days', 'child-2')];
    for (const tag of ['child-1', 'child-2']) await registry.request(`/v2/kept/days/manifests/${tag}`, { method: 'DELETE' });
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: children.map((child) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: child.digest, size: bytesOf(child.body).byteLength })),
    });
    const put = await registry.request('/v2/kept/days/manifests/multi', { method: 'PUT', body: index, headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' } });
    expect(put.status).toBe(201);
    expect(
      (
        await registry.json(`/api/v2.0/retentions/${policyId}`, 'PUT', {
          rules: [rule('nDaysSinceLastPush', 7, 'days', [{ kind: 'doublestar', decoration: 'matches', pattern: '**', extras: '{"untagged":true}' }])],
          scope: { level: 'project', ref: projectId },
        })
      ).status,
    ).toBe(200);
    const execution = await run(false);
    expect(await tasks(execution)).toEqual([expect.objectContaining({ repository: 'kept/days', total: 4, retained: 2 })]);
    expect(await status(`kept/days:${old.digest}`)).toBe(404);
    expect(await status(`kept/days:${oldUntagged.digest}`)).toBe(404);
    expect(await status(`kept/days:${fresh.digest}`)).toBe(200);
    expect(await status(`kept/days:${digestOf(bytesOf(index))}`)).toBe(200);
    for (const child of children) expect(await status(`kept/days:${child.digest}`)).toBe(200);
  });

  it('never removes an artifact holding an immutable tag', async () => {
    await registry.push('kept/locked', 'release-1');
    clock.advance(minute);
    await registry.push('kept/locked', 'snapshot');
    clock.advance(minute);
    await registry.push('kept/locked', 'latest');
    const { policies, runner } = retentionServices(registry.deps, { isImmutable: async (repository, tag) => repository === 'kept/locked' && tag.startsWith('release-') });
    const policy = (await policies.get(policyId))!;
    const locked = { ...policy, rules: [rule('latestPushedK', 1, 'locked')] as typeof policy.rules };
    const execution = await policies.openExecution(policyId, false, 'MANUAL', () => []);
    await runner.run(locked, execution);
    expect(await status('kept/locked:release-1')).toBe(200);
    expect(await status('kept/locked:snapshot')).toBe(404);
    expect(await status('kept/locked:latest')).toBe(200);
    const [task] = await policies.tasks(policyId, execution.id);
    expect(task!.log.join('\n')).toContain('immutable tag release-1');
  });

  it('runs on its cron schedule, once per due time however often the job is delivered', async () => {
    expect(
      (
        await registry.json(`/api/v2.0/retentions/${policyId}`, 'PUT', {
          rules: [rule('always', undefined)],
          trigger: { kind: 'Schedule', settings: { cron: '0 0 * * * *' } },
          scope: { level: 'project', ref: projectId },
        })
      ).status,
    ).toBe(200);
    const schedules = new ScheduleStore(registry.deps.table, registry.deps.queue, clock.now);
    const schedule = await schedules.get(`retention-${policyId}`);
    expect(schedule).toMatchObject({ cron: '0 0 * * * *', job: { kind: 'retention-run', policyId } });
    const before = ((await (await registry.request(`/api/v2.0/retentions/${policyId}/executions?page_size=100`)).json()) as Execution[]).length;
    clock.advance(61 * minute);
    const [jobId] = await schedules.tick();
    await registry.drain();
    // The same scheduled job delivered again resumes its execution instead of opening another.
    await registry.worker({ version: 1, kind: 'retention-run', id: jobId!, policyId });
    const executions = (await (await registry.request(`/api/v2.0/retentions/${policyId}/executions?page_size=100`)).json()) as Execution[];
    expect(executions.length).toBe(before + 1);
    expect(executions[0]).toMatchObject({ trigger: 'SCHEDULE', status: 'Succeed' });
    // A policy without a cron has no schedule.
    await registry.json(`/api/v2.0/retentions/${policyId}`, 'PUT', { rules: [rule('always', undefined)], scope: { level: 'project', ref: projectId } });
    expect(await schedules.get(`retention-${policyId}`)).toBeNull();
  });

  it('tells the project\'s webhooks what a run removed (TAG_RETENTION)', async () => {
    const receiver = await webhookReceiver();
    try {
      const hook = await registry.json('/api/v2.0/projects/kept/webhook/policies', 'POST', { name: 'retention', targets: [{ address: receiver.url }], event_types: ['TAG_RETENTION'] });
      expect(hook.status).toBe(201);
      await registry.push('kept/told', 'a');
      clock.advance(minute);
      await registry.push('kept/told', 'b');
      await registry.json(`/api/v2.0/retentions/${policyId}`, 'PUT', { rules: [rule('latestPushedK', 1, 'told')], scope: { level: 'project', ref: projectId } });
      const execution = await run(true);
      await registry.drain();
      expect(receiver.received).toHaveLength(1);
      expect(receiver.received[0]!.body).toMatchObject({
        type: 'TAG_RETENTION',
        operator: 'retention',
        event_data: {
          retention: {
            project_name: 'kept',
            retention_policy_id: policyId,
            execution_id: execution.id,
            dry_run: true,
            result: 'SUCCESS',
            total: 2,
            retained: 1,
            deleted_artifact: [expect.objectContaining({ repository: 'kept/told', tag: 'a', status: 'DRY_RUN' })],
          },
        },
      });
    } finally {
      await receiver.down();
    }
  });

  it('answers bad input and other callers as Harbor does', async () => {
    const create = (body: unknown, auth?: string) => registry.json('/api/v2.0/retentions', 'POST', body, auth);
    const valid = { rules: [rule('latestPushedK', 3)], trigger: { kind: 'Schedule', settings: { cron: '' } }, scope: { level: 'project', ref: projectId } };
    expect((await create(valid)).status).toBe(409);
    const other = await registry.json('/api/v2.0/projects', 'POST', { project_name: 'other' });
    const otherId = Number(other.headers.get('location')!.split('/').pop());
    for (const body of [
      { ...valid, scope: { level: 'project', ref: otherId }, trigger: { kind: 'Schedule', settings: { cron: 'every day' } } },
      { ...valid, scope: { level: 'project', ref: otherId }, rules: [{ ...rule('latestPushedK', 3), params: {} }] },
      { ...valid, scope: { level: 'project', ref: otherId }, rules: [rule('newestFirst', 3)] },
      { ...valid, scope: { level: 'project', ref: otherId }, rules: [rule('always', undefined, '**', [{ kind: 'doublestar', decoration: 'matches', pattern: '**', extras: 'untagged' }])] },
      { ...valid, scope: { level: 'system', ref: otherId } },
    ]) {
      const response = await create(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('BAD_REQUEST');
    }
    expect((await create({ ...valid, scope: { level: 'project', ref: 999 } })).status).toBe(404);
    await addUser(registry.identity, 'dev');
    await addMember(registry.identity, 'kept', 'dev', 'developer');
    const dev = basic('dev', userPassword);
    expect((await registry.request(`/api/v2.0/retentions/${policyId}`, {}, dev)).status).toBe(200);
    expect((await registry.json(`/api/v2.0/retentions/${policyId}/executions`, 'POST', { dry_run: true }, dev)).status).toBe(403);
    expect((await registry.json(`/api/v2.0/retentions/${policyId}`, 'PUT', valid, dev)).status).toBe(403);
    expect((await registry.request(`/api/v2.0/retentions/${policyId}`, {}, null)).status).toBe(401);
    expect((await registry.request('/api/v2.0/retentions/424242')).status).toBe(404);
    expect((await registry.request(`/api/v2.0/retentions/${policyId}/executions/424242/tasks`)).status).toBe(404);
    const metadata = (await (await registry.request('/api/v2.0/retentions/metadatas')).json()) as { templates: { rule_template: string }[] };
    expect(metadata.templates.map((t) => t.rule_template)).toEqual(['latestPushedK', 'latestPulledN', 'nDaysSinceLastPush', 'nDaysSinceLastPull', 'always']);
  });
});

describe('retention of a deleted project', () => {
  it('is not applied to a new project of the same name', async () => {
    const registry = await lifecycleApp();
    try {
      const first = await registry.json('/api/v2.0/projects', 'POST', { project_name: 'phoenix' });
      const firstId = Number(first.headers.get('location')!.split('/').pop());
      const created = await registry.json('/api/v2.0/retentions', 'POST', {
        rules: [rule('latestPushedK', 0)],
        trigger: { kind: 'Schedule', settings: { cron: '0 0 * * * *' } },
        scope: { level: 'project', ref: firstId },
      });
      expect(created.status).toBe(201);
      const policyId = Number(created.headers.get('location')!.split('/').pop());
      expect((await registry.request('/api/v2.0/projects/phoenix', { method: 'DELETE' })).status).toBe(200);
      expect((await registry.json('/api/v2.0/projects', 'POST', { project_name: 'phoenix' })).status).toBe(201);
      await registry.push('phoenix/app', 'v1');
      await registry.worker({ version: 1, kind: 'retention-run', id: `retention-${policyId}@later`, policyId });
      await registry.drain();
      expect((await registry.request('/v2/phoenix/app/manifests/v1')).status).toBe(200);
      expect(await new ScheduleStore(registry.deps.table, registry.deps.queue).get(`retention-${policyId}`)).toBeNull();
    } finally {
      await registry.cleanup();
    }
  });
});

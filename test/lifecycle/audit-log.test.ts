import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, parseAuditQuery } from '../../functions/lifecycle/audit-log.js';
import { SqliteTable } from '../../functions/adapters/local/sqlite-table.js';
import { addMember, addUser, basic, userPassword } from '../support/identity-app.js';
import { type LifecycleApp, lifecycleApp } from './audit-app.js';

interface Log {
  id: number;
  username: string;
  operation: string;
  resource: string;
  resource_type: string;
  op_time: string;
}

describe('audit log', () => {
  let registry: LifecycleApp;
  const dev = basic('dev', userPassword);
  const logs = async (path: string, auth?: string) => {
    const response = await registry.request(path, {}, auth);
    expect(response.status).toBe(200);
    return (await response.json()) as Log[];
  };

  beforeAll(async () => {
    registry = await lifecycleApp();
    await addUser(registry.identity, 'dev');
    await addUser(registry.identity, 'other');
    expect((await registry.json('/api/v2.0/projects', 'POST', { project_name: 'audited' })).status).toBe(201);
    await addMember(registry.identity, 'audited', 'dev', 'developer');
  });
  afterAll(async () => registry.cleanup());

  it('records a login at the token service', async () => {
    const response = await registry.request('/service/token?service=berth&scope=repository:audited/app:pull,push', {}, dev);
    expect(response.status).toBe(200);
    const entries = await logs('/api/v2.0/audit-logs?q=operation=login');
    expect(entries).toEqual([expect.objectContaining({ username: 'dev', resource: 'dev', resource_type: 'user', operation: 'login' })]);
  });

  it('records a portal sign-in, and no failed one', async () => {
    const form = (password: string) => ({ method: 'POST', body: new URLSearchParams({ principal: 'other', password }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect((await registry.request('/c/login', form('wrong-Passw0rd'), null)).status).toBe(401);
    expect((await registry.request('/c/login', form(userPassword), null)).status).toBe(200);
    const entries = await logs('/api/v2.0/audit-logs?q=username=other');
    expect(entries).toEqual([expect.objectContaining({ username: 'other', resource: 'other', resource_type: 'user', operation: 'login' })]);
  });

  it('records pushes, pulls and deletes with who made them', async () => {
    const { digest } = await registry.push('audited/app', 'v1', dev);
    expect((await registry.request('/v2/audited/app/manifests/v1', {}, dev)).status).toBe(200);
    await registry.flushPulls();
    expect((await registry.request(`/v2/audited/app/manifests/${digest}`, { method: 'DELETE' })).status).toBe(202);
    await registry.drain();
    const entries = await logs('/api/v2.0/projects/audited/logs?q=resource_type=artifact', dev);
    expect(entries.map((e) => `${e.operation} ${e.username} ${e.resource}`)).toEqual([
      `delete admin audited/app@${digest}`,
      'pull dev audited/app:v1',
      'create dev audited/app:v1',
    ]);
    expect(new Set(entries.map((e) => e.id)).size).toBe(3);
  });

  it('records who changed a role and who created a robot', async () => {
    const member = (await (await registry.request('/api/v2.0/projects/audited/members')).json()) as { id: number; entity_name: string }[];
    const devMember = member.find((m) => m.entity_name === 'dev')!;
    expect((await registry.json(`/api/v2.0/projects/audited/members/${devMember.id}`, 'PUT', { role_id: 4 })).status).toBe(200);
    const robot = await registry.json('/api/v2.0/robots', 'POST', {
      name: 'ci',
      duration: -1,
      level: 'project',
      permissions: [{ kind: 'project', namespace: 'audited', access: [{ resource: 'repository', action: 'pull' }] }],
    });
    expect(robot.status).toBe(201);
    const entries = await logs('/api/v2.0/projects/audited/logs?q=operation={create update}');
    expect(entries.map((e) => `${e.operation} ${e.resource_type} ${e.username} ${e.resource}`)).toEqual(
      expect.arrayContaining([
        `update project_member admin audited/members/${devMember.id} (role_id 4)`,
        'create robot admin robot$audited+ci',
      ]),
    );
    // The secret of the robot is never in the log.
    expect(JSON.stringify(await logs('/api/v2.0/audit-logs?page_size=100'))).not.toContain('secret');
  });

  it('leaves failed and read-only requests out', async () => {
    const before = (await logs('/api/v2.0/audit-logs?page_size=100')).length;
    expect((await registry.json('/api/v2.0/projects', 'POST', { project_name: 'audited' })).status).toBe(409);
    expect((await registry.request('/api/v2.0/projects/audited')).status).toBe(200);
    expect((await logs('/api/v2.0/audit-logs?page_size=100')).length).toBe(before);
  });

  it('filters by q: exact, fuzzy, any of, and an op_time range', async () => {
    const all = await logs('/api/v2.0/audit-logs?page_size=100');
    expect(all.length).toBeGreaterThan(5);
    // Newest first.
    expect(all.map((e) => e.op_time)).toEqual([...all.map((e) => e.op_time)].sort().reverse());
    const byDev = await logs('/api/v2.0/audit-logs?q=username=dev&page_size=100');
    expect(byDev.length).toBeGreaterThan(0);
    expect(byDev.every((e) => e.username === 'dev')).toBe(true);
    const fuzzy = await logs(`/api/v2.0/audit-logs?q=${encodeURIComponent('resource=~app')}&page_size=100`);
    expect(fuzzy.length).toBeGreaterThan(0);
    expect(fuzzy.every((e) => e.resource.includes('app'))).toBe(true);
    const middle = all[Math.floor(all.length / 2)]!.op_time;
    // To the millisecond (ISO 8601), and to the second as Harbor writes times: that whole second.
    const toMilli = await logs(`/api/v2.0/audit-logs?q=${encodeURIComponent(`op_time=[~${middle}]`)}&page_size=100`);
    expect(toMilli.map((e) => e.id)).toEqual(all.filter((e) => e.op_time <= middle).map((e) => e.id));
    expect(toMilli.length).toBeGreaterThan(0);
    const format = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, '');
    const toSecond = await logs(`/api/v2.0/audit-logs?q=${encodeURIComponent(`op_time=[~${format(middle)}]`)}&page_size=100`);
    expect(toSecond.map((e) => e.id)).toEqual(all.filter((e) => e.op_time.slice(0, 19) <= middle.slice(0, 19)).map((e) => e.id));
    const fromSecond = await logs(`/api/v2.0/audit-logs?q=${encodeURIComponent(`op_time=[${format(middle)}~]`)}&page_size=100`);
    expect(fromSecond.map((e) => e.id)).toEqual(all.filter((e) => e.op_time.slice(0, 19) >= middle.slice(0, 19)).map((e) => e.id));
    const paged = await registry.request('/api/v2.0/audit-logs?page=2&page_size=2');
    expect(paged.headers.get('x-total-count')).toBe(String(all.length));
    expect(((await paged.json()) as Log[]).map((e) => e.id)).toEqual(all.slice(2, 4).map((e) => e.id));
  });

  it('answers bad queries with 400 in Harbor shape', async () => {
    for (const q of ['nonsense', 'color=red', 'username=[a~b]', 'op_time=[yesterday~]']) {
      const response = await registry.request(`/api/v2.0/audit-logs?q=${encodeURIComponent(q)}`);
      expect(response.status, q).toBe(400);
      expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('BAD_REQUEST');
    }
    expect((await registry.request('/api/v2.0/audit-logs?sort=username')).status).toBe(400);
  });

  it('is in the OpenAPI document, with retention and webhooks', async () => {
    const doc = (await (await registry.request('/api/v2.0/openapi.json')).json()) as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/audit-logs', '/projects/{project_name_or_id}/logs', '/retentions', '/retentions/{id}/executions', '/projects/{project_name_or_id}/webhook/policies', '/projects/{project_name_or_id}/webhook/jobs']),
    );
    expect(doc.components.schemas).toHaveProperty('RetentionPolicy');
    expect(doc.components.schemas).toHaveProperty('WebhookPolicy');
  });

  it('shows the whole log to system admins only, and a project log to its members', async () => {
    expect((await registry.request('/api/v2.0/audit-logs', {}, dev)).status).toBe(403);
    expect((await registry.request('/api/v2.0/audit-logs', {}, null)).status).toBe(401);
    expect((await registry.request('/api/v2.0/projects/audited/logs', {}, basic('other', userPassword))).status).toBe(403);
    const mine = await logs('/api/v2.0/projects/audited/logs?page_size=100', dev);
    expect(mine.some((e) => e.operation === 'login')).toBe(false);
  });
});

describe('audit log retention', () => {
  it('gives each record an expiry from the configured days, and none with 0', async () => {
    const table = new SqliteTable(':memory:');
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    await new AuditLog(table, 30, () => at).record({ operation: 'login', resource: 'a', resource_type: 'user', username: 'a' });
    await new AuditLog(table, 0, () => at).record({ operation: 'login', resource: 'b', resource_type: 'user', username: 'b' });
    const items = await table.query('audit#_system');
    expect(items.find((i) => i.username === 'a')?.expiresAt).toBe(at.getTime() / 1000 + 30 * 86_400);
    expect(items.find((i) => i.username === 'b')?.expiresAt).toBeUndefined();
    table.close();
  });

  it('takes the number of days from BERTH_AUDIT_RETENTION_DAYS', async () => {
    const registry = await lifecycleApp({ env: { BERTH_AUDIT_RETENTION_DAYS: '7' } });
    try {
      expect((await registry.json('/api/v2.0/projects', 'POST', { project_name: 'short' })).status).toBe(201);
      const [item] = await registry.deps.table.query('audit#short');
      expect(item!.expiresAt).toBe(Math.floor(Date.parse(item!.op_time as string) / 1000) + 7 * 86_400);
    } finally {
      await registry.cleanup();
    }
  });

  it('parses Harbor query syntax', () => {
    expect(parseAuditQuery('operation=pull,resource=~lib,username={a b},op_time=[2026-01-01 00:00:00~2026-01-02 00:00:00]')).toEqual([
      { key: 'operation', kind: 'exact', value: 'pull' },
      { key: 'resource', kind: 'fuzzy', value: 'lib' },
      { key: 'username', kind: 'any', values: ['a', 'b'] },
      { key: 'op_time', kind: 'range', from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.999Z' },
    ]);
    // A bound given to the millisecond is taken as it is.
    expect(parseAuditQuery('op_time=[~2026-01-02T00:00:00.250Z]')).toEqual([{ key: 'op_time', kind: 'range', to: '2026-01-02T00:00:00.250Z' }]);
  });

  it('takes an upper bound given to the second as the whole of that second', async () => {
    const table = new SqliteTable(':memory:');
    const log = new AuditLog(table, 0, () => new Date('2026-03-04T05:06:07.640Z'));
    await log.record({ operation: 'create', resource: 'p', resource_type: 'project', username: 'admin', project: 'p' });
    expect(await log.list(undefined, parseAuditQuery('op_time=[~2026-03-04 05:06:07]'))).toHaveLength(1);
    expect(await log.list('p', parseAuditQuery('op_time=[~2026-03-04 05:06:07]'))).toHaveLength(1);
    expect(await log.list(undefined, parseAuditQuery('op_time=[~2026-03-04 05:06:06]'))).toHaveLength(0);
    expect(await log.list(undefined, parseAuditQuery('op_time=[2026-03-04 05:06:07~]'))).toHaveLength(1);
    table.close();
  });
});

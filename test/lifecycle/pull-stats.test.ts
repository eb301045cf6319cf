import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SqliteTable } from '../../functions/adapters/local/sqlite-table.js';
import { TableJobQueue } from '../../functions/adapters/local/table-job-queue.js';
import type { Job } from '../../functions/core/jobs.js';
import { PullStats, pullStatsOf } from '../../functions/lifecycle/pull-stats.js';
import type { Table } from '../../functions/ports/table.js';
import { keys } from '../../functions/registry/keys.js';
import { basic, userPassword, addUser, addMember } from '../support/identity-app.js';
import { WriteRecorder } from '../support/write-recorder.js';
import { type LifecycleApp, lifecycleApp, manualClock } from './audit-app.js';

describe('pull statistics through the registry', () => {
  let registry: LifecycleApp;
  beforeAll(async () => {
    registry = await lifecycleApp();
  });
  afterAll(async () => registry.cleanup());

  it('counts manifest GETs in memory, writes them in one flush with one pull event per entry', async () => {
    const { digest } = await registry.push('library/alpine', '3.20');
    await registry.drain();
    for (let i = 0; i < 5; i++) expect((await registry.request('/v2/library/alpine/manifests/3.20')).status).toBe(200);
    expect((await registry.request(`/v2/library/alpine/manifests/${digest}`, { method: 'HEAD' })).status).toBe(200);
    // Nothing written yet: the GETs only counted.
    expect(await pullStatsOf(registry.deps, 'library/alpine', digest)).toBeNull();
    await registry.flushPulls();
    const stats = await pullStatsOf(registry.deps, 'library/alpine', digest);
    expect(stats?.count).toBe(5);
    const logs = (await (await registry.request('/api/v2.0/audit-logs?q=operation=pull')).json()) as { resource: string; username: string }[];
    expect(logs).toEqual([expect.objectContaining({ resource: 'library/alpine:3.20', username: 'admin' })]);
    // A second flush with nothing held writes nothing more.
    await registry.flushPulls();
    expect((await pullStatsOf(registry.deps, 'library/alpine', digest))?.count).toBe(5);
  });

  it('keeps callers apart, so the audit log says who pulled', async () => {
    await addUser(registry.identity, 'puller');
    await registry.identity.projects.create({ name: 'team', public: false, ownerId: 1, ownerName: 'admin' });
    await addMember(registry.identity, 'team', 'puller', 'guest');
    const { digest } = await registry.push('team/app', 'v1');
    const puller = basic('puller', userPassword);
    expect((await registry.request(`/v2/team/app/manifests/${digest}`, {}, puller)).status).toBe(200);
    expect((await registry.request('/v2/team/app/manifests/v1', {}, puller)).status).toBe(200);
    expect((await registry.request('/v2/team/app/manifests/v1')).status).toBe(200);
    await registry.flushPulls();
    expect((await pullStatsOf(registry.deps, 'team/app', digest))?.count).toBe(3);
    const logs = (await (await registry.request('/api/v2.0/projects/team/logs?q=operation=pull')).json()) as { resource: string; username: string }[];
    expect(logs.map((l) => `${l.username} ${l.resource}`).sort()).toEqual(['admin team/app:v1', 'puller team/app:v1', `puller team/app@${digest}`]);
  });
});

describe('PullStats', () => {
  let dir: string;
  let table: SqliteTable;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-pulls-'));
    table = new SqliteTable(join(dir, 'db'));
  });
  afterAll(async () => {
    table.close();
    await rm(dir, { recursive: true, force: true });
  });
  const queued: Job[] = [];
  afterEach(() => {
    queued.length = 0;
  });
  const queueOn = (t: Table, name = `q${Math.random()}`) => {
    const queue = new TableJobQueue(t, { name });
    return {
      enqueue: async (job: Job) => void queued.push(job),
      enqueueOp: (job: Job) => {
        queued.push(job);
        return queue.enqueueOp(job);
      },
    };
  };

  it('makes no table write for a pull until a flush is due', async () => {
    const recorder = new WriteRecorder(table);
    const stats = new PullStats({ table: recorder, queue: queueOn(recorder) }, { flushMs: 60_000, maxPending: 100 });
    for (let i = 0; i < 50; i++) await stats.record('a/b', 'sha256:one');
    expect(recorder.writes).toHaveLength(0);
    await stats.flush();
    expect(recorder.writes.length).toBeGreaterThan(0);
    expect((await table.get(keys.pulled('a/b', 'sha256:one')))?.count).toBe(50);
  });

  it('flushes within the pull that finds the oldest count too old (no timers on a frozen Lambda)', async () => {
    const clock = manualClock();
    const stats = new PullStats({ table, queue: queueOn(table), now: clock.now }, { flushMs: 10_000, maxPending: 100 });
    await stats.record('a/c', 'sha256:two');
    clock.advance(9_000);
    await stats.record('a/c', 'sha256:two');
    expect(await table.get(keys.pulled('a/c', 'sha256:two'))).toBeNull();
    clock.advance(1_000);
    await stats.record('a/c', 'sha256:two');
    const item = await table.get(keys.pulled('a/c', 'sha256:two'));
    expect(item?.count).toBe(3);
    expect(item?.lastPulledAt).toBe(clock.now().toISOString());
    expect(queued).toEqual([expect.objectContaining({ kind: 'registry-event', action: 'pull', repository: 'a/c', digest: 'sha256:two', count: 3 })]);
  });

  it('flushes when too many entries are held', async () => {
    const stats = new PullStats({ table, queue: queueOn(table) }, { flushMs: 60_000, maxPending: 3 });
    await stats.record('a/d', 'sha256:1');
    await stats.record('a/d', 'sha256:2');
    expect(await table.get(keys.pulled('a/d', 'sha256:1'))).toBeNull();
    await stats.record('a/d', 'sha256:3');
    expect((await table.get(keys.pulled('a/d', 'sha256:1')))?.count).toBe(1);
    expect((await table.get(keys.pulled('a/d', 'sha256:3')))?.count).toBe(1);
  });

  it('adds up exactly when several processes flush the same manifest at once', async () => {
    const processes = Array.from({ length: 4 }, () => new PullStats({ table, queue: queueOn(table, 'race') }, { flushMs: 60_000, maxPending: 1000 }));
    for (const stats of processes) for (let i = 0; i < 25; i++) await stats.record('a/e', 'sha256:race', undefined, `user${i % 3}`);
    await Promise.all(processes.map((stats) => stats.flush()));
    expect((await table.get(keys.pulled('a/e', 'sha256:race')))?.count).toBe(100);
    // The events committed with the counts add up to the same: none from a transaction that failed.
    const events = (await table.query('queue#race')).map((row) => row.job as { count: number; actor: string });
    expect(events.reduce((sum, event) => sum + event.count, 0)).toBe(100);
    expect(events).toHaveLength(12);
  });

  it('keeps the counts of a failed flush for the next one', async () => {
    let broken = true;
    const flaky: Table = {
      get: (key) => table.get(key),
      put: (item, condition) => table.put(item, condition),
      delete: (key, condition) => table.delete(key, condition),
      query: (pk, options) => table.query(pk, options),
      transact: async (ops) => {
        if (broken) throw new Error('table unavailable');
        return table.transact(ops);
      },
    };
    const stats = new PullStats({ table: flaky, queue: queueOn(flaky) }, { flushMs: 60_000, maxPending: 1000 });
    for (let i = 0; i < 7; i++) await stats.record('a/f', 'sha256:kept');
    const errors = console.error;
    console.error = () => {};
    try {
      await stats.flush();
    } finally {
      console.error = errors;
    }
    expect(await table.get(keys.pulled('a/f', 'sha256:kept'))).toBeNull();
    broken = false;
    await stats.record('a/f', 'sha256:kept');
    await stats.flush();
    expect((await table.get(keys.pulled('a/f', 'sha256:kept')))?.count).toBe(8);
  });
});

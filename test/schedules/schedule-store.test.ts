import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteTable } from '../../functions/adapters/local/sqlite-table.js';
import { TableJobQueue } from '../../functions/adapters/local/table-job-queue.js';
import type { Job } from '../../functions/core/jobs.js';
import { InvalidCronError, nextRun, ScheduleStore } from '../../functions/schedules/schedule-store.js';

let dir: string;
let table: SqliteTable;
let queue: TableJobQueue;
let now: Date;
let ran: Job[];

const gc: Job = { version: 1, kind: 'gc-blob', id: 'template', digest: 'sha256:abc' };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-schedules-'));
  table = new SqliteTable(join(dir, 'db'));
  queue = new TableJobQueue(table, { retryDelayMs: 0 });
  ran = [];
  queue.start(async (job) => void ran.push(job));
  now = new Date('2026-01-01T00:00:00Z');
});

afterEach(async () => {
  await queue.stop();
  table.close();
  await rm(dir, { recursive: true, force: true });
});

describe('schedules', () => {
  it("reads Harbor's six-field cron (seconds first) and the usual five fields", () => {
    expect(nextRun('0 0 2 * * *', now).toISOString()).toBe('2026-01-01T02:00:00.000Z');
    expect(nextRun('30 4 * * *', now).toISOString()).toBe('2026-01-01T04:30:00.000Z');
    expect(() => nextRun('not a cron', now)).toThrow(InvalidCronError);
    expect(() => nextRun('0 0 31 2 *', now)).toThrow(InvalidCronError);
  });

  it('enqueues a due schedule once per due time, however many ticks run', async () => {
    const store = new ScheduleStore(table, queue, () => now);
    await store.set('gc', '0 0 * * * *', gc);
    expect(await store.tick()).toEqual([]);
    now = new Date('2026-01-01T01:00:05Z');
    const [first, second] = await Promise.all([store.tick(), new ScheduleStore(table, queue, () => now).tick()]);
    expect([...first!, ...second!]).toEqual(['gc@2026-01-01T01:00:00.000Z']);
    expect(await store.tick()).toEqual([]);
    expect((await store.get('gc'))?.next).toBe('2026-01-01T02:00:00.000Z');
    await queue.drain();
    expect(ran.map((job) => job.id)).toEqual(['gc@2026-01-01T01:00:00.000Z']);
    expect(ran[0]).toMatchObject({ kind: 'gc-blob', digest: 'sha256:abc' });
  });

  it('a removed schedule runs no more', async () => {
    const store = new ScheduleStore(table, queue, () => now);
    await store.set('gc', '0 0 * * * *', gc);
    await store.remove('gc');
    now = new Date('2026-01-02T00:00:00Z');
    expect(await store.tick()).toEqual([]);
    expect(await store.list()).toEqual([]);
  });

  it('refuses an invalid cron or job before storing anything', async () => {
    const store = new ScheduleStore(table, queue, () => now);
    await expect(store.set('bad', 'every day', gc)).rejects.toThrow(InvalidCronError);
    await expect(store.set('bad', '0 0 * * * *', { kind: 'mystery' } as unknown as Job)).rejects.toThrow();
    expect(await store.list()).toEqual([]);
  });
});

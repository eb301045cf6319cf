import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteTable } from '../../functions/adapters/local/sqlite-table.js';
import type { Capability } from '../../functions/capability.js';
import type { RegistryEvent } from '../../functions/core/jobs.js';
import { dispatch } from '../../functions/worker/dispatch.js';

let dir: string;
let table: SqliteTable;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-dispatch-'));
  table = new SqliteTable(join(dir, 'db'));
});

afterEach(async () => {
  table.close();
  await rm(dir, { recursive: true, force: true });
});

function pushEvent(): RegistryEvent {
  return { version: 1, kind: 'registry-event', id: randomUUID(), action: 'push', repository: 'team/app', digest: `sha256:${'a'.repeat(64)}`, at: new Date().toISOString() };
}

function consumer(name: string, fail: () => boolean = () => false): Capability & { seen: string[] } {
  const seen: string[] = [];
  return {
    name,
    seen,
    onEvent: async (event) => {
      seen.push(event.id);
      if (fail()) throw new Error(`${name} failed`);
    },
  };
}

describe('dispatch', () => {
  it('delivers an event to every consumer once, however often it is redelivered', async () => {
    const a = consumer('a');
    const b = consumer('b');
    const handle = dispatch([a, b], table);
    const event = pushEvent();
    await handle(event);
    await handle(event);
    expect(a.seen).toEqual([event.id]);
    expect(b.seen).toEqual([event.id]);
  });

  it('retries only the consumer that failed', async () => {
    let failing = true;
    const a = consumer('a');
    const b = consumer('b', () => failing);
    const handle = dispatch([a, b], table);
    const event = pushEvent();
    await expect(handle(event)).rejects.toThrow('b failed');
    failing = false;
    await handle(event);
    expect(a.seen).toEqual([event.id]);
    expect(b.seen).toEqual([event.id, event.id]);
  });

  it('a consumer that fails does not keep the others from their delivery', async () => {
    const a = consumer('a', () => true);
    const b = consumer('b');
    const handle = dispatch([a, b], table);
    await expect(handle(pushEvent())).rejects.toThrow('a failed');
    expect(b.seen).toHaveLength(1);
  });

  it('sends each job kind to the capability that owns it, and refuses kinds nobody owns', async () => {
    const ran: string[] = [];
    const owner: Capability = { name: 'registry', jobs: { 'gc-blob': async (job) => void ran.push(job.digest) } };
    const handle = dispatch([owner], table);
    await handle({ version: 1, kind: 'gc-blob', id: 'g', digest: 'sha256:x' });
    expect(ran).toEqual(['sha256:x']);
    await expect(handle({ version: 1, kind: 'schedule-tick', id: 't' })).rejects.toThrow('no capability handles jobs of kind schedule-tick');
  });

  it('refuses two capabilities claiming one kind', () => {
    const job = async () => {};
    expect(() => dispatch([{ name: 'x', jobs: { 'gc-blob': job } }, { name: 'y', jobs: { 'gc-blob': job } }], table)).toThrow('claimed by both');
  });
});

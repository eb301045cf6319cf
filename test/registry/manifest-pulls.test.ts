import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { digestOf, parseDigest } from '../../functions/core/digest.js';
import { createLocalDeps } from '../../functions/entry/local-deps.js';
import type { Item, Key, Table } from '../../functions/ports/table.js';
import { BlobLinks } from '../../functions/registry/blob-links.js';
import { ManifestBodies } from '../../functions/registry/manifest-bodies.js';
import { Manifests } from '../../functions/registry/manifests.js';

const oci = 'application/vnd.oci.image.manifest.v1+json';
const docker = 'application/vnd.docker.distribution.manifest.v2+json';
const config = new TextEncoder().encode('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');

/** A manifest with no mediaType field, so the Content-Type it is pushed with decides its type. */
function manifest(label: string): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({ schemaVersion: 2, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.byteLength }, layers: [], annotations: { label } }),
  );
}

let dir: string;
let deps: ReturnType<typeof createLocalDeps>;
let reads: Key[];
/** Two processes (two Lambda instances) on one table: each with its own memory. */
let here: Manifests;
let there: Manifests;
let serial = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-pulls-'));
  deps = createLocalDeps(dir);
  reads = [];
  const inner = deps.table;
  const counting: Table = Object.create(inner) as Table;
  counting.get = (key: Key): Promise<Item | null> => {
    reads.push(key);
    return inner.get(key);
  };
  here = new Manifests({ ...deps, table: counting });
  there = new Manifests(deps);
});
afterAll(async () => {
  await deps.queue.stop();
  deps.table.close();
  await rm(dir, { recursive: true, force: true });
});

async function freshRepository(): Promise<string> {
  const repository = `team/pulls-${serial++}`;
  await new BlobLinks(deps.table).link(repository, digestOf(config), config.byteLength, new Date());
  return repository;
}

describe('pulls by tag', () => {
  test('a manifest pulled once is served after reading the tag alone', async () => {
    const repository = await freshRepository();
    const bytes = manifest('one');
    await there.put(repository, { tag: 'v1' }, bytes, oci);
    expect(Buffer.from((await here.pull(repository, { tag: 'v1' }, true))!.body!)).toEqual(Buffer.from(bytes));
    reads.length = 0;
    const again = await here.pull(repository, { tag: 'v1' }, true);
    expect(reads.map((key) => key.sk)).toEqual(['tag#v1']);
    expect(again).toMatchObject({ digest: digestOf(bytes), mediaType: oci, size: bytes.byteLength });
    expect(Buffer.from(again!.body!)).toEqual(Buffer.from(bytes));
  });

  test('a tag moved or a manifest deleted by another process is seen at the next pull', async () => {
    const repository = await freshRepository();
    const [first, second] = [manifest('first'), manifest('second')];
    await there.put(repository, { tag: 'live' }, first, oci);
    expect((await here.pull(repository, { tag: 'live' }, true))?.digest).toBe(digestOf(first));
    await there.put(repository, { tag: 'live' }, second, oci);
    expect((await here.pull(repository, { tag: 'live' }, true))?.digest).toBe(digestOf(second));
    await there.delete(repository, { digest: parseDigest(digestOf(second))! });
    expect(await here.pull(repository, { tag: 'live' }, true)).toBeNull();
  });

  test('the same bytes pushed again under another type: this process answers the new type at once', async () => {
    const repository = await freshRepository();
    const bytes = manifest('typed');
    await here.put(repository, { tag: 't' }, bytes, oci);
    expect((await here.pull(repository, { tag: 't' }, true))?.mediaType).toBe(oci);
    await here.put(repository, { tag: 't' }, bytes, docker);
    expect((await here.pull(repository, { tag: 't' }, true))?.mediaType).toBe(docker);
  });

  test('a pull by digest always asks the table: a deleted manifest is gone at once', async () => {
    const repository = await freshRepository();
    const bytes = manifest('by-digest');
    const digest = parseDigest(digestOf(bytes))!;
    await there.put(repository, { tag: 'd' }, bytes, oci);
    expect((await here.pull(repository, { digest }, true))?.digest).toBe(digest.value);
    await there.delete(repository, { digest });
    expect(await here.pull(repository, { digest }, true)).toBeNull();
  });
});

describe('ManifestBodies', () => {
  const entry = (bytes: number) => ({ mediaType: oci, body: new Uint8Array(bytes) });

  test('holds at most its budget, dropping the least recently used first', () => {
    const bodies = new ManifestBodies(1600);
    bodies.set('r', 'a', entry(90));
    bodies.set('r', 'b', entry(90));
    expect(bodies.get('r', 'a')).toBeDefined();
    for (let i = 0; i < 20; i++) bodies.set('r', `fill-${i}`, entry(90));
    expect(bodies.size).toBeLessThanOrEqual(1600);
    expect(bodies.get('r', 'b')).toBeUndefined();
    // Larger than a sixteenth of the budget: not kept at all.
    bodies.set('r', 'big', entry(101));
    expect(bodies.get('r', 'big')).toBeUndefined();
  });

  test('keeps its own copy of a small body, not a view that holds a shared Buffer pool alive', () => {
    const bodies = new ManifestBodies();
    const pooled = Buffer.from('{"schemaVersion":2}', 'utf8');
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.byteLength);
    bodies.set('r', 'a', { mediaType: oci, body: pooled });
    const kept = bodies.get('r', 'a')!.body;
    expect(Buffer.from(kept).equals(pooled)).toBe(true);
    expect(kept.buffer.byteLength).toBe(pooled.byteLength);
  });

  test('forgets an entry after its time to live, and when told to', () => {
    let now = 0;
    const bodies = new ManifestBodies(1 << 20, 1000, () => now);
    bodies.set('r', 'a', entry(10));
    bodies.set('r', 'b', entry(10));
    bodies.forget('r', 'b');
    expect(bodies.get('r', 'b')).toBeUndefined();
    now = 999;
    expect(bodies.get('r', 'a')).toBeDefined();
    now = 1000;
    expect(bodies.get('r', 'a')).toBeUndefined();
    expect(bodies.size).toBe(0);
    // Entries are per repository.
    bodies.set('r', 'c', entry(10));
    expect(bodies.get('other', 'c')).toBeUndefined();
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AppDeps } from '../../functions/app-env.js';
import { digestOf } from '../../functions/core/digest.js';
import { OciError } from '../../functions/core/errors.js';
import { loadConfig } from '../../functions/config.js';
import { createAwsDeps } from '../../functions/entry/aws-deps.js';
import { createLocalDeps } from '../../functions/entry/local-deps.js';
import type { Condition, Item, Key, QueryOptions, Table, WriteOp } from '../../functions/ports/table.js';
import { BlobLinks } from '../../functions/registry/blob-links.js';
import { keys } from '../../functions/registry/keys.js';
import { Manifests } from '../../functions/registry/manifests.js';
import { startMotoStack } from '../support/aws-stack.js';

/**
 * The rules the registry enforces with table conditions, run on both table adapters (SQLite and
 * DynamoDB on moto) with the races forced rather than hoped for: a table that holds tag reads
 * until the test lets them go. A tag move is guarded twice in registry/manifests.ts: by the
 * repository's generation (every manifest write moves it) and by the compare-and-set on the tag
 * itself, which alone sees an untag; the untag race below fails without the latter.
 */
class GatedTable implements Table {
  /** Called on every tag read before it answers; may hold it. */
  onTagRead: ((key: Key) => Promise<void>) | undefined;

  constructor(private readonly inner: Table) {}

  async get(key: Key): Promise<Item | null> {
    const item = await this.inner.get(key);
    if (key.sk.startsWith('tag#') && this.onTagRead) await this.onTagRead(key);
    return item;
  }
  put(item: Item, condition?: Condition): Promise<void> {
    return this.inner.put(item, condition);
  }
  delete(key: Key, condition?: Condition): Promise<void> {
    return this.inner.delete(key, condition);
  }
  /**
   * One transaction at a time. DynamoDB applies conflicting transactions atomically, one after the
   * other; moto_server does not (its threads check conditions and apply writes interleaved, and a
   * failed transaction's rollback can undo another's), so the race is forced at the reads, where
   * the code under test is, and the writes meet the table in turn, as they do on DynamoDB.
   */
  private writing: Promise<unknown> = Promise.resolve();
  transact(ops: WriteOp[]): Promise<void> {
    const turn = this.writing.then(() => this.inner.transact(ops));
    this.writing = turn.catch(() => undefined);
    return turn;
  }
  query(pk: string, options?: QueryOptions): Promise<Item[]> {
    return this.inner.query(pk, options);
  }
}

/** A gate that lets tag reads through only once `count` of them are waiting: they all read first. */
function readTogether(table: GatedTable, count: number): void {
  const waiting: (() => void)[] = [];
  table.onTagRead = async () => {
    if (waiting.length + 1 >= count) {
      table.onTagRead = undefined;
      for (const release of waiting.splice(0)) release();
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
}

interface Backend {
  name: string;
  start(): Promise<{ deps: AppDeps; stop(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'SQLite',
    async start() {
      const dir = await mkdtemp(join(tmpdir(), 'berth-manifest-writes-'));
      const deps = createLocalDeps(dir);
      return {
        deps,
        stop: async () => {
          await deps.queue.stop();
          deps.table.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'DynamoDB (moto)',
    async start() {
      const stack = await startMotoStack();
      return { deps: createAwsDeps(loadConfig(stack.env)), stop: () => stack.stop() };
    },
  },
];

const config = new TextEncoder().encode('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
const configDigest = digestOf(config);

/** An image manifest over the config blob, made distinct by `label`. */
function manifest(label: string): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.byteLength },
      layers: [],
      annotations: { label },
    }),
  );
}

const mediaType = 'application/vnd.oci.image.manifest.v1+json';

for (const backend of backends) {
  describe(`manifest writes on ${backend.name}`, () => {
    let deps: AppDeps;
    let stop: () => Promise<void>;
    let table: GatedTable;
    let manifests: Manifests;
    let repository = '';
    let serial = 0;

    beforeAll(async () => {
      ({ deps, stop } = await backend.start());
      table = new GatedTable(deps.table);
      manifests = new Manifests({ ...deps, table });
    });

    afterAll(async () => {
      await stop?.();
    });

    /** A fresh repository holding the config blob. */
    async function freshRepository(): Promise<string> {
      repository = `team/race-${serial++}`;
      await new BlobLinks(deps.table).link(repository, configDigest, config.byteLength, new Date());
      return repository;
    }

    async function tagPoints(name: string, tag: string): Promise<string | undefined> {
      return (await deps.table.get(keys.tag(name, tag)))?.digest as string | undefined;
    }

    const noOverwrite = { mayOverwriteTag: async () => false };

    test('two PUTs of one new tag at once, by a caller who may not overwrite: one lands, the other is DENIED', async () => {
      const name = await freshRepository();
      const [a, b] = [manifest('a'), manifest('b')];
      readTogether(table, 2);
      const results = await Promise.allSettled([
        manifests.put(name, { tag: 'v1' }, a, mediaType, noOverwrite),
        manifests.put(name, { tag: 'v1' }, b, mediaType, noOverwrite),
      ]);
      const landed = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(landed).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(refused[0]!.reason).toBeInstanceOf(OciError);
      expect((refused[0]!.reason as OciError).code).toBe('DENIED');
      const winner = (landed[0] as PromiseFulfilledResult<{ digest: string }>).value.digest;
      expect(await tagPoints(name, 'v1')).toBe(winner);
    });

    test('two PUTs of one tag at once, by callers who may overwrite: both land, and the tag and its index agree', async () => {
      const name = await freshRepository();
      const [a, b] = [manifest('c'), manifest('d')];
      readTogether(table, 2);
      const [first, second] = await Promise.all([manifests.put(name, { tag: 'latest' }, a, mediaType), manifests.put(name, { tag: 'latest' }, b, mediaType)]);
      const now = await tagPoints(name, 'latest');
      expect([first.digest, second.digest]).toContain(now);
      const indexed = await Promise.all([first.digest, second.digest].map((digest) => deps.table.query(keys.tagIndex(name, digest), { index: 'gsi1' })));
      expect(indexed.map((items) => items.map((item) => item.sk))).toEqual([first.digest, second.digest].map((digest) => (digest === now ? ['tag#latest'] : [])));
    });

    test('a tag created between the read and the write is not overwritten by a caller who may not', async () => {
      const name = await freshRepository();
      const theirs = manifest('theirs');
      const mine = manifest('mine');
      let interfered = false;
      table.onTagRead = async () => {
        if (interfered) return;
        interfered = true;
        table.onTagRead = undefined;
        // Someone else tags their manifest right after this caller saw no tag.
        await new Manifests(deps).put(name, { tag: 'stable' }, theirs, mediaType);
      };
      await expect(manifests.put(name, { tag: 'stable' }, mine, mediaType, noOverwrite)).rejects.toMatchObject({ code: 'DENIED' });
      expect(interfered).toBe(true);
      expect(await tagPoints(name, 'stable')).toBe(digestOf(theirs));
    });

    test('a tag removed between the read and the write: the write reports a new tag, not a move from the removed manifest', async () => {
      const name = await freshRepository();
      const old = manifest('old');
      const next = manifest('next');
      await new Manifests(deps).put(name, { tag: 'rc' }, old, mediaType);
      let interfered = false;
      table.onTagRead = async () => {
        if (interfered) return;
        interfered = true;
        table.onTagRead = undefined;
        // Someone untags it right after this caller saw it on the old manifest (an untag does not
        // move the repository's generation: only the tag's own condition sees it).
        await new Manifests(deps).delete(name, { tag: 'rc' });
      };
      const written = await manifests.put(name, { tag: 'rc' }, next, mediaType);
      expect(interfered).toBe(true);
      // The push event and the answer say what happened: the tag was created, nothing was replaced.
      expect(written.created).toBe(true);
      expect(await tagPoints(name, 'rc')).toBe(digestOf(next));
    });

    test('a manifest may reference only blobs linked into its own repository', async () => {
      const name = await freshRepository();
      const other = `team/other-${serial++}`;
      const layer = new TextEncoder().encode(`a layer only ${other} holds`);
      await new BlobLinks(deps.table).link(other, digestOf(layer), layer.byteLength, new Date());
      const body = new TextEncoder().encode(
        JSON.stringify({
          schemaVersion: 2,
          mediaType,
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.byteLength },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digestOf(layer), size: layer.byteLength }],
        }),
      );
      await expect(manifests.put(name, { tag: 'v1' }, body, mediaType)).rejects.toMatchObject({ code: 'MANIFEST_BLOB_UNKNOWN', detail: { missing: [digestOf(layer)] } });
      expect(await tagPoints(name, 'v1')).toBeUndefined();
      await new BlobLinks(deps.table).link(name, digestOf(layer), layer.byteLength, new Date());
      await expect(manifests.put(name, { tag: 'v1' }, body, mediaType)).resolves.toMatchObject({ digest: digestOf(body) });
    });
  });
}

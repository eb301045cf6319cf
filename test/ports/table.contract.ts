import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConditionFailedError, type Item, type Table } from '../../functions/ports/table.js';

/**
 * The Table port's contract (functions/ports/table.ts), clause by clause. Every adapter runs it:
 * `describeTableContract('sqlite', async () => ({ table, cleanup }))`. Each test works in its own
 * fresh partition, so one table can serve the whole suite.
 */
export function describeTableContract(
  name: string,
  make: () => Promise<{ table: Table; cleanup(): Promise<void> }>,
): void {
  describe(`Table contract: ${name}`, () => {
    let table: Table;
    let cleanup: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      const made = await make();
      table = made.table;
      cleanup = () => made.cleanup();
    });
    afterAll(async () => {
      await cleanup?.();
    });

    const partition = (label = 'p') => `${label}#${randomUUID()}`;
    const nowSeconds = () => Math.floor(Date.now() / 1000);
    const past = () => nowSeconds() - 60;
    const future = () => nowSeconds() + 3600;
    const sortKeys = (items: Item[]) => items.map((item) => item.sk);

    /** Fills a partition with items under these sort keys (inserted in the order given). */
    async function fill(pk: string, sks: string[], extra: (sk: string) => Partial<Item> = () => ({})) {
      for (const sk of sks) await table.put({ pk, sk, ...extra(sk) });
    }

    /** The index is eventually consistent: poll until the expectation holds or time runs out. */
    async function eventually(check: () => Promise<void>, timeoutMs = 5000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          await check();
          return;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    }

    describe('get / put', () => {
      it('get answers null for an absent item', async () => {
        expect(await table.get({ pk: partition(), sk: 'missing' })).toBeNull();
      });

      it('put stores every JSON attribute value and get returns it unchanged', async () => {
        const item: Item = {
          pk: partition(),
          sk: 'item',
          text: 'hello ✓',
          empty: '',
          integer: 42,
          negative: -7,
          fraction: 0.125,
          large: 2 ** 40,
          yes: true,
          no: false,
          nothing: null,
          list: [1, 'two', false, null, { three: 3 }, []],
          map: { nested: { deeper: ['a', 'b'] }, emptyMap: {}, n: 1.5 },
        };
        await table.put(item);
        expect(await table.get({ pk: item.pk, sk: item.sk })).toEqual(item);
      });

      it('put replaces the whole item: attributes left out are gone', async () => {
        const pk = partition();
        await table.put({ pk, sk: 'a', first: 1, second: 2 });
        await table.put({ pk, sk: 'a', second: 3 });
        expect(await table.get({ pk, sk: 'a' })).toEqual({ pk, sk: 'a', second: 3 });
      });

      it('items are told apart by both pk and sk', async () => {
        const pk = partition();
        const other = partition();
        await table.put({ pk, sk: 'a', v: 1 });
        await table.put({ pk, sk: 'b', v: 2 });
        await table.put({ pk: other, sk: 'a', v: 3 });
        expect((await table.get({ pk, sk: 'a' }))?.v).toBe(1);
        expect((await table.get({ pk, sk: 'b' }))?.v).toBe(2);
        expect((await table.get({ pk: other, sk: 'a' }))?.v).toBe(3);
      });

      it('keys may hold any characters, separators included', async () => {
        const pk = `${partition()}#repo/name:with@odd%chars ✓`;
        const sk = 'tag#v1.0/β\u{1F600}';
        await table.put({ pk, sk, v: 1 });
        expect(await table.get({ pk, sk })).toEqual({ pk, sk, v: 1 });
      });
    });

    describe('conditions', () => {
      it('exists:false writes only when no item is stored', async () => {
        const pk = partition();
        await table.put({ pk, sk: 'a', v: 1 }, { exists: false });
        await expect(table.put({ pk, sk: 'a', v: 2 }, { exists: false })).rejects.toBeInstanceOf(ConditionFailedError);
        expect((await table.get({ pk, sk: 'a' }))?.v).toBe(1);
      });

      it('exists:true writes only over a stored item', async () => {
        const pk = partition();
        await expect(table.put({ pk, sk: 'a', v: 1 }, { exists: true })).rejects.toBeInstanceOf(ConditionFailedError);
        expect(await table.get({ pk, sk: 'a' })).toBeNull();
        await table.put({ pk, sk: 'a', v: 1 });
        await table.put({ pk, sk: 'a', v: 2 }, { exists: true });
        expect((await table.get({ pk, sk: 'a' }))?.v).toBe(2);
      });

      it('equals compares the named attributes by value', async () => {
        const pk = partition();
        await table.put({ pk, sk: 'a', state: 'open', count: 1, other: 'x' });
        await expect(table.put({ pk, sk: 'a', state: 'done' }, { equals: { state: 'closed' } })).rejects.toBeInstanceOf(
          ConditionFailedError,
        );
        await expect(
          table.put({ pk, sk: 'a', state: 'done' }, { equals: { state: 'open', count: 2 } }),
        ).rejects.toBeInstanceOf(ConditionFailedError);
        expect((await table.get({ pk, sk: 'a' }))?.state).toBe('open');
        await table.put({ pk, sk: 'a', state: 'done' }, { equals: { state: 'open', count: 1 } });
        expect(await table.get({ pk, sk: 'a' })).toEqual({ pk, sk: 'a', state: 'done' });
      });

      it('equals does not confuse types that look alike', async () => {
        const pk = partition();
        await table.put({ pk, sk: 'a', n: 1, s: '1', b: true });
        await expect(table.put({ pk, sk: 'a' }, { equals: { n: '1' } })).rejects.toBeInstanceOf(ConditionFailedError);
        await expect(table.put({ pk, sk: 'a' }, { equals: { s: 1 } })).rejects.toBeInstanceOf(ConditionFailedError);
        await expect(table.put({ pk, sk: 'a' }, { equals: { b: 'true' } })).rejects.toBeInstanceOf(ConditionFailedError);
        await table.put({ pk, sk: 'a', n: 2 }, { equals: { n: 1, s: '1', b: true } });
        expect((await table.get({ pk, sk: 'a' }))?.n).toBe(2);
      });

      it('equals compares lists and maps deeply', async () => {
        const pk = partition();
        await table.put({ pk, sk: 'a', list: [1, 'a', { b: [true] }], map: { x: 1, y: { z: 'deep' } } });
        await expect(
          table.put({ pk, sk: 'a', v: 1 }, { equals: { list: [1, 'a', { b: [false] }] } }),
        ).rejects.toBeInstanceOf(ConditionFailedError);
        await expect(table.put({ pk, sk: 'a', v: 1 }, { equals: { map: { x: 1 } } })).rejects.toBeInstanceOf(
          ConditionFailedError,
        );
        await table.put(
          { pk, sk: 'a', v: 2 },
          { equals: { list: [1, 'a', { b: [true] }], map: { x: 1, y: { z: 'deep' } } } },
        );
        expect((await table.get({ pk, sk: 'a' }))?.v).toBe(2);
      });

      it('equals with null matches an absent attribute and a stored null, nothing else', async () => {
        const pk = partition();
        await table.put({ pk, sk: 'absent', v: 1 });
        await table.put({ pk, sk: 'absent', v: 2 }, { equals: { lock: null } });
        expect((await table.get({ pk, sk: 'absent' }))?.v).toBe(2);

        await table.put({ pk, sk: 'null', lock: null });
        await table.put({ pk, sk: 'null', lock: null, v: 2 }, { equals: { lock: null } });
        expect((await table.get({ pk, sk: 'null' }))?.v).toBe(2);

        await table.put({ pk, sk: 'set', lock: 'held' });
        await expect(table.put({ pk, sk: 'set', v: 2 }, { equals: { lock: null } })).rejects.toBeInstanceOf(
          ConditionFailedError,
        );
      });

      it('equals fails when no item is stored', async () => {
        const pk = partition();
        await expect(table.put({ pk, sk: 'a', v: 1 }, { equals: { state: 'open' } })).rejects.toBeInstanceOf(
          ConditionFailedError,
        );
        expect(await table.get({ pk, sk: 'a' })).toBeNull();
      });

      it('delete without a condition removes the item, and succeeds when nothing is stored', async () => {
        const pk = partition();
        await table.put({ pk, sk: 'a', v: 1 });
        await table.delete({ pk, sk: 'a' });
        expect(await table.get({ pk, sk: 'a' })).toBeNull();
        await table.delete({ pk, sk: 'a' });
        await table.delete({ pk: partition(), sk: 'never' });
      });

      it('delete with a failing condition keeps the item', async () => {
        const pk = partition();
        await table.put({ pk, sk: 'a', state: 'open' });
        await expect(table.delete({ pk, sk: 'a' }, { equals: { state: 'closed' } })).rejects.toBeInstanceOf(
          ConditionFailedError,
        );
        await expect(table.delete({ pk, sk: 'a' }, { exists: false })).rejects.toBeInstanceOf(ConditionFailedError);
        expect(await table.get({ pk, sk: 'a' })).toEqual({ pk, sk: 'a', state: 'open' });
        await table.delete({ pk, sk: 'a' }, { equals: { state: 'open' } });
        expect(await table.get({ pk, sk: 'a' })).toBeNull();
      });

      it('delete with exists:true fails on an absent item', async () => {
        await expect(table.delete({ pk: partition(), sk: 'a' }, { exists: true })).rejects.toBeInstanceOf(
          ConditionFailedError,
        );
      });

      it('only one of many racing exists:false writers wins', async () => {
        const pk = partition();
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, (_, writer) => table.put({ pk, sk: 'lock', writer }, { exists: false })),
        );
        const won = results.filter((result) => result.status === 'fulfilled');
        expect(won).toHaveLength(1);
        for (const result of results) {
          if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(ConditionFailedError);
        }
        const winner = results.findIndex((result) => result.status === 'fulfilled');
        expect((await table.get({ pk, sk: 'lock' }))?.writer).toBe(winner);
      });
    });

    describe('transact', () => {
      it('writes puts and deletes together', async () => {
        const pk = partition();
        await table.put({ pk, sk: 'old', v: 0 });
        await table.transact([
          { put: { pk, sk: 'manifest', digest: 'sha256:aa' }, condition: { exists: false } },
          { put: { pk, sk: 'tag#latest', digest: 'sha256:aa' } },
          { delete: { pk, sk: 'old' } },
        ]);
        expect(sortKeys(await table.query(pk))).toEqual(['manifest', 'tag#latest']);
      });

      it('writes nothing when any condition fails, and says so with ConditionFailedError', async () => {
        const pk = partition();
        await table.put({ pk, sk: 'tag#latest', digest: 'sha256:old' });
        await table.put({ pk, sk: 'doomed', v: 1 });
        await expect(
          table.transact([
            { put: { pk, sk: 'manifest', digest: 'sha256:new' } },
            { delete: { pk, sk: 'doomed' } },
            { put: { pk, sk: 'tag#latest', digest: 'sha256:new' }, condition: { equals: { digest: 'sha256:other' } } },
          ]),
        ).rejects.toBeInstanceOf(ConditionFailedError);
        expect(await table.get({ pk, sk: 'manifest' })).toBeNull();
        expect(await table.get({ pk, sk: 'doomed' })).toEqual({ pk, sk: 'doomed', v: 1 });
        expect((await table.get({ pk, sk: 'tag#latest' }))?.digest).toBe('sha256:old');
      });

      it('a failing check writes nothing; a holding check lets the rest through', async () => {
        const pk = partition();
        await table.put({ pk, sk: 'repo', state: 'active' });
        await expect(
          table.transact([
            { check: { pk, sk: 'repo' }, condition: { equals: { state: 'deleted' } } },
            { put: { pk, sk: 'child', v: 1 } },
          ]),
        ).rejects.toBeInstanceOf(ConditionFailedError);
        expect(await table.get({ pk, sk: 'child' })).toBeNull();

        await expect(
          table.transact([
            { check: { pk, sk: 'nothing-here' }, condition: { exists: true } },
            { put: { pk, sk: 'child', v: 1 } },
          ]),
        ).rejects.toBeInstanceOf(ConditionFailedError);
        expect(await table.get({ pk, sk: 'child' })).toBeNull();

        await table.transact([
          { check: { pk, sk: 'repo' }, condition: { equals: { state: 'active' } } },
          { put: { pk, sk: 'child', v: 1 } },
        ]);
        expect(await table.get({ pk, sk: 'child' })).toEqual({ pk, sk: 'child', v: 1 });
        expect(await table.get({ pk, sk: 'repo' })).toEqual({ pk, sk: 'repo', state: 'active' });
      });

      it('a failing delete condition writes nothing', async () => {
        const pk = partition();
        await expect(
          table.transact([
            { put: { pk, sk: 'a', v: 1 } },
            { delete: { pk, sk: 'b' }, condition: { exists: true } },
          ]),
        ).rejects.toBeInstanceOf(ConditionFailedError);
        expect(await table.get({ pk, sk: 'a' })).toBeNull();
      });

      it('takes up to 100 operations at once', async () => {
        const pk = partition();
        const sks = Array.from({ length: 100 }, (_, i) => `item#${String(i).padStart(3, '0')}`);
        await table.transact(sks.map((sk) => ({ put: { pk, sk, v: sk }, condition: { exists: false } })));
        expect(sortKeys(await table.query(pk))).toEqual(sks);
      });

      it('a cancelled transaction never undoes writes made while it ran', async () => {
        const pk = partition();
        await table.put({ pk, sk: 'guard', v: 0 });
        // Enough items that copying the table (what some emulators do to roll back) takes a while.
        await table.transact(Array.from({ length: 100 }, (_, i) => ({ put: { pk, sk: `bulk#${i}`, data: 'x'.repeat(300) } })));
        // Transactions that will be cancelled, racing plain writes to other items of the table.
        const cancelled = Array.from({ length: 40 }, (_, i) =>
          table
            .transact([
              { put: { pk, sk: `never#${i}`, v: i } },
              { check: { pk, sk: 'guard' }, condition: { equals: { v: 1 } } },
            ])
            .catch((error: unknown) => error),
        );
        const writes = Array.from({ length: 40 }, (_, i) => table.put({ pk, sk: `kept#${String(i).padStart(2, '0')}`, v: i }));
        const outcomes = await Promise.all([...cancelled, ...writes]);
        for (const outcome of outcomes.slice(0, 40)) expect(outcome).toBeInstanceOf(ConditionFailedError);
        expect(sortKeys(await table.query(pk, { prefix: 'kept#' }))).toHaveLength(40);
        expect(await table.query(pk, { prefix: 'never#' })).toEqual([]);
      });

      it('spans partitions', async () => {
        const first = partition();
        const second = partition();
        await table.transact([{ put: { pk: first, sk: 'a', v: 1 } }, { put: { pk: second, sk: 'b', v: 2 } }]);
        expect(await table.get({ pk: first, sk: 'a' })).toEqual({ pk: first, sk: 'a', v: 1 });
        expect(await table.get({ pk: second, sk: 'b' })).toEqual({ pk: second, sk: 'b', v: 2 });
      });
    });

    describe('query', () => {
      it('answers an empty list for an empty partition', async () => {
        expect(await table.query(partition())).toEqual([]);
      });

      it('returns whole items of one partition only', async () => {
        const pk = partition();
        await table.put({ pk, sk: 'a', v: 1, tags: ['x'] });
        await table.put({ pk: partition(), sk: 'a', v: 2 });
        expect(await table.query(pk)).toEqual([{ pk, sk: 'a', v: 1, tags: ['x'] }]);
      });

      it('orders sort keys by UTF-8 byte order, not by UTF-16 code units or locale', async () => {
        const pk = partition();
        // UTF-8 byte order: 'B' < 'a' < 'z' < 'é' (C3 A9) < '\uFF5E' (EF BD 9E) < '😀' (F0 9F 98 80).
        // UTF-16 order would put '😀' (D83D ...) before '\uFF5E'; locale order would put 'a' first.
        const ordered = ['B', 'a', 'a#1', 'a#10', 'a#2', 'z', 'é', '\uFF5E', '\u{1F600}'];
        await fill(pk, ['\u{1F600}', 'a#2', 'z', 'é', 'a', 'B', '\uFF5E', 'a#10', 'a#1']);
        expect(sortKeys(await table.query(pk))).toEqual(ordered);
        expect(sortKeys(await table.query(pk, { reverse: true }))).toEqual([...ordered].reverse());
      });

      it('prefix keeps only sort keys that start with it', async () => {
        const pk = partition();
        await fill(pk, ['tag#a', 'tag#b', 'tags', 'ta', 'manifest#1', 'tag#', 'tag$']);
        expect(sortKeys(await table.query(pk, { prefix: 'tag#' }))).toEqual(['tag#', 'tag#a', 'tag#b']);
        expect(sortKeys(await table.query(pk, { prefix: 'nothing' }))).toEqual([]);
      });

      it('prefix works with multi-byte characters and at the top of the byte range', async () => {
        const pk = partition();
        await fill(pk, ['é#1', 'é#2', 'ê#1', '\u{1F600}a', '\u{1F600}b', '\u{1F601}', '\uFFFF', '\uFFFFz']);
        expect(sortKeys(await table.query(pk, { prefix: 'é' }))).toEqual(['é#1', 'é#2']);
        expect(sortKeys(await table.query(pk, { prefix: '\u{1F600}' }))).toEqual(['\u{1F600}a', '\u{1F600}b']);
        expect(sortKeys(await table.query(pk, { prefix: '\uFFFF' }))).toEqual(['\uFFFF', '\uFFFFz']);
      });

      it('after starts strictly past the cursor, forward and in reverse', async () => {
        const pk = partition();
        await fill(pk, ['a', 'b', 'c', 'd', 'e']);
        expect(sortKeys(await table.query(pk, { after: 'b' }))).toEqual(['c', 'd', 'e']);
        expect(sortKeys(await table.query(pk, { after: 'bb' }))).toEqual(['c', 'd', 'e']);
        expect(sortKeys(await table.query(pk, { after: 'd', reverse: true }))).toEqual(['c', 'b', 'a']);
        expect(sortKeys(await table.query(pk, { after: 'e' }))).toEqual([]);
        expect(sortKeys(await table.query(pk, { after: 'a', reverse: true }))).toEqual([]);
      });

      it('limit caps the count; after pages through the rest', async () => {
        const pk = partition();
        const sks = Array.from({ length: 23 }, (_, i) => `k${String(i).padStart(2, '0')}`);
        await fill(pk, sks);
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await table.query(pk, { limit: 5, ...(after === undefined ? {} : { after }) });
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(5);
          if (seen.length + 5 <= sks.length) expect(page).toHaveLength(5);
          seen.push(...sortKeys(page));
          after = page.at(-1)?.sk;
        }
        expect(seen).toEqual(sks);
      });

      it('limit 0 answers nothing', async () => {
        const pk = partition();
        await fill(pk, ['a', 'b']);
        expect(await table.query(pk, { limit: 0 })).toEqual([]);
      });

      it('combines prefix, after, reverse and limit', async () => {
        const pk = partition();
        await fill(pk, ['m', 'tag#01', 'tag#02', 'tag#03', 'tag#04', 'tag#05', 'tah', 'tag']);
        expect(sortKeys(await table.query(pk, { prefix: 'tag#', limit: 2 }))).toEqual(['tag#01', 'tag#02']);
        expect(sortKeys(await table.query(pk, { prefix: 'tag#', after: 'tag#02', limit: 2 }))).toEqual([
          'tag#03',
          'tag#04',
        ]);
        expect(sortKeys(await table.query(pk, { prefix: 'tag#', reverse: true, limit: 2 }))).toEqual([
          'tag#05',
          'tag#04',
        ]);
        expect(sortKeys(await table.query(pk, { prefix: 'tag#', reverse: true, after: 'tag#04' }))).toEqual([
          'tag#03',
          'tag#02',
          'tag#01',
        ]);
        expect(sortKeys(await table.query(pk, { prefix: 'tag#', after: 'tag#05' }))).toEqual([]);
      });

      it('a cursor outside the prefix range still only returns prefixed keys', async () => {
        const pk = partition();
        await fill(pk, ['a', 'c', 'tag#1', 'tag#2', 'u', 'z']);
        expect(sortKeys(await table.query(pk, { prefix: 'tag#', after: 'b' }))).toEqual(['tag#1', 'tag#2']);
        expect(sortKeys(await table.query(pk, { prefix: 'tag#', after: 'y', reverse: true }))).toEqual([
          'tag#2',
          'tag#1',
        ]);
        expect(sortKeys(await table.query(pk, { prefix: 'tag#', after: 'u' }))).toEqual([]);
      });

      it('returns every item of a partition larger than one DynamoDB page (1 MB)', async () => {
        const pk = partition();
        const blob = 'x'.repeat(100_000);
        const sks = Array.from({ length: 24 }, (_, i) => `big#${String(i).padStart(2, '0')}`);
        await fill(pk, sks, () => ({ blob }));
        const all = await table.query(pk);
        expect(sortKeys(all)).toEqual(sks);
        expect(all.every((item) => item.blob === blob)).toBe(true);
        expect(sortKeys(await table.query(pk, { limit: 15, reverse: true }))).toEqual([...sks].reverse().slice(0, 15));
      });
    });

    describe('gsi1', () => {
      it('holds items carrying both gsi1pk and gsi1sk, ordered by gsi1sk', async () => {
        const pk = partition();
        const gsi = partition('gsi');
        await table.put({ pk, sk: '1', gsi1pk: gsi, gsi1sk: 'c', v: 1 });
        await table.put({ pk: partition(), sk: '2', gsi1pk: gsi, gsi1sk: 'a', v: 2 });
        await table.put({ pk, sk: '3', gsi1pk: gsi, gsi1sk: 'b#é', v: 3 });
        await table.put({ pk, sk: '4', gsi1pk: gsi, v: 4 });
        await table.put({ pk, sk: '5', v: 5 });
        await eventually(async () => {
          const items = await table.query(gsi, { index: 'gsi1' });
          expect(items.map((item) => item.v)).toEqual([2, 3, 1]);
          expect(items[1]).toEqual({ pk, sk: '3', gsi1pk: gsi, gsi1sk: 'b#é', v: 3 });
        });
      });

      it('several items may share one gsi1sk', async () => {
        const gsi = partition('gsi');
        const pk = partition();
        await table.put({ pk, sk: 'a', gsi1pk: gsi, gsi1sk: 'same' });
        await table.put({ pk, sk: 'b', gsi1pk: gsi, gsi1sk: 'same' });
        await eventually(async () => {
          const items = await table.query(gsi, { index: 'gsi1' });
          expect(sortKeys(items).sort()).toEqual(['a', 'b']);
        });
      });

      it('takes prefix, after, reverse and limit over gsi1sk', async () => {
        const gsi = partition('gsi');
        const pk = partition();
        for (const key of ['r#1', 'r#2', 'r#3', 'r#4', 's#1']) {
          await table.put({ pk, sk: `sk-${key}`, gsi1pk: gsi, gsi1sk: key });
        }
        await eventually(async () => {
          const gsiKeys = (items: Item[]) => items.map((item) => item.gsi1sk);
          expect(gsiKeys(await table.query(gsi, { index: 'gsi1', prefix: 'r#' }))).toEqual(['r#1', 'r#2', 'r#3', 'r#4']);
          expect(gsiKeys(await table.query(gsi, { index: 'gsi1', prefix: 'r#', after: 'r#2', limit: 1 }))).toEqual([
            'r#3',
          ]);
          expect(gsiKeys(await table.query(gsi, { index: 'gsi1', reverse: true, limit: 2 }))).toEqual(['s#1', 'r#4']);
          expect(gsiKeys(await table.query(gsi, { index: 'gsi1', prefix: 'r#', reverse: true, after: 'r#3' }))).toEqual(
            ['r#2', 'r#1'],
          );
        });
      });

      it('follows rewrites and deletes of the table item', async () => {
        const pk = partition();
        const gsiA = partition('gsi');
        const gsiB = partition('gsi');
        await table.put({ pk, sk: 'a', gsi1pk: gsiA, gsi1sk: '1' });
        await table.put({ pk, sk: 'b', gsi1pk: gsiA, gsi1sk: '2' });
        await table.put({ pk, sk: 'a', gsi1pk: gsiB, gsi1sk: '1' });
        await table.put({ pk, sk: 'b', other: true });
        await eventually(async () => {
          expect(await table.query(gsiA, { index: 'gsi1' })).toEqual([]);
          expect(sortKeys(await table.query(gsiB, { index: 'gsi1' }))).toEqual(['a']);
        });
        await table.delete({ pk, sk: 'a' });
        await eventually(async () => {
          expect(await table.query(gsiB, { index: 'gsi1' })).toEqual([]);
        });
      });

      it('the table query ignores gsi1 keys and the index query ignores table keys', async () => {
        const pk = partition();
        await table.put({ pk, sk: 'x', gsi1pk: `${pk}-index`, gsi1sk: 'y' });
        expect(await table.query(`${pk}-index`)).toEqual([]);
        await eventually(async () => {
          expect(await table.query(pk, { index: 'gsi1' })).toEqual([]);
          expect(sortKeys(await table.query(`${pk}-index`, { index: 'gsi1' }))).toEqual(['x']);
        });
      });
    });

    describe('expiresAt (TTL)', () => {
      it('an item not yet expired reads normally', async () => {
        const pk = partition();
        const item = { pk, sk: 'a', expiresAt: future(), v: 1 };
        await table.put(item);
        expect(await table.get({ pk, sk: 'a' })).toEqual(item);
        expect(await table.query(pk)).toEqual([item]);
      });

      it('an expired item reads as absent from get, query and the index, before any sweep', async () => {
        const pk = partition();
        const gsi = partition('gsi');
        await table.put({ pk, sk: 'live', gsi1pk: gsi, gsi1sk: 'live', expiresAt: future() });
        await table.put({ pk, sk: 'dead', gsi1pk: gsi, gsi1sk: 'dead', expiresAt: past() });
        expect(await table.get({ pk, sk: 'dead' })).toBeNull();
        expect(sortKeys(await table.query(pk))).toEqual(['live']);
        await eventually(async () => {
          expect(sortKeys(await table.query(gsi, { index: 'gsi1' }))).toEqual(['live']);
        });
      });

      it('expired items do not eat into limit', async () => {
        const pk = partition();
        const sks = Array.from({ length: 30 }, (_, i) => `k${String(i).padStart(2, '0')}`);
        // Everything except the first and the last three has expired.
        await fill(pk, sks, (sk) => ({ expiresAt: sk === 'k00' || sk >= 'k27' ? future() : past() }));
        expect(sortKeys(await table.query(pk, { limit: 3 }))).toEqual(['k00', 'k27', 'k28']);
        expect(sortKeys(await table.query(pk, { limit: 3, after: 'k00' }))).toEqual(['k27', 'k28', 'k29']);
        expect(sortKeys(await table.query(pk, { limit: 2, reverse: true, after: 'k28' }))).toEqual(['k27', 'k00']);
      });

      it('an expired item counts as absent for conditions', async () => {
        const pk = partition();
        await table.put({ pk, sk: 'a', state: 'open', expiresAt: past() });
        await expect(table.put({ pk, sk: 'a', v: 1 }, { exists: true })).rejects.toBeInstanceOf(ConditionFailedError);
        await expect(table.put({ pk, sk: 'a', v: 1 }, { equals: { state: 'open' } })).rejects.toBeInstanceOf(
          ConditionFailedError,
        );
        await expect(
          table.transact([{ check: { pk, sk: 'a' }, condition: { exists: true } }, { put: { pk, sk: 'b' } }]),
        ).rejects.toBeInstanceOf(ConditionFailedError);
        expect(await table.get({ pk, sk: 'b' })).toBeNull();
        await table.put({ pk, sk: 'a', state: 'new' }, { exists: false });
        expect(await table.get({ pk, sk: 'a' })).toEqual({ pk, sk: 'a', state: 'new' });
      });

      it('rewriting an item without expiresAt makes it permanent', async () => {
        const pk = partition();
        await table.put({ pk, sk: 'a', expiresAt: future() });
        await table.put({ pk, sk: 'a', v: 2 });
        expect(await table.get({ pk, sk: 'a' })).toEqual({ pk, sk: 'a', v: 2 });
      });
    });
  });
}

import type { Condition, Item, Key, QueryOptions, Table, WriteOp } from '../../functions/ports/table.js';

/**
 * A Table that passes everything to another one and notes the key of every write attempted, so a
 * test can assert that a refused request changed nothing, whatever the adapter underneath.
 */
export class WriteRecorder implements Table {
  readonly writes: string[] = [];

  constructor(private readonly inner: Table) {}

  get(key: Key): Promise<Item | null> {
    return this.inner.get(key);
  }

  put(item: Item, condition?: Condition): Promise<void> {
    this.writes.push(`put ${item.pk} ${item.sk}`);
    return this.inner.put(item, condition);
  }

  delete(key: Key, condition?: Condition): Promise<void> {
    this.writes.push(`delete ${key.pk} ${key.sk}`);
    return this.inner.delete(key, condition);
  }

  transact(ops: WriteOp[]): Promise<void> {
    for (const op of ops) {
      if ('put' in op) this.writes.push(`put ${op.put.pk} ${op.put.sk}`);
      else if ('delete' in op) this.writes.push(`delete ${op.delete.pk} ${op.delete.sk}`);
    }
    return this.inner.transact(ops);
  }

  query(pk: string, options?: QueryOptions): Promise<Item[]> {
    return this.inner.query(pk, options);
  }
}

import { nextId } from '../identity/stores/counter.js';
import { ConditionFailedError, type Item, type Key, type Table, type WriteOp } from '../ports/table.js';

/** What every named record carries: a numeric id, a unique name, and its times. */
export interface NamedRecord {
  id: number;
  name: string;
  createdAt: string;
  updatedAt: string;
}

/** Where one kind of named record lives, and how it is read from and written to an item. */
export interface NamedRecordLayout<R extends NamedRecord> {
  /** The id counter's name (identity/stores/counter.ts). */
  counter: string;
  /** The partition every record is in (listed in id order). */
  partition: string;
  record(id: number): Key;
  /** The claim of a name: an item holding the id, written with the record. */
  name(name: string): Key;
  toRecord(item: Item): R;
  toItem(record: R): Item;
}

export type NewFields<R extends NamedRecord> = Omit<R, 'id' | 'createdAt' | 'updatedAt'>;

/**
 * Records with numeric ids and unique names (remote registries, replication policies). A name is
 * claimed by an item written in the same transaction as the record, under "does not exist"; an
 * update is conditional on the `updatedAt` it read, so concurrent edits do not overwrite each other.
 */
export class NamedRecords<R extends NamedRecord> {
  constructor(
    protected readonly table: Table,
    protected readonly now: () => Date,
    private readonly layout: NamedRecordLayout<R>,
  ) {}

  async get(id: number): Promise<R | null> {
    const item = await this.table.get(this.layout.record(id));
    return item ? this.layout.toRecord(item) : null;
  }

  async getByName(name: string): Promise<R | null> {
    const claim = await this.table.get(this.layout.name(name));
    return claim ? this.get(claim.id as number) : null;
  }

  async list(): Promise<R[]> {
    return (await this.table.query(this.layout.partition)).map((item) => this.layout.toRecord(item));
  }

  /** The new record, or null when its name is taken. */
  async create(fields: NewFields<R>): Promise<R | null> {
    const id = await nextId(this.table, this.layout.counter);
    const now = this.now().toISOString();
    const record = { ...fields, id, createdAt: now, updatedAt: now } as R;
    const written = await this.written([
      { put: { ...this.layout.name(record.name), id }, condition: { exists: false } },
      { put: this.layout.toItem(record), condition: { exists: false } },
    ]);
    return written ? record : null;
  }

  /** The updated record; null when a rename hits a taken name or the record changed meanwhile. */
  async update(current: R, changes: Partial<NewFields<R>>): Promise<R | null> {
    const next = { ...current, ...changes, updatedAt: this.now().toISOString() } as R;
    const ops: WriteOp[] = [{ put: this.layout.toItem(next), condition: { equals: { updatedAt: current.updatedAt } } }];
    if (next.name !== current.name) {
      ops.push({ put: { ...this.layout.name(next.name), id: next.id }, condition: { exists: false } }, { delete: this.layout.name(current.name) });
    }
    return (await this.written(ops)) ? next : null;
  }

  async delete(record: R): Promise<void> {
    await this.table.transact([{ delete: this.layout.record(record.id) }, { delete: this.layout.name(record.name) }]);
  }

  /** Whether the transaction committed; false when one of its conditions failed. */
  private async written(ops: WriteOp[]): Promise<boolean> {
    try {
      await this.table.transact(ops);
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }
}

import { isDeepStrictEqual } from 'node:util';
import {
  type Condition,
  ConditionFailedError,
  type Item,
  type Key,
  type QueryOptions,
  type Table,
  type WriteOp,
} from '../../functions/ports/table.js';

/**
 * A Table in a Map, for tests that need the port's semantics but not a database. Sort keys compare
 * by UTF-8 bytes, as the port says.
 */
export class MemoryTable implements Table {
  private readonly items = new Map<string, Item>();

  async get(key: Key): Promise<Item | null> {
    const item = this.live(key);
    return item ? structuredClone(item) : null;
  }

  async put(item: Item, condition?: Condition): Promise<void> {
    this.check(item, condition);
    this.items.set(id(item), structuredClone(item));
  }

  async delete(key: Key, condition?: Condition): Promise<void> {
    this.check(key, condition);
    this.items.delete(id(key));
  }

  async transact(ops: WriteOp[]): Promise<void> {
    if (ops.length > 100) throw new Error('at most 100 operations');
    const seen = new Set<string>();
    for (const op of ops) {
      const key = 'put' in op ? op.put : 'delete' in op ? op.delete : op.check;
      if (seen.has(id(key))) throw new Error('each key at most once');
      seen.add(id(key));
      this.check(key, op.condition);
    }
    for (const op of ops) {
      if ('put' in op) this.items.set(id(op.put), structuredClone(op.put));
      else if ('delete' in op) this.items.delete(id(op.delete));
    }
  }

  async query(pk: string, options: QueryOptions = {}): Promise<Item[]> {
    const byIndex = options.index === 'gsi1';
    const sortKey = (item: Item) => (byIndex ? item.gsi1sk! : item.sk);
    let found = [...this.items.values()].filter(
      (item) =>
        !expired(item) &&
        (byIndex ? item.gsi1pk === pk && item.gsi1sk !== undefined : item.pk === pk) &&
        (options.prefix === undefined || sortKey(item).startsWith(options.prefix)),
    );
    found.sort((a, b) => Buffer.compare(Buffer.from(sortKey(a)), Buffer.from(sortKey(b))));
    if (options.reverse) found.reverse();
    if (options.after !== undefined) {
      const after = Buffer.from(options.after);
      found = found.filter((item) => {
        const order = Buffer.compare(Buffer.from(sortKey(item)), after);
        return options.reverse ? order < 0 : order > 0;
      });
    }
    if (options.limit !== undefined) found = found.slice(0, options.limit);
    return found.map((item) => structuredClone(item));
  }

  /** Every live item, for tests asserting that nothing changed. */
  snapshot(): Item[] {
    return [...this.items.values()].filter((item) => !expired(item)).map((item) => structuredClone(item)).sort((a, b) => id(a).localeCompare(id(b)));
  }

  private live(key: Key): Item | undefined {
    const item = this.items.get(id(key));
    return item && !expired(item) ? item : undefined;
  }

  private check(key: Key, condition?: Condition): void {
    if (!condition) return;
    const current = this.live(key);
    if ('exists' in condition) {
      if ((current !== undefined) !== condition.exists) throw new ConditionFailedError();
      return;
    }
    for (const [name, expected] of Object.entries(condition.equals)) {
      const actual = current?.[name];
      if (expected === null ? actual !== undefined && actual !== null : !isDeepStrictEqual(actual, expected)) throw new ConditionFailedError();
    }
  }
}

function id(key: Key): string {
  return JSON.stringify([key.pk, key.sk]);
}

function expired(item: Item): boolean {
  return item.expiresAt !== undefined && item.expiresAt <= Date.now() / 1000;
}

import { ConditionFailedError, type Table } from '../../ports/table.js';
import { keys } from './keys.js';

/**
 * Harbor's API speaks numeric ids. The table has no sequences, so each kind keeps its last id in
 * one item, advanced with a conditional write (optimistic, retried on contention).
 */
export async function nextId(table: Table, kind: string): Promise<number> {
  const key = keys.counter(kind);
  for (let attempt = 0; attempt < 20; attempt++) {
    const current = await table.get(key);
    const last = typeof current?.last === 'number' ? current.last : 0;
    try {
      await table.put({ ...key, last: last + 1 }, current ? { equals: { last } } : { exists: false });
      return last + 1;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
  throw new Error(`could not allocate an id for ${kind}`);
}

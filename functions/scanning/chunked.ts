import type { Table, WriteOp } from '../ports/table.js';

/**
 * JSON values too large for one table item (DynamoDB stops at 400 KB), kept as numbered chunks
 * under a generation id. Readers follow the generation a small head item names, so a writer puts
 * all chunks of a new generation first, then flips the head, then removes the old chunks: a
 * crash at any point leaves the previous value whole or the new one whole.
 */

/** Characters per chunk: at 4 UTF-8 bytes a character at worst, well under an item's 400 KB. */
const chunkChars = 90_000;
const chunksPerTransaction = 8;

/** Writes `value` as generation `gen` of `name` in partition `pk` (expiring with `expiresAt`); returns the number of chunks. */
export async function putChunks(table: Table, pk: string, name: string, gen: string, value: unknown, expiresAt?: number): Promise<number> {
  const text = JSON.stringify(value);
  const count = Math.max(1, Math.ceil(text.length / chunkChars));
  const ops: WriteOp[] = [];
  for (let n = 0; n < count; n++) {
    ops.push({ put: { pk, sk: `${name}#${gen}#${String(n).padStart(5, '0')}`, part: text.slice(n * chunkChars, (n + 1) * chunkChars), ...(expiresAt ? { expiresAt } : {}) } });
  }
  // A few chunks per transaction: one commit each (DynamoDB caps a transaction at 4 MB).
  for (let i = 0; i < ops.length; i += chunksPerTransaction) await table.transact(ops.slice(i, i + chunksPerTransaction));
  return count;
}

/** The value of generation `gen`, or null when its chunks are missing (removed or never whole). */
export async function readChunks<T>(table: Table, pk: string, name: string, gen: string, count: number): Promise<T | null> {
  const items = await table.query(pk, { prefix: `${name}#${gen}#` });
  if (items.length !== count) return null;
  return JSON.parse(items.map((item) => item.part as string).join('')) as T;
}

/** Removes every generation of `name` but `keep`. */
export async function pruneChunks(table: Table, pk: string, name: string, keep: string | null): Promise<void> {
  const items = await table.query(pk, { prefix: `${name}#` });
  const ops: WriteOp[] = items.filter((item) => keep === null || !item.sk.startsWith(`${name}#${keep}#`)).map((item) => ({ delete: { pk: item.pk, sk: item.sk } }));
  for (let i = 0; i < ops.length; i += 100) await table.transact(ops.slice(i, i + 100));
}

/**
 * Table: one DynamoDB-shaped single table. Every domain store (repositories, manifests, tags,
 * referrers, upload sessions, users, projects, ...) is written once on top of this port, so the
 * SQLite and DynamoDB adapters cannot drift. `test/ports/table.contract.ts` is the contract both
 * adapters must pass.
 *
 * Keys are strings. `pk` groups items; `sk` orders them inside the group by UTF-8 byte order
 * (DynamoDB's order for string keys). Attribute values are JSON values (string, finite number,
 * boolean, null, arrays and plain objects); attribute names must not start with `_`.
 */
export type AttributeValue =
  | string
  | number
  | boolean
  | null
  | AttributeValue[]
  | { [key: string]: AttributeValue };

export interface Key {
  pk: string;
  sk: string;
}

export interface Item extends Key {
  /** Secondary index keys: an item carrying both appears in index `gsi1`. */
  gsi1pk?: string;
  gsi1sk?: string;
  /** Expiry in epoch seconds. An expired item reads as absent everywhere, before any sweep. */
  expiresAt?: number;
  [attribute: string]: AttributeValue | undefined;
}

/**
 * A write condition on the item currently stored under the same key. An expired item counts as
 * absent. `equals` holds when the item exists and each named attribute equals the given value
 * (deep equality for JSON values); `null` there matches an absent attribute too.
 */
export type Condition =
  | { exists: false }
  | { exists: true }
  | { equals: Record<string, AttributeValue> };

export type WriteOp =
  | { put: Item; condition?: Condition }
  | { delete: Key; condition?: Condition }
  | { check: Key; condition: Condition };

export interface QueryOptions {
  /** Query index `gsi1` (by gsi1pk, ordered by gsi1sk) instead of the table. */
  index?: 'gsi1';
  /** Only sort keys starting with this prefix. */
  prefix?: string;
  /** Only sort keys strictly greater than this (strictly less when `reverse`): a page cursor. */
  after?: string;
  /** Highest sort key first. */
  reverse?: boolean;
  /** At most this many items (the adapter may return fewer only when no more exist). */
  limit?: number;
}

/** A condition did not hold; nothing was written. */
export class ConditionFailedError extends Error {
  constructor(message = 'condition failed') {
    super(message);
    this.name = 'ConditionFailedError';
  }
}

export interface Table {
  /** The item under this key, or null when absent or expired. */
  get(key: Key): Promise<Item | null>;

  /** Writes the whole item (replacing any stored one) if `condition` holds; else ConditionFailedError. */
  put(item: Item, condition?: Condition): Promise<void>;

  /**
   * Removes the item if `condition` holds; else ConditionFailedError. Deleting an absent item
   * without a condition succeeds (idempotent).
   */
  delete(key: Key, condition?: Condition): Promise<void>;

  /**
   * All operations or none (at most 100, each key at most once, as in DynamoDB). A failed
   * condition anywhere raises ConditionFailedError and writes nothing.
   */
  transact(ops: WriteOp[]): Promise<void>;

  /**
   * Items of one partition in sort-key order (of the table, or of `gsi1`), expired ones left out.
   * Reads are strongly consistent on the table and eventually consistent on the index.
   */
  query(pk: string, options?: QueryOptions): Promise<Item[]>;
}

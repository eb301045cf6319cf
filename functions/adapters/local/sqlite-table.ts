import Database from 'better-sqlite3';
import { isDeepStrictEqual } from 'node:util';
import { StorageFullError } from '../../ports/storage-full-error.js';
import {
  ConditionFailedError,
  type Condition,
  type Item,
  type Key,
  type QueryOptions,
  type Table,
  type WriteOp,
} from '../../ports/table.js';

/** Above every UTF-8 sequence a key can hold after a prefix: closes a prefix range. */
const highest = '\u{10FFFF}';

export interface SqliteTableOptions {
  /**
   * Items (by partition and sort-key prefix) that only this process writes: the server holds the
   * data directory's lock, and the admin and vulndb commands never write them. Point reads of
   * those items are served from memory after the first, and every write this table makes forgets
   * the keys it touched, so a read never returns what the database no longer holds. An item read
   * from SQLite costs a read transaction (two fcntl locks on the WAL index) each time.
   */
  owned?: readonly { pkPrefix: string; skPrefix: string }[];
  /** How many owned items are kept in memory at most (oldest out first); default 10,000. */
  ownedItemsKept?: number;
}

interface Row {
  item: string;
  expires_at: number | null;
}

/**
 * The single-table port on SQLite (better-sqlite3) for the embedded default. One row per item,
 * the whole item as JSON, keys and the index columns copied out so SQLite orders them. SQLite's
 * BINARY collation compares UTF-8 bytes, DynamoDB's order for string keys. WAL with
 * synchronous=FULL: a committed write survives a crash of the process and of the machine.
 */
export class SqliteTable implements Table {
  private readonly db: Database.Database;
  private readonly statements: ReturnType<SqliteTable['prepare']>;
  private readonly ownedItems: readonly { pkPrefix: string; skPrefix: string }[];
  private readonly ownedItemsKept: number;
  /** Rows of owned items as last read (null: absent), by pk NUL sk. */
  private readonly owned = new Map<string, Row | null>();

  constructor(path: string, options: SqliteTableOptions = {}) {
    this.ownedItems = options.owned ?? [];
    this.ownedItemsKept = options.ownedItemsKept ?? 10_000;
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS items (
        pk TEXT NOT NULL,
        sk TEXT NOT NULL,
        gsi1pk TEXT,
        gsi1sk TEXT,
        expires_at INTEGER,
        item TEXT NOT NULL,
        PRIMARY KEY (pk, sk)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk) WHERE gsi1pk IS NOT NULL;
    `);
    this.statements = this.prepare();
  }

  private prepare() {
    return {
      get: this.db.prepare<[string, string], Row>(
        'SELECT item, expires_at FROM items WHERE pk = ? AND sk = ?',
      ),
      put: this.db.prepare<[string, string, string | null, string | null, number | null, string]>(
        'INSERT OR REPLACE INTO items (pk, sk, gsi1pk, gsi1sk, expires_at, item) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      delete: this.db.prepare<[string, string]>('DELETE FROM items WHERE pk = ? AND sk = ?'),
    };
  }

  close(): void {
    this.db.close();
  }

  /** Removes expired rows; reads already ignore them, this only reclaims space. */
  sweepExpired(now = Date.now()): number {
    return this.db.prepare('DELETE FROM items WHERE expires_at IS NOT NULL AND expires_at <= ?').run(Math.floor(now / 1000)).changes;
  }

  private read(key: Key): Item | null {
    const row = this.isOwned(key) ? this.ownedRow(key) : this.statements.get.get(key.pk, key.sk);
    if (!row || isExpired(row.expires_at)) return null;
    return JSON.parse(row.item) as Item;
  }

  private isOwned(key: Key): boolean {
    return this.ownedItems.length > 0 && this.ownedItems.some((owned) => key.sk.startsWith(owned.skPrefix) && key.pk.startsWith(owned.pkPrefix));
  }

  /** An owned item's row, from memory once read (each read parses its own copy of the item). */
  private ownedRow(key: Key): Row | null {
    const id = `${key.pk}\u0000${key.sk}`;
    const kept = this.owned.get(id);
    if (kept !== undefined) return kept;
    const row = this.statements.get.get(key.pk, key.sk) ?? null;
    if (this.owned.size >= this.ownedItemsKept) this.owned.delete(this.owned.keys().next().value!);
    this.owned.set(id, row);
    return row;
  }

  /** Forgets what memory holds of the items `keys` name, after a write to them (done or not). */
  private forget(keys: Key[]): void {
    if (this.owned.size === 0) return;
    for (const key of keys) this.owned.delete(`${key.pk}\u0000${key.sk}`);
  }

  private check(key: Key, condition: Condition | undefined): void {
    if (!condition) return;
    if (!holds(this.read(key), condition)) throw new ConditionFailedError(`condition failed on ${key.pk} / ${key.sk}`);
  }

  private write(item: Item): void {
    const hasIndex = typeof item.gsi1pk === 'string' && typeof item.gsi1sk === 'string';
    this.statements.put.run(
      item.pk,
      item.sk,
      hasIndex ? (item.gsi1pk as string) : null,
      hasIndex ? (item.gsi1sk as string) : null,
      typeof item.expiresAt === 'number' ? item.expiresAt : null,
      JSON.stringify(item),
    );
  }

  async get(key: Key): Promise<Item | null> {
    return this.read(key);
  }

  async put(item: Item, condition?: Condition): Promise<void> {
    this.commit([item], () => {
      this.check(item, condition);
      this.write(item);
    });
  }

  async delete(key: Key, condition?: Condition): Promise<void> {
    this.commit([key], () => {
      this.check(key, condition);
      this.statements.delete.run(key.pk, key.sk);
    });
  }

  async transact(ops: WriteOp[]): Promise<void> {
    if (ops.length > 100) throw new Error('a transaction holds at most 100 operations');
    const seen = new Set<string>();
    for (const op of ops) {
      const key = 'put' in op ? op.put : 'delete' in op ? op.delete : op.check;
      const id = `${key.pk}\u0000${key.sk}`;
      if (seen.has(id)) throw new Error(`a transaction touches ${key.pk} / ${key.sk} twice`);
      seen.add(id);
    }
    const written = ops.flatMap((op) => ('put' in op ? [op.put] : 'delete' in op ? [op.delete] : []));
    this.commit(written, () => {
      for (const op of ops) {
        if ('put' in op) this.check(op.put, op.condition);
        else if ('delete' in op) this.check(op.delete, op.condition);
        else this.check(op.check, op.condition);
      }
      for (const op of ops) {
        if ('put' in op) this.write(op.put);
        else if ('delete' in op) this.statements.delete.run(op.delete.pk, op.delete.sk);
      }
    });
  }

  /**
   * Runs `work` as one transaction writing the items `keys` name. A full disk rolls it back whole
   * (SQLite's own guarantee) and is reported as StorageFullError: the same write succeeds once
   * space is freed.
   */
  private commit(keys: Key[], work: () => void): void {
    try {
      this.db.transaction(work)();
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_FULL') throw new StorageFullError('no space left on the device holding the database', { cause: error });
      throw error;
    } finally {
      this.forget(keys);
    }
  }

  async query(pk: string, options: QueryOptions = {}): Promise<Item[]> {
    const [pkColumn, skColumn] = options.index === 'gsi1' ? ['gsi1pk', 'gsi1sk'] : ['pk', 'sk'];
    const where = [`${pkColumn} = ?`, '(expires_at IS NULL OR expires_at > ?)'];
    const params: (string | number)[] = [pk, Math.floor(Date.now() / 1000)];
    if (options.prefix) {
      where.push(`${skColumn} >= ?`, `${skColumn} < ?`);
      params.push(options.prefix, options.prefix + highest);
    }
    if (options.after !== undefined) {
      where.push(`${skColumn} ${options.reverse ? '<' : '>'} ?`);
      params.push(options.after);
    }
    let sql = `SELECT item FROM items WHERE ${where.join(' AND ')} ORDER BY ${skColumn} ${options.reverse ? 'DESC' : 'ASC'}`;
    if (options.index === 'gsi1') sql += `, pk ${options.reverse ? 'DESC' : 'ASC'}, sk ${options.reverse ? 'DESC' : 'ASC'}`;
    if (options.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(options.limit);
    }
    const rows = this.db.prepare<(string | number)[], { item: string }>(sql).all(...params);
    return rows.map((row) => JSON.parse(row.item) as Item);
  }
}

function isExpired(expiresAt: number | null): boolean {
  return expiresAt !== null && expiresAt <= Date.now() / 1000;
}

function holds(current: Item | null, condition: Condition): boolean {
  if ('exists' in condition) return condition.exists === (current !== null);
  if (!current) return false;
  return Object.entries(condition.equals).every(([name, expected]) => {
    const actual = current[name];
    if (expected === null) return actual === undefined || actual === null;
    return isDeepStrictEqual(actual, expected);
  });
}

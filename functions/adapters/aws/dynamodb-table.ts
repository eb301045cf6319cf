import { randomUUID } from 'node:crypto';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type AttributeValue,
  type Condition,
  ConditionFailedError,
  type Item,
  type Key,
  type QueryOptions,
  type Table,
  type WriteOp,
} from '../../ports/table.js';
import { tableDefinition } from './resource-definitions.js';

/** One condition expression with its placeholders, ready for a DynamoDB request. */
interface Expression {
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

const ttl = tableDefinition.ttlAttribute;

/** A transaction cancelled only because another one held one of its items. */
function isConflict(error: unknown): boolean {
  if ((error as Error).name !== 'TransactionCanceledException') return false;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.some((reason) => reason.Code === 'TransactionConflict');
}

/** Compares strings as DynamoDB orders string keys: by their UTF-8 bytes. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Table on one DynamoDB table (tableDefinition): items stored as they are, through the document
 * client's marshalling (JSON maps and lists become M and L, null becomes NULL). DynamoDB's TTL
 * sweep runs up to days late, so expiry is also enforced here: reads drop expired items and
 * conditions treat them as absent.
 */
export class DynamoDbTable implements Table {
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: { now?: () => number } = {},
  ) {
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  async get(key: Key): Promise<Item | null> {
    const { Item: item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: key.pk, sk: key.sk }, ConsistentRead: true }),
    );
    if (!item || this.expired(item)) return null;
    return item as Item;
  }

  async put(item: Item, condition?: Condition): Promise<void> {
    await this.conditional(() =>
      this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ...this.expression(condition) })),
    );
  }

  async delete(key: Key, condition?: Condition): Promise<void> {
    await this.conditional(() =>
      this.client.send(
        new DeleteCommand({ TableName: this.tableName, Key: { pk: key.pk, sk: key.sk }, ...this.expression(condition) }),
      ),
    );
  }

  async transact(ops: WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    // DynamoDB cancels a transaction that meets another one on the same item (TransactionConflict)
    // and the SDK does not retry that: two pushes of one tag would fail one client for nothing.
    // Retry a few times with jitter; conditions are evaluated afresh on every attempt.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.conditional(() => this.client.send(this.transaction(ops)));
        return;
      } catch (error) {
        if (attempt >= 4 || !isConflict(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * 2 ** attempt));
      }
    }
  }

  private transaction(ops: WriteOp[]): TransactWriteCommand {
    const TableName = this.tableName;
    const TransactItems = ops.map((op) => {
      if ('put' in op) return { Put: { TableName, Item: op.put, ...this.expression(op.condition) } };
      if ('delete' in op) {
        return { Delete: { TableName, Key: { pk: op.delete.pk, sk: op.delete.sk }, ...this.expression(op.condition) } };
      }
      const expression = this.expression(op.condition);
      return {
        ConditionCheck: {
          TableName,
          Key: { pk: op.check.pk, sk: op.check.sk },
          ...expression,
          ConditionExpression: expression.ConditionExpression ?? 'attribute_exists(#pk)',
        },
      };
    });
    // The token makes the SDK's own retries of a transaction that did commit answer success.
    return new TransactWriteCommand({ TransactItems, ClientRequestToken: randomUUID() });
  }

  async query(pk: string, options: QueryOptions = {}): Promise<Item[]> {
    const onIndex = options.index === 'gsi1';
    const pkName = onIndex ? tableDefinition.gsi1.partitionKey : tableDefinition.partitionKey;
    const skName = onIndex ? tableDefinition.gsi1.sortKey : tableDefinition.sortKey;
    const range = this.keyRange(options);
    // DynamoDB refuses Limit 0; the port's answer to "at most none" is simply nothing.
    if (range === 'empty' || options.limit === 0) return [];

    const names: Record<string, string> = { '#pk': pkName };
    const values: Record<string, unknown> = { ':pk': pk };
    let keyCondition = '#pk = :pk';
    if (range) {
      names['#sk'] = skName;
      values[':sk'] = range.value;
      keyCondition += range.op === 'begins_with' ? ' AND begins_with(#sk, :sk)' : ` AND #sk ${range.op} :sk`;
    }

    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const results: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    let pageSize = Number.isFinite(limit) ? limit : undefined;
    const now = this.now();
    do {
      const input: QueryCommandInput = {
        TableName: this.tableName,
        KeyConditionExpression: keyCondition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: !options.reverse,
        ExclusiveStartKey: startKey,
        ...(onIndex ? { IndexName: tableDefinition.gsi1.indexName } : { ConsistentRead: true }),
        ...(pageSize === undefined ? {} : { Limit: pageSize }),
      };
      const page = await this.client.send(new QueryCommand(input));
      for (const raw of page.Items ?? []) {
        const item = raw as Item;
        const sortKey = item[skName];
        // A range query (after a cursor) runs on past the prefix: everything beyond it is out.
        if (options.prefix !== undefined && !(typeof sortKey === 'string' && sortKey.startsWith(options.prefix))) {
          return results;
        }
        if (this.expired(item, now)) continue;
        results.push(item);
        if (results.length >= limit) return results;
      }
      startKey = page.LastEvaluatedKey;
      // Pages thinned by expired items: read more at a time rather than crawl one by one.
      if (pageSize !== undefined) pageSize = Math.min(Math.max(pageSize * 2, limit - results.length), 1000);
    } while (startKey);
    return results;
  }

  /**
   * The single sort-key condition DynamoDB allows, combining `prefix` and `after`. Keys sort by
   * UTF-8 bytes and every key carrying the prefix sorts at or after the prefix itself.
   */
  private keyRange(options: QueryOptions): { op: string; value: string } | 'empty' | null {
    const { prefix, after, reverse } = options;
    if (after === undefined) return prefix === undefined || prefix === '' ? null : { op: 'begins_with', value: prefix };
    const op = reverse ? '<' : '>';
    if (prefix === undefined || prefix === '' || after.startsWith(prefix)) return { op, value: after };
    const cursorBeforePrefix = compareUtf8(after, prefix) < 0;
    if (reverse) return cursorBeforePrefix ? 'empty' : { op: 'begins_with', value: prefix };
    return cursorBeforePrefix ? { op: 'begins_with', value: prefix } : 'empty';
  }

  private expired(item: Record<string, unknown>, now = this.now()): boolean {
    const expiresAt = item[ttl];
    return typeof expiresAt === 'number' && expiresAt <= now;
  }

  /** The port's condition as a DynamoDB condition expression, expired items counting as absent. */
  private expression(condition: Condition | undefined): Expression {
    if (!condition) return {};
    const names: Record<string, string> = { '#pk': tableDefinition.partitionKey, '#ttl': ttl };
    const values: Record<string, unknown> = { ':now': this.now() };
    const live = '(attribute_exists(#pk) AND (attribute_not_exists(#ttl) OR #ttl > :now))';
    if ('exists' in condition) {
      const ConditionExpression = condition.exists ? live : '(attribute_not_exists(#pk) OR #ttl <= :now)';
      return { ConditionExpression, ExpressionAttributeNames: names, ExpressionAttributeValues: values };
    }
    const clauses = [live];
    Object.entries(condition.equals).forEach(([attribute, value], index) => {
      names[`#a${index}`] = attribute;
      values[`:v${index}`] = value as AttributeValue;
      clauses.push(
        value === null ? `(attribute_not_exists(#a${index}) OR #a${index} = :v${index})` : `#a${index} = :v${index}`,
      );
    });
    return {
      ConditionExpression: clauses.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
  }

  /** Runs a conditional write, turning DynamoDB's condition failures into the port's error. */
  private async conditional(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'ConditionalCheckFailedException') throw new ConditionFailedError();
      if (name === 'TransactionCanceledException') {
        const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
        if (reasons.some((reason) => reason.Code === 'ConditionalCheckFailed')) throw new ConditionFailedError();
      }
      throw error;
    }
  }
}

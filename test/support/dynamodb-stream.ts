import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { OutboxStreamRecord } from '../../functions/adapters/aws/outbox.js';

/**
 * Reads a table's DynamoDB stream the way a Lambda event source mapping does (every shard from
 * its start, in order), so a test can hand the records to the same handler Lambda would call.
 */
export class StreamReader {
  private readonly streams: DynamoDBStreamsClient;
  private readonly iterators = new Map<string, string | undefined>();
  private arn: string | undefined;

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly table: string,
    env: Record<string, string>,
  ) {
    this.streams = new DynamoDBStreamsClient({
      region: env.AWS_REGION ?? 'us-east-1',
      endpoint: env.AWS_ENDPOINT_URL,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'test', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'test' },
    });
  }

  /** Every record written since the last call (all of them on the first). */
  async read(): Promise<OutboxStreamRecord[]> {
    this.arn ??= (await this.dynamodb.send(new DescribeTableCommand({ TableName: this.table }))).Table?.LatestStreamArn;
    if (!this.arn) throw new Error(`table ${this.table} has no stream`);
    const { StreamDescription } = await this.streams.send(new DescribeStreamCommand({ StreamArn: this.arn }));
    const records: OutboxStreamRecord[] = [];
    for (const shard of StreamDescription?.Shards ?? []) {
      const id = shard.ShardId!;
      if (!this.iterators.has(id)) {
        const { ShardIterator } = await this.streams.send(
          new GetShardIteratorCommand({ StreamArn: this.arn, ShardId: id, ShardIteratorType: 'TRIM_HORIZON' }),
        );
        this.iterators.set(id, ShardIterator);
      }
      let iterator = this.iterators.get(id);
      while (iterator) {
        const page = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        records.push(...((page.Records ?? []) as OutboxStreamRecord[]));
        const next = page.NextShardIterator;
        if (!page.Records?.length) {
          this.iterators.set(id, next);
          break;
        }
        iterator = next;
        this.iterators.set(id, next);
      }
    }
    return records;
  }

  destroy(): void {
    this.streams.destroy();
  }
}

import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue as DynamoAttributeValue } from '@aws-sdk/client-dynamodb';
import { parseJob, type Job } from '../../core/jobs.js';
import type { Item, Key, Table, WriteOp } from '../../ports/table.js';
import { indexPartitions, partitions } from '../../table-layout.js';

/**
 * The outbox on AWS. A domain write that causes jobs puts an outbox item in its own DynamoDB
 * transaction; the table's stream (NEW_IMAGE) hands every new outbox item to the relay Lambda,
 * which sends the job to SQS and then deletes the item. The stream keeps records for 24 hours and
 * the relay is retried until it succeeds, so a committed job reaches SQS at least once; a sweep on
 * the scheduler's tick relays whatever the stream could not (items older than a few minutes).
 *
 *   pk outbox#<job id>   sk job   job, gsi1: outbox / <created at>#<job id>, expiresAt (14 days)
 */
const ttlSeconds = 14 * 24 * 60 * 60;

export function outboxKey(id: string): Key {
  return { pk: `${partitions.outbox}${id}`, sk: 'job' };
}

export function outboxOp(job: Job, now = new Date()): WriteOp {
  const checked = parseJob(job);
  return {
    put: {
      ...outboxKey(checked.id),
      job: checked as unknown as Item[string],
      gsi1pk: indexPartitions.outbox,
      gsi1sk: `${now.toISOString()}#${checked.id}`,
      expiresAt: Math.floor(now.getTime() / 1000) + ttlSeconds,
    },
  };
}

/** The part of a DynamoDB stream record the relay reads (aws-lambda's DynamoDBRecord). */
export interface OutboxStreamRecord {
  eventName?: string;
  dynamodb?: { NewImage?: Record<string, unknown>; SequenceNumber?: string };
}

/**
 * Relays the outbox items among stream records: `send` each job (to SQS), then delete its item.
 * Returns the sequence numbers of records that failed, for the event source's partial batch
 * response (ReportBatchItemFailures); other records are ignored.
 */
export async function relayStreamRecords(
  records: OutboxStreamRecord[],
  table: Table,
  send: (job: Job) => Promise<void>,
  onError: (error: unknown, record: OutboxStreamRecord) => void = () => {},
): Promise<string[]> {
  const failed: string[] = [];
  for (const record of records) {
    if (record.eventName !== 'INSERT' || !record.dynamodb?.NewImage) continue;
    const item = unmarshall(record.dynamodb.NewImage as Record<string, DynamoAttributeValue>) as Item;
    if (typeof item.pk !== 'string' || !item.pk.startsWith(partitions.outbox)) continue;
    try {
      // Sent only while the item is still there: a record the stream delivers again after the
      // item was relayed and deleted is not sent twice, and an emulator's record of an item its
      // cancelled transaction never kept (moto emits those) is not sent at all.
      const stored = await table.get({ pk: item.pk, sk: item.sk });
      if (stored) await relayItem(stored, table, send);
    } catch (error) {
      onError(error, record);
      // Records of one shard are in order: report this one and everything after it as failed.
      if (record.dynamodb.SequenceNumber) failed.push(record.dynamodb.SequenceNumber);
      break;
    }
  }
  return failed;
}

async function relayItem(item: Item, table: Table, send: (job: Job) => Promise<void>): Promise<void> {
  let job: Job;
  try {
    job = parseJob(item.job);
  } catch {
    // Not a job any worker could run; retrying cannot help. Dropped, as SQS would dead-letter it.
    await table.delete({ pk: item.pk, sk: item.sk });
    return;
  }
  await send(job);
  await table.delete({ pk: item.pk, sk: item.sk });
}

/**
 * Relays outbox items older than `olderThanMs` that are still in the table: the stream relay
 * failed for them, or (`BERTH_BACKEND=aws npm start`, no Lambda) nothing reads the stream.
 * Returns how many it relayed.
 */
export async function sweepOutbox(table: Table, send: (job: Job) => Promise<void>, olderThanMs: number, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - olderThanMs).toISOString();
  const items = await table.query(indexPartitions.outbox, { index: 'gsi1', limit: 100 });
  let relayed = 0;
  for (const entry of items) {
    if ((entry.gsi1sk ?? '') > cutoff) break;
    // The index is eventually consistent: read the item itself, which may be gone already.
    const item = await table.get({ pk: entry.pk, sk: entry.sk });
    if (!item) continue;
    await relayItem(item, table, send);
    relayed += 1;
  }
  return relayed;
}

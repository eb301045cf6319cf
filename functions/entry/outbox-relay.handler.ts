import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { relayStreamRecords, type OutboxStreamRecord } from '../adapters/aws/outbox.js';
import { createAwsDeps } from './aws-deps.js';

type RelayHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

const logger = new Logger({ serviceName: 'berth-outbox-relay' });

/**
 * The outbox relay: a Lambda on the table's stream (filtered to new `outbox#` items) that sends
 * each committed job to its SQS queue and deletes the item. Failed records are reported back
 * (ReportBatchItemFailures), so the stream retries from the first of them.
 */
export function createRelayHandler(env: Record<string, string | undefined> = process.env): RelayHandler {
  const deps = createAwsDeps(env);
  return async (event) => {
    const failed = await relayStreamRecords(event.Records as OutboxStreamRecord[], deps.table, (job) => deps.queue.enqueue(job), (error) =>
      logger.error('outbox relay failed', { error: error as Error }),
    );
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

let instance: RelayHandler | undefined;

export const handler: RelayHandler = (event) => {
  instance ??= createRelayHandler();
  return instance(event);
};

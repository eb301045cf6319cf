import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { relayStreamRecords, type OutboxStreamRecord } from '../adapters/aws/outbox.js';
import { loadConfig } from '../config.js';
import { configureLogging, logger } from '../ops/logger.js';
import { createAwsDeps } from './aws-deps.js';

type RelayHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

/**
 * The outbox relay: a Lambda on the table's stream (filtered to new `outbox#` items) that sends
 * each committed job to its SQS queue and deletes the item. Failed records are reported back
 * (ReportBatchItemFailures), so the stream retries from the first of them.
 */
export function createRelayHandler(env: Record<string, string | undefined> = process.env): RelayHandler {
  const config = loadConfig(env);
  configureLogging(config);
  const deps = createAwsDeps(config);
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

import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { BlobLinks } from '../registry/blob-links.js';
import { jobHandlers } from '../worker/handlers.js';
import { sqsBatchHandler } from '../worker/sqs-batch.js';
import { createAwsDeps } from './aws-deps.js';

type WorkerHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

const logger = new Logger({ serviceName: 'berth-worker' });

/** The SQS-triggered worker with the AWS adapters (BERTH_BUCKET, BERTH_TABLE, BERTH_QUEUE_URL). */
export function createWorkerHandler(env: Record<string, string | undefined> = process.env): WorkerHandler {
  const deps = createAwsDeps(env);
  const links = new BlobLinks(deps.table);
  const handle = jobHandlers({
    table: deps.table,
    blobs: deps.blobs,
    blobInUse: async (digest) => (await links.repositoriesHolding(digest, 1)).length > 0,
  });
  return sqsBatchHandler(handle, logger);
}

let instance: WorkerHandler | undefined;

/** Lambda entry, on the job queue's event source with ReportBatchItemFailures. */
export const handler: WorkerHandler = (event, context) => {
  instance ??= createWorkerHandler();
  return instance(event, context);
};

import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { sweepOutbox } from '../adapters/aws/outbox.js';
import { sqsBatchHandler } from '../worker/sqs-batch.js';
import { loadConfig } from '../config.js';
import { CloudWatchMetrics } from '../ops/cloudwatch-metrics.js';
import { configureLogging, logger } from '../ops/logger.js';
import { countedJobs } from '../ops/metrics.js';
import { createAwsDeps } from './aws-deps.js';
import { compose } from './compose.js';

type WorkerHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/** Outbox items older than this are relayed by the sweep: the stream relay had its chance. */
const outboxSweepAgeMs = 5 * 60 * 1000;

/**
 * The SQS-triggered worker with the AWS adapters (BERTH_BUCKET, BERTH_TABLE, BERTH_QUEUE_URL,
 * BERTH_LONG_QUEUE_URL). The same code serves the short and the long queue: each function is
 * sized for its queue by the CDK app, and the dispatch runs whatever kind arrives.
 */
export async function createWorkerHandler(env: Record<string, string | undefined> = process.env): Promise<WorkerHandler> {
  const config = loadConfig(env);
  configureLogging(config);
  const deps = createAwsDeps(config);
  const { worker } = await compose(deps, config, {
    alsoOnTick: [() => sweepOutbox(deps.table, (job) => deps.queue.enqueue(job), outboxSweepAgeMs)],
  });
  return sqsBatchHandler(countedJobs(worker, new CloudWatchMetrics(config.POWERTOOLS_SERVICE_NAME)), logger);
}

let instance: Promise<WorkerHandler> | undefined;

/** Lambda entry, on a job queue's event source with ReportBatchItemFailures. */
export const handler: WorkerHandler = async (event, context) => {
  instance ??= createWorkerHandler().catch((error: unknown) => {
    instance = undefined;
    throw error;
  });
  return (await instance)(event, context);
};

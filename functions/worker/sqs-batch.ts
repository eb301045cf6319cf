import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseJob } from '../core/jobs.js';
import type { JobHandler } from '../ports/job-queue.js';

/**
 * The SQS side of a worker: each record of a batch is parsed into a job and handed to `handle`;
 * the records that failed are reported back (partial batch response) so SQS redelivers only those
 * and, after the redrive policy's count, moves them to the dead-letter queue. A body that is not
 * a known job fails like any other error: retrying cannot fix it, but the DLQ keeps it for a human
 * rather than dropping it.
 */
export function sqsBatchHandler(
  handle: JobHandler,
  logger: Logger,
): (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  const processRecord = async (record: SQSRecord): Promise<void> => {
    const attempt = Number(record.attributes?.ApproximateReceiveCount ?? 1);
    let job;
    try {
      job = parseJob(JSON.parse(record.body));
    } catch (error) {
      logger.error('unparseable job message', { messageId: record.messageId, attempt, error: error as Error });
      throw error;
    }
    try {
      await handle(job);
    } catch (error) {
      logger.warn('job failed', { messageId: record.messageId, kind: job.kind, jobId: job.id, attempt, error: error as Error });
      throw error;
    }
  };
  return (event, context) =>
    processPartialResponse(event, processRecord, processor, {
      ...(context ? { context } : {}),
      // A batch that failed whole is reported the same way, record by record, instead of as one
      // thrown error: SQS then treats every record alike and the logs name each one.
      throwOnFullBatchFailure: false,
    });
}

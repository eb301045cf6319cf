import { GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { isLongJob, type Job, jobSchema } from '../../core/jobs.js';
import type { JobQueue, QueueDepth } from '../../ports/job-queue.js';
import type { WriteOp } from '../../ports/table.js';
import { outboxOp } from './outbox.js';

export interface SqsQueueUrls {
  /** Audit records, webhooks, event fan-out, small GC steps. */
  short: string;
  /** Jobs in `longJobKinds` (replication, scanning); the short queue when absent. */
  long?: string;
}

/**
 * JobQueue on SQS standard queues, one for short jobs and one for long ones. The workers are
 * Lambda functions on the queues' event sources (functions/entry/worker.handler.ts); retries come
 * from the visibility timeout and the dead-letter queue from each queue's redrive policy, so
 * nothing here counts attempts. Jobs committed with a domain write go through the table's outbox
 * (outbox.ts) and reach SQS through the stream relay.
 */
export class SqsJobQueue implements JobQueue {
  private readonly urls: Required<SqsQueueUrls>;

  constructor(
    private readonly sqs: SQSClient,
    urls: SqsQueueUrls | string,
  ) {
    const given = typeof urls === 'string' ? { short: urls } : urls;
    this.urls = { short: given.short, long: given.long ?? given.short };
  }

  async enqueue(job: Job): Promise<void> {
    // Checked here too, so a malformed job fails its producer instead of waiting for the DLQ.
    const checked = jobSchema.parse(job);
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: isLongJob(checked) ? this.urls.long : this.urls.short,
        MessageBody: JSON.stringify(checked),
        MessageAttributes: { kind: { DataType: 'String', StringValue: checked.kind } },
      }),
    );
  }

  enqueueOp(job: Job): WriteOp {
    return outboxOp(job);
  }

  async depth(): Promise<QueueDepth> {
    const count = async (url: string) => {
      const { Attributes } = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }));
      return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
    };
    const [short, long] = await Promise.all([count(this.urls.short), this.urls.long === this.urls.short ? 0 : count(this.urls.long)]);
    return { short, long };
  }
}

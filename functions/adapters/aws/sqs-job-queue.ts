import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type Job, jobSchema } from '../../core/jobs.js';
import type { JobQueue } from '../../ports/job-queue.js';

/**
 * JobQueue on an SQS standard queue. The worker is a Lambda function on the queue's event source
 * (functions/entry/worker.handler.ts); retries come from the visibility timeout and the
 * dead-letter queue from the queue's redrive policy (resource-definitions.ts), so nothing here
 * counts attempts.
 */
export class SqsJobQueue implements JobQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(job: Job): Promise<void> {
    // Checked here too, so a malformed job fails its producer instead of waiting for the DLQ.
    const checked = jobSchema.parse(job);
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(checked),
        MessageAttributes: { kind: { DataType: 'String', StringValue: checked.kind } },
      }),
    );
  }
}

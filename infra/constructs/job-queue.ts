import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface JobQueueProps {
  /** Receives before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** Timeout of the worker that consumes the queue. */
  readonly consumerTimeout: Duration;
}

/**
 * A work queue with its dead-letter queue. A job that fails `maxReceiveCount` times is parked in
 * the DLQ (kept 14 days, alarmed on) instead of being retried forever or dropped.
 */
export class JobQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: JobQueueProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the consumer timeout, as Lambda's SQS event source recommends, so a batch still
      // being processed (or retried by the poller) is not handed to a second worker.
      visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }
}

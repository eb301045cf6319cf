import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { longQueueDefinition, queueDefinition } from '../../functions/adapters/aws/resource-definitions.js';

export interface JobQueueProps {
  /** The queue's shape: short jobs (the default) or long ones. */
  readonly definition?: typeof queueDefinition | typeof longQueueDefinition;
}

/**
 * A work queue with its dead-letter queue, shaped by resource-definitions.ts (shared with
 * `npm run aws:bootstrap`): a job that fails `maxReceiveCount` times is parked in the DLQ
 * (kept 14 days, alarmed on) instead of being retried forever or dropped. Three receives ride
 * out a throttle or a deploy without letting a poison message cost more than three runs.
 */
export class JobQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: JobQueueProps = {}) {
    super(scope, id);
    const definition = props.definition ?? queueDefinition;
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(definition.deadLetterRetentionSeconds),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: definition.maxReceiveCount },
    });
  }
}

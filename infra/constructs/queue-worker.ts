import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { LogRetentionDays, WorkerConfig } from '../config/stage-config.js';
import { queueDefinition } from '../../functions/adapters/aws/resource-definitions.js';
import { BerthFunction } from './berth-function.js';

export interface QueueWorkerProps {
  readonly entry: string;
  readonly queue: IQueue;
  readonly description: string;
  readonly config: WorkerConfig;
  readonly environment: Record<string, string>;
  readonly logRetentionDays: LogRetentionDays;
  /** Defaults: the short queue's worker timeout, 512 MiB. */
  readonly timeoutSeconds?: number;
  readonly memoryMiB?: number;
}

/**
 * A Lambda function fed by an SQS queue. It reports failed messages one by one (partial batch
 * responses), so a poison message is retried and dead-lettered alone while the rest of its batch
 * is deleted; `maxConcurrency` caps how hard a backlog can hit the table.
 */
export class QueueWorker extends Construct {
  readonly handler: BerthFunction;

  constructor(scope: Construct, id: string, props: QueueWorkerProps) {
    super(scope, id);
    this.handler = new BerthFunction(this, 'Handler', {
      entry: props.entry,
      description: props.description,
      memoryMiB: props.memoryMiB ?? 512,
      timeout: Duration.seconds(props.timeoutSeconds ?? queueDefinition.workerTimeoutSeconds),
      environment: props.environment,
      logRetentionDays: props.logRetentionDays,
    });
    this.handler.function.addEventSource(
      new SqsEventSource(props.queue, {
        batchSize: props.config.batchSize,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        maxConcurrency: props.config.maxConcurrency,
      }),
    );
  }
}

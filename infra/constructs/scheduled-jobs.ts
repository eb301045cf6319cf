import { Duration } from 'aws-cdk-lib';
import { Schedule, ScheduleExpression, ScheduleTargetInput, ContextAttribute } from 'aws-cdk-lib/aws-scheduler';
import { SqsSendMessage } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** A job the scheduler drops on the jobs queue at a fixed rate. */
export interface ScheduledJob {
  /** Construct id, and the job `kind` the worker dispatches on. */
  readonly kind: string;
  readonly description: string;
  readonly schedule: ScheduleExpression;
  /**
   * Whether the schedule fires. A job whose kind the worker does not know yet stays disabled:
   * otherwise every run would end in the dead-letter queue.
   */
  readonly enabled: boolean;
}

/**
 * Periodic jobs. One tick a minute is all: the schedules users set (garbage collection, scan all,
 * scheduled replication, retention) live in the table with their own cron, and the tick enqueues
 * those that are due (functions/schedules/). The tick also relays outbox items the stream relay
 * could not.
 */
export const scheduledJobs: readonly ScheduledJob[] = [
  {
    kind: 'schedule-tick',
    description: 'Berth: enqueue the schedules that are due',
    schedule: ScheduleExpression.rate(Duration.minutes(1)),
    enabled: true,
  },
];

export interface ScheduledJobsProps {
  readonly queue: IQueue;
  readonly jobs: readonly ScheduledJob[];
}

/**
 * EventBridge Scheduler schedules that enqueue versioned job messages. The scheduler sends with
 * its own role, so the queue policy (in the stateful stack) does not have to name these schedules.
 * The execution id becomes the job id, which is what workers de-duplicate redeliveries on.
 */
export class ScheduledJobs extends Construct {
  readonly schedules: Schedule[] = [];

  constructor(scope: Construct, id: string, props: ScheduledJobsProps) {
    super(scope, id);
    for (const job of props.jobs) {
      this.schedules.push(
        new Schedule(this, job.kind, {
          description: job.description,
          schedule: job.schedule,
          enabled: job.enabled,
          target: new SqsSendMessage(props.queue, {
            input: ScheduleTargetInput.fromObject({
              version: 1,
              kind: job.kind,
              id: ContextAttribute.executionId,
            }),
          }),
        }),
      );
    }
  }
}

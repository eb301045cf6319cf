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
 * Periodic jobs. Not implemented yet, so registered disabled (the issues that bring the job
 * kinds enable them): `gc-sweep` (garbage collection of blobs no manifest references) and
 * `replication-schedule` (scheduled replication policies).
 */
export const scheduledJobs: readonly ScheduledJob[] = [
  {
    kind: 'gc-sweep',
    description: 'Berth: sweep blobs no manifest references',
    schedule: ScheduleExpression.cron({ minute: '17', hour: '3' }),
    enabled: false,
  },
  {
    kind: 'replication-schedule',
    description: 'Berth: run scheduled replication policies',
    schedule: ScheduleExpression.cron({ minute: '5' }),
    enabled: false,
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
              at: ContextAttribute.scheduledTime,
            }),
          }),
        }),
      );
    }
  }
}

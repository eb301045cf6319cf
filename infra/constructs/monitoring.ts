import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { HttpCodeTarget } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { UploadService } from './upload-service.js';
import { Construct } from 'constructs';
import { acknowledge } from '../nag/acknowledge.js';

export interface MonitoredQueue {
  readonly name: string;
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
}

export interface MonitoredFunction {
  readonly name: string;
  readonly function: IFunction;
}

export interface MonitoringProps {
  readonly api: HttpApi;
  readonly functions: readonly MonitoredFunction[];
  readonly queues: readonly MonitoredQueue[];
  readonly uploadService?: UploadService;
  readonly alarmEmail?: string;
  /** Share of API requests answered 5xx over 5 minutes that raises the alarm, in percent. */
  readonly serverErrorPercent?: number;
}

const fiveMinutes = Duration.minutes(5);

/**
 * Alarms that mean "someone should look", sent to one SNS topic, and a dashboard of one region:
 * dead-lettered jobs, server errors of the API, Lambda errors and throttles, and the upload
 * service's errors and health.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = new Topic(this, 'AlarmTopic', { displayName: 'Berth alarms', enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    acknowledge(this.topic, {
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry no data; CloudWatch cannot publish to a topic under the AWS-managed SNS key, and a customer key costs $1/month per region for nothing to protect.',
    });

    const alarmOn = (alarmId: string, metric: IMetric, threshold: number, description: string) => {
      const alarm = new Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      alarm.addAlarmAction(new SnsAction(this.topic));
      alarm.addOkAction(new SnsAction(this.topic));
      this.alarms.push(alarm);
      return alarm;
    };

    const requests = props.api.metricCount({ period: fiveMinutes, statistic: 'Sum' });
    const serverErrors = props.api.metricServerError({ period: fiveMinutes, statistic: 'Sum' });
    const serverErrorRate = new MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { requests, errors: serverErrors },
      label: 'API 5xx %',
      period: fiveMinutes,
    });
    alarmOn(
      'Api5xxRate',
      serverErrorRate,
      props.serverErrorPercent ?? 5,
      'More than the allowed share of registry API requests answered 5xx in 5 minutes.',
    );

    for (const { name, function: fn } of props.functions) {
      alarmOn(`${name}Errors`, fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' }), 1, `${name} function invocations failed.`);
      alarmOn(`${name}Throttles`, fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }), 1, `${name} function invocations were throttled.`);
    }
    for (const { name, deadLetterQueue } of props.queues) {
      alarmOn(
        `${name}DeadLetters`,
        deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        1,
        `Jobs of the ${name} queue failed repeatedly and were dead-lettered.`,
      );
    }

    const upload = props.uploadService;
    if (upload) {
      const tg = upload.targetGroup.metrics;
      alarmOn('UploadTarget5xx', tg.httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, { period: fiveMinutes, statistic: 'Sum' }), 5, 'The upload service answered 5xx.');
      alarmOn('UploadUnhealthyTasks', tg.unhealthyHostCount({ period: Duration.minutes(1), statistic: 'Maximum' }), 1, 'An upload service task fails its health check.');
    }

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      graph('API requests', [requests]),
      graph('API 5xx / 4xx', [serverErrors, props.api.metricClientError({ period: fiveMinutes, statistic: 'Sum' })]),
      graph('API latency p50 / p99', [
        props.api.metricLatency({ period: fiveMinutes, statistic: 'p50' }),
        props.api.metricLatency({ period: fiveMinutes, statistic: 'p99' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Function errors', props.functions.map((f) => f.function.metricErrors({ period: fiveMinutes, label: f.name }))),
      graph('Function throttles', props.functions.map((f) => f.function.metricThrottles({ period: fiveMinutes, label: f.name }))),
      graph('Function duration p99', props.functions.map((f) => f.function.metricDuration({ period: fiveMinutes, statistic: 'p99', label: f.name }))),
    );
    this.dashboard.addWidgets(
      graph('Queue depth', props.queues.map((q) => q.queue.metricApproximateNumberOfMessagesVisible({ label: q.name }))),
      graph('Oldest job age (s)', props.queues.map((q) => q.queue.metricApproximateAgeOfOldestMessage({ label: q.name }))),
      graph('Dead-lettered jobs', props.queues.map((q) => q.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: q.name }))),
    );
    if (upload) {
      const tg = upload.targetGroup.metrics;
      this.dashboard.addWidgets(
        graph('Upload requests', [tg.requestCount({ period: fiveMinutes })]),
        graph('Upload 5xx', [tg.httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, { period: fiveMinutes })]),
        graph('Upload tasks CPU / memory %', [upload.service.metricCpuUtilization(), upload.service.metricMemoryUtilization()]),
      );
    }
  }
}


function graph(title: string, left: IMetric[]): GraphWidget {
  return new GraphWidget({ title, left, width: 8 });
}

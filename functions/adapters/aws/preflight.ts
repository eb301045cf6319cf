import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { AwsClients } from '../../entry/aws-clients.js';

export interface AwsResources {
  bucket: string;
  table: string;
  queueUrls: string[];
}

/**
 * Checks at start that every AWS resource a long-running process uses exists and answers, so a
 * wrong name or an unreachable endpoint stops the process with one line instead of showing up
 * as a 500 on the first push. Resolves with the problems found, each naming its variable.
 */
export async function checkAwsResources(clients: Pick<AwsClients, 's3' | 'dynamodb' | 'sqs'>, resources: AwsResources, timeoutMs = 15_000): Promise<string[]> {
  const signal = AbortSignal.timeout(timeoutMs);
  const reason = (error: unknown) => {
    const e = error as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    if (signal.aborted) return `no answer within ${timeoutMs / 1000} s`;
    return [e.name, e.code, e.$metadata?.httpStatusCode, e.message].filter(Boolean).join(': ');
  };
  const checks: Promise<string | null>[] = [
    clients.s3.send(new HeadBucketCommand({ Bucket: resources.bucket }), { abortSignal: signal }).then(
      () => null,
      (error) => `BERTH_BUCKET=${resources.bucket}: bucket missing or unreachable (${reason(error)})`,
    ),
    clients.dynamodb.send(new DescribeTableCommand({ TableName: resources.table }), { abortSignal: signal }).then(
      () => null,
      (error) => `BERTH_TABLE=${resources.table}: table missing or unreachable (${reason(error)})`,
    ),
    ...[...new Set(resources.queueUrls)].map((url, i) =>
      clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }), { abortSignal: signal }).then(
        () => null,
        (error) => `${i === 0 ? 'BERTH_QUEUE_URL' : 'BERTH_LONG_QUEUE_URL'}=${url}: queue missing or unreachable (${reason(error)})`,
      ),
    ),
  ];
  return (await Promise.all(checks)).filter((problem): problem is string => problem !== null);
}

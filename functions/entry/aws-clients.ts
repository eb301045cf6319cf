import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface AwsClients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  document: DynamoDBDocumentClient;
  sqs: SQSClient;
}

/**
 * SDK clients for the registry. Region, credentials and endpoint come from the SDK's standard
 * settings (AWS_REGION, AWS_ENDPOINT_URL, the Lambda role), passed explicitly here only so tests
 * can point one process at several endpoints. Throttling (S3 SlowDown and 503, DynamoDB
 * ProvisionedThroughputExceeded) is retried by the SDK's standard strategy with jittered
 * exponential backoff; `maxAttempts` raises its default of 3 because a push that fails on a
 * throttle costs the client a whole layer re-upload.
 */
export function createAwsClients(env: Record<string, string | undefined> = process.env): AwsClients {
  const endpoint = env.AWS_ENDPOINT_URL || undefined;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
  const common = {
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    maxAttempts: Number(env.BERTH_AWS_MAX_ATTEMPTS ?? 8),
    retryMode: 'standard',
  };
  // Emulators (LocalStack, moto) serve every bucket on one host: path-style addressing.
  const s3 = new S3Client({ ...common, forcePathStyle: Boolean(endpoint) });
  const dynamodb = new DynamoDBClient(common);
  const document = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: false },
  });
  const sqs = new SQSClient(common);
  return { s3, dynamodb, document, sqs };
}

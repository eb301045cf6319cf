import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { handle } from 'hono/aws-lambda';
import { DynamoDbTable } from '../adapters/aws/dynamodb-table.js';
import { outboxOp } from '../adapters/aws/outbox.js';
import type { AppDeps } from '../app-env.js';
import { type Config, loadConfig } from '../config.js';
import { CloudWatchMetrics } from '../ops/cloudwatch-metrics.js';
import { configureLogging } from '../ops/logger.js';
import { composeApp } from './compose-app.js';
import { documentClientOptions, s3ClientConfig, sdkClientConfig } from './aws-client-config.js';
import { readAwsEnv } from './aws-env.js';
import { DeferredBlobStore, DeferredJobQueue } from './deferred-ports.js';
import { lambdaPeerAddress } from './peer-address.js';

/**
 * Largest request body the function can take. Lambda refuses a synchronous invocation whose
 * event exceeds 6,291,456 bytes, and API Gateway puts a binary body in the event base64-encoded
 * (4 bytes for every 3). What is left after 64 KiB of headers and event fields: 4,669,440 bytes.
 */
export const lambdaMaxRequestBytes = Math.floor(((6_291_456 - 64 * 1024) * 3) / 4);

type ApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

/**
 * The API's dependencies. The table serves nearly every request and is built at once; S3 and SQS
 * (their SDK clients are most of the bundle) load with the first request that needs them, so a
 * cold start answers `GET /v2/` and metadata requests without paying for them.
 */
function createApiDeps(settings: Config): AppDeps {
  const { bucket, table, queueUrl, longQueueUrl, config } = readAwsEnv(settings, { maxRequestBytes: lambdaMaxRequestBytes });
  const document = DynamoDBDocumentClient.from(new DynamoDBClient(sdkClientConfig(settings)), documentClientOptions);
  return {
    table: new DynamoDbTable(document, table),
    blobs: new DeferredBlobStore(async () => {
      const [{ S3Client }, { S3BlobStore }] = await Promise.all([
        import('@aws-sdk/client-s3'),
        import('../adapters/aws/s3-blob-store.js'),
      ]);
      return new S3BlobStore(new S3Client(s3ClientConfig(settings)), bucket);
    }),
    queue: new DeferredJobQueue(async () => {
      const [{ SQSClient }, { SqsJobQueue }] = await Promise.all([
        import('@aws-sdk/client-sqs'),
        import('../adapters/aws/sqs-job-queue.js'),
      ]);
      return new SqsJobQueue(new SQSClient(sdkClientConfig(settings)), { short: queueUrl, long: longQueueUrl });
    }, outboxOp),
    config,
    peerAddress: lambdaPeerAddress,
  };
}

/**
 * The app behind an API Gateway HTTP API (payload format 2.0), with the AWS adapters, composed like
 * every other entry point (compose-app.ts), without the job handlers only workers run.
 */
export async function createApiHandler(env: Record<string, string | undefined> = process.env): Promise<ApiHandler> {
  const config = loadConfig(env);
  configureLogging(config);
  const deps = createApiDeps(config);
  deps.metrics = new CloudWatchMetrics(config.POWERTOOLS_SERVICE_NAME);
  const { app } = await composeApp(deps, config);
  // Every response body goes back base64-encoded: manifests must reach the client byte for byte,
  // and a text round trip through the runtime would drop a byte order mark.
  return handle(app, { isContentTypeBinary: () => true }) as ApiHandler;
}

let instance: Promise<ApiHandler> | undefined;

/** Lambda entry: built on the first request, so a misconfiguration shows in that request's log. */
export const handler: ApiHandler = async (event, context) => {
  instance ??= createApiHandler().catch((error: unknown) => {
    instance = undefined;
    throw error;
  });
  return (await instance)(event, context);
};

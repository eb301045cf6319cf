import { DynamoDbTable } from '../adapters/aws/dynamodb-table.js';
import { S3BlobStore } from '../adapters/aws/s3-blob-store.js';
import { SqsJobQueue } from '../adapters/aws/sqs-job-queue.js';
import { type AppDeps, defaultRegistryConfig, type RegistryConfig } from '../app-env.js';
import { type AwsClients, createAwsClients } from './aws-clients.js';

export interface AwsDeps extends AppDeps {
  blobs: S3BlobStore;
  table: DynamoDbTable;
  queue: SqsJobQueue;
  clients: AwsClients;
}

function required(env: Record<string, string | undefined>, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} must be set to run Berth on AWS`);
  return value;
}

/**
 * The registry's dependencies on AWS, from the environment:
 *   BERTH_BUCKET, BERTH_TABLE, BERTH_QUEUE_URL   the resources (npm run aws:bootstrap, or the CDK app)
 *   BERTH_UPLOAD_SERVICE_URL                     base URL of the upload service, if the stage has one
 *   BERTH_UPLOAD_TOKEN_SECRET                    shared by the API and the upload service (32+ bytes)
 *   AWS_REGION, AWS_ENDPOINT_URL, credentials    the SDK's standard settings
 * `config` overrides what the runtime knows better (the Lambda request limit).
 */
export function createAwsDeps(
  env: Record<string, string | undefined> = process.env,
  config: Partial<RegistryConfig> = {},
): AwsDeps {
  const clients = createAwsClients(env);
  const secret = env.BERTH_UPLOAD_TOKEN_SECRET;
  const uploadServiceUrl = env.BERTH_UPLOAD_SERVICE_URL || undefined;
  if (uploadServiceUrl && (!secret || secret.length < 32)) {
    throw new Error('BERTH_UPLOAD_TOKEN_SECRET (at least 32 characters) must be set with BERTH_UPLOAD_SERVICE_URL');
  }
  return {
    clients,
    blobs: new S3BlobStore(clients.s3, required(env, 'BERTH_BUCKET')),
    table: new DynamoDbTable(clients.document, required(env, 'BERTH_TABLE')),
    queue: new SqsJobQueue(clients.sqs, required(env, 'BERTH_QUEUE_URL')),
    config: {
      ...defaultRegistryConfig,
      ...(uploadServiceUrl ? { uploadServiceUrl } : {}),
      ...(secret ? { uploadTokenSecret: new TextEncoder().encode(secret) } : {}),
      ...config,
    },
  };
}

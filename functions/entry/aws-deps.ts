import { DynamoDbTable } from '../adapters/aws/dynamodb-table.js';
import { S3BlobStore } from '../adapters/aws/s3-blob-store.js';
import { SqsJobQueue } from '../adapters/aws/sqs-job-queue.js';
import type { AppDeps, RegistryConfig } from '../app-env.js';
import { type AwsClients, createAwsClients } from './aws-clients.js';
import { readAwsEnv } from './aws-env.js';

export interface AwsDeps extends AppDeps {
  blobs: S3BlobStore;
  table: DynamoDbTable;
  queue: SqsJobQueue;
  clients: AwsClients;
}

/**
 * The registry's dependencies on AWS, every client built at once: for long-lived processes (the
 * upload service, `BERTH_BACKEND=aws npm start`, the worker). Variables: see aws-env.ts.
 */
export function createAwsDeps(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<RegistryConfig> = {},
): AwsDeps {
  const { bucket, table, queueUrl, longQueueUrl, config } = readAwsEnv(env, overrides);
  const clients = createAwsClients(env);
  return {
    clients,
    blobs: new S3BlobStore(clients.s3, bucket),
    table: new DynamoDbTable(clients.document, table),
    queue: new SqsJobQueue(clients.sqs, { short: queueUrl, long: longQueueUrl }),
    config,
  };
}

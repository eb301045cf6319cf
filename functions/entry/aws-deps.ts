import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDbTable } from '../adapters/aws/dynamodb-table.js';
import { S3BlobStore } from '../adapters/aws/s3-blob-store.js';
import { SqsJobQueue } from '../adapters/aws/sqs-job-queue.js';
import type { AppDeps } from '../app-env.js';
import type { RegistryConfig } from '../registry/registry-deps.js';
import type { Config } from '../config.js';
import { type AwsClients, createAwsClients } from './aws-clients.js';
import { s3ClientConfig } from './aws-client-config.js';
import { readAwsEnv } from './aws-env.js';

export interface AwsDeps extends AppDeps {
  blobs: S3BlobStore;
  table: DynamoDbTable;
  queue: SqsJobQueue;
  clients: AwsClients;
}

/**
 * The registry's dependencies on AWS, every client built at once: for long-lived processes (the
 * upload service, `BERTH_BACKEND=aws npm start`, the worker). Settings: see aws-env.ts.
 */
export function createAwsDeps(settings: Config, overrides: Partial<RegistryConfig> = {}): AwsDeps {
  const { bucket, table, queueUrl, longQueueUrl, config } = readAwsEnv(settings, overrides);
  const clients = createAwsClients(settings);
  // Clients of the other regions' buckets, for server-side copies (replication between regions).
  const regional = new Map<string, S3Client>();
  const clientFor = (region: string) => {
    let client = regional.get(region);
    if (!client) regional.set(region, (client = new S3Client(s3ClientConfig({ ...settings, AWS_REGION: region }))));
    return client;
  };
  return {
    clients,
    blobs: new S3BlobStore(clients.s3, bucket, { clientFor }),
    table: new DynamoDbTable(clients.document, table),
    queue: new SqsJobQueue(clients.sqs, { short: queueUrl, long: longQueueUrl }),
    config,
  };
}

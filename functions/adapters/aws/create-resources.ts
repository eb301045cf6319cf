import {
  CreateTableCommand,
  type DynamoDBClient,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { bucketDefinition, longQueueDefinition, queueDefinition, tableDefinition } from './resource-definitions.js';

export interface ResourceNames {
  bucket: string;
  table: string;
  queue: string;
}

export interface CreatedResources {
  bucket: string;
  table: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  /** The long-job queue, named `<queue>-long`. */
  longQueueUrl: string;
  longDeadLetterQueueUrl: string;
}

/**
 * Creates (or finds) the bucket, table and queues on an endpoint with no CloudFormation
 * (LocalStack without CDK, moto), from the same definitions the CDK app deploys. Safe to run
 * again: existing resources are kept and their settings reapplied.
 */
export async function createResources(
  clients: { s3: S3Client; dynamodb: DynamoDBClient; sqs: SQSClient },
  names: ResourceNames,
  overrides: { maxReceiveCount?: number; visibilityTimeoutSeconds?: number } = {},
): Promise<CreatedResources> {
  const [queues, long] = await Promise.all([
    createQueues(clients.sqs, names.queue, overrides),
    createQueues(clients.sqs, `${names.queue}-long`, {
      visibilityTimeoutSeconds: longQueueDefinition.visibilityTimeoutSeconds,
      maxReceiveCount: longQueueDefinition.maxReceiveCount,
      ...overrides,
    }),
    createBucket(clients.s3, names.bucket),
    createTable(clients.dynamodb, names.table),
  ]);
  return { bucket: names.bucket, table: names.table, ...queues, longQueueUrl: long.queueUrl, longDeadLetterQueueUrl: long.deadLetterQueueUrl };
}

async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
  }
  await s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: bucket,
      LifecycleConfiguration: {
        Rules: [
          {
            ID: 'abort-incomplete-multipart-uploads',
            Status: 'Enabled',
            Filter: { Prefix: '' },
            AbortIncompleteMultipartUpload: {
              DaysAfterInitiation: bucketDefinition.abortIncompleteMultipartUploadAfterDays,
            },
          },
          {
            ID: 'expire-abandoned-upload-segments',
            Status: 'Enabled',
            Filter: { Prefix: bucketDefinition.uploadPrefix },
            Expiration: { Days: bucketDefinition.expireUploadObjectsAfterDays },
          },
        ],
      },
    }),
  );
}

async function createTable(dynamodb: DynamoDBClient, table: string): Promise<void> {
  const { partitionKey, sortKey, gsi1, ttlAttribute, billingMode, streamViewType } = tableDefinition;
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: billingMode,
        StreamSpecification: { StreamEnabled: true, StreamViewType: streamViewType },
        AttributeDefinitions: [
          { AttributeName: partitionKey, AttributeType: 'S' },
          { AttributeName: sortKey, AttributeType: 'S' },
          { AttributeName: gsi1.partitionKey, AttributeType: 'S' },
          { AttributeName: gsi1.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: gsi1.indexName,
            KeySchema: [
              { AttributeName: gsi1.partitionKey, KeyType: 'HASH' },
              { AttributeName: gsi1.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: gsi1.projection },
          },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 120 }, { TableName: table });
  const described = await dynamodb.send(new DescribeTableCommand({ TableName: table }));
  if (!described.Table) throw new Error(`table ${table} not found after creation`);
  await dynamodb.send(
    new UpdateTimeToLiveCommand({
      TableName: table,
      TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
    }),
  ).catch((error: Error) => {
    // Enabling TTL twice is an error on DynamoDB; a rerun of the bootstrap must still succeed.
    if (!/already enabled/i.test(error.message)) throw error;
  });
}

export async function createQueues(
  sqs: SQSClient,
  queue: string,
  overrides: { maxReceiveCount?: number; visibilityTimeoutSeconds?: number },
): Promise<{ queueUrl: string; deadLetterQueueUrl: string }> {
  const dead = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${queue}-dlq`,
      Attributes: { MessageRetentionPeriod: String(queueDefinition.deadLetterRetentionSeconds) },
    }),
  );
  const deadLetterQueueUrl = dead.QueueUrl!;
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const main = await sqs.send(
    new CreateQueueCommand({
      QueueName: queue,
      Attributes: {
        VisibilityTimeout: String(overrides.visibilityTimeoutSeconds ?? queueDefinition.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: Attributes?.QueueArn,
          maxReceiveCount: overrides.maxReceiveCount ?? queueDefinition.maxReceiveCount,
        }),
      },
    }),
  );
  return { queueUrl: main.QueueUrl!, deadLetterQueueUrl };
}

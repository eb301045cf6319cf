import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClientOptions, s3ClientConfig, sdkClientConfig } from './aws-client-config.js';

export interface AwsClients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  document: DynamoDBDocumentClient;
  sqs: SQSClient;
}

/** All three SDK clients at once, configured as in aws-client-config.ts. */
export function createAwsClients(env: Record<string, string | undefined> = process.env): AwsClients {
  const config = sdkClientConfig(env);
  const dynamodb = new DynamoDBClient(config);
  return {
    s3: new S3Client(s3ClientConfig(env)),
    dynamodb,
    document: DynamoDBDocumentClient.from(dynamodb, documentClientOptions),
    sqs: new SQSClient(config),
  };
}

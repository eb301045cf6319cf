import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config.js';
import { documentClientOptions, s3ClientConfig, sdkClientConfig } from './aws-client-config.js';

export interface AwsClients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  document: DynamoDBDocumentClient;
  sqs: SQSClient;
}

/** All three SDK clients at once, configured as in aws-client-config.ts. */
export function createAwsClients(settings: Config): AwsClients {
  const config = sdkClientConfig(settings);
  const dynamodb = new DynamoDBClient(config);
  return {
    s3: new S3Client(s3ClientConfig(settings)),
    dynamodb,
    document: DynamoDBDocumentClient.from(dynamodb, documentClientOptions),
    sqs: new SQSClient(config),
  };
}

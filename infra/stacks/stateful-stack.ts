import { CfnOutput, Stack, type CfnResource, type StackProps } from 'aws-cdk-lib';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct, IConstruct } from 'constructs';
import type { StageConfig } from '../config/stage-config.js';
import { AdminCredentials } from '../constructs/admin-credentials.js';
import { AccessLogBucket } from '../constructs/access-log-bucket.js';
import { BlobBucket } from '../constructs/blob-bucket.js';
import { DataAccessPolicies } from '../constructs/data-access.js';
import { longQueueDefinition } from '../../functions/adapters/aws/resource-definitions.js';
import { JobQueue } from '../constructs/job-queue.js';
import { MetadataTable } from '../constructs/metadata-table.js';
import { TokenSigningSecret } from '../constructs/token-signing-secret.js';
import { discoveryParameterName } from './discovery.js';

/**
 * Logical ids of the resources that hold data. They are pinned here (and by tests), so moving a
 * construct in the tree can never make CloudFormation replace, and so empty, a bucket or table.
 */
export const statefulLogicalIds = {
  accessLogBucket: 'AccessLogBucket',
  blobBucket: 'BlobBucket',
  metadataTable: 'MetadataTable',
  jobsQueue: 'JobsQueue',
  jobsDeadLetterQueue: 'JobsDeadLetterQueue',
  longJobsQueue: 'LongJobsQueue',
  longJobsDeadLetterQueue: 'LongJobsDeadLetterQueue',
  tokenSigningSecret: 'TokenSigningSecret',
  adminCredentials: 'AdminCredentials',
} as const;

export interface StatefulStackProps extends StackProps {
  readonly config: StageConfig;
}

/** Everything of one region that holds data and outlives deployments of the code. */
export class StatefulStack extends Stack {
  readonly accessLogs: AccessLogBucket;
  readonly blobs: BlobBucket;
  readonly metadata: MetadataTable;
  readonly jobs: JobQueue;
  /** Replication and scanning: jobs that may run for minutes, on their own queue and worker. */
  readonly longJobs: JobQueue;
  readonly tokenSecret: TokenSigningSecret;
  /** The admin's initial password; only when the stage turns auth on. */
  readonly adminCredentials?: AdminCredentials;
  readonly access: DataAccessPolicies;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    const retainData = config.retainData;

    this.accessLogs = new AccessLogBucket(this, 'AccessLogs', {
      retainData,
      expirationDays: config.accessLogExpirationDays,
    });
    this.blobs = new BlobBucket(this, 'Blobs', {
      retainData,
      accessLogs: this.accessLogs.bucket,
    });
    this.metadata = new MetadataTable(this, 'Metadata', { retainData });
    this.jobs = new JobQueue(this, 'Jobs');
    this.longJobs = new JobQueue(this, 'LongJobs', { definition: longQueueDefinition });
    this.tokenSecret = new TokenSigningSecret(this, 'TokenSigning', { retainData });
    if (config.auth.enabled) {
      this.adminCredentials = new AdminCredentials(this, 'Admin', { retainData });
      pin(this.adminCredentials.secret, statefulLogicalIds.adminCredentials);
    }

    pin(this.accessLogs.bucket, statefulLogicalIds.accessLogBucket);
    pin(this.blobs.bucket, statefulLogicalIds.blobBucket);
    pin(this.metadata.table, statefulLogicalIds.metadataTable);
    pin(this.jobs.queue, statefulLogicalIds.jobsQueue);
    pin(this.jobs.deadLetterQueue, statefulLogicalIds.jobsDeadLetterQueue);
    pin(this.longJobs.queue, statefulLogicalIds.longJobsQueue);
    pin(this.longJobs.deadLetterQueue, statefulLogicalIds.longJobsDeadLetterQueue);
    pin(this.tokenSecret.secret, statefulLogicalIds.tokenSigningSecret);

    this.access = new DataAccessPolicies(this, 'DataAccess', {
      bucket: this.blobs.bucket,
      table: this.metadata.table,
    });

    // Peer regions find this region's resources here (names are generated, so not known at synth).
    new StringParameter(this, 'Discovery', {
      parameterName: discoveryParameterName(config.name, this.region, 'stateful'),
      description: 'Berth: resources of this region, for its peer regions',
      stringValue: Stack.of(this).toJsonString({
        bucket: this.blobs.bucket.bucketName,
        table: this.metadata.table.tableName,
        queueUrl: this.jobs.queue.queueUrl,
        longQueueUrl: this.longJobs.queue.queueUrl,
      }),
    });

    new CfnOutput(this, 'BlobBucketName', { value: this.blobs.bucket.bucketName });
    new CfnOutput(this, 'MetadataTableName', { value: this.metadata.table.tableName });
    new CfnOutput(this, 'JobsQueueUrl', { value: this.jobs.queue.queueUrl });
    new CfnOutput(this, 'LongJobsQueueUrl', { value: this.longJobs.queue.queueUrl });
    if (this.adminCredentials) {
      new CfnOutput(this, 'AdminSecretArn', {
        description: 'Secret holding the initial password of the registry admin "admin" (field password)',
        value: this.adminCredentials.secret.secretArn,
      });
    }
  }
}

function pin(construct: IConstruct, logicalId: string): void {
  (construct.node.defaultChild as CfnResource).overrideLogicalId(logicalId);
}

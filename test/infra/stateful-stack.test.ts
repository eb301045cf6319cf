import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { statefulLogicalIds } from '../../infra/stacks/stateful-stack.js';
import { defineStage } from '../../infra/config/stages.js';
import { actionsOf, devLike, iamStatements, prodLike, removeAssemblies, synthStage, templates } from './synth.js';

let prod: Template;
let dev: Template;
let open: Template;

beforeAll(() => {
  prod = templates(synthStage(prodLike)).get('Stateful-eu-west-1')!;
  dev = templates(synthStage(devLike)).get('Stateful-eu-west-1')!;
  open = templates(synthStage(defineStage({ ...devLike, name: 'open', auth: { enabled: false } }))).get('Stateful-eu-west-1')!;
});
afterAll(removeAssemblies);

describe('logical ids of stateful resources are pinned', () => {
  test.each([
    [statefulLogicalIds.blobBucket, 'AWS::S3::Bucket'],
    [statefulLogicalIds.accessLogBucket, 'AWS::S3::Bucket'],
    [statefulLogicalIds.metadataTable, 'AWS::DynamoDB::Table'],
    [statefulLogicalIds.jobsQueue, 'AWS::SQS::Queue'],
    [statefulLogicalIds.jobsDeadLetterQueue, 'AWS::SQS::Queue'],
    [statefulLogicalIds.tokenSigningSecret, 'AWS::SecretsManager::Secret'],
    [statefulLogicalIds.adminCredentials, 'AWS::SecretsManager::Secret'],
  ])('%s is a %s', (logicalId, type) => {
    expect(prod.toJSON().Resources[logicalId]?.Type).toBe(type);
    expect(dev.toJSON().Resources[logicalId]?.Type).toBe(type);
  });

  test('the pinned ids are the literal strings a deployed stack already has', () => {
    // Changing one of these makes CloudFormation replace the resource: the data would be lost.
    expect(statefulLogicalIds).toEqual({
      accessLogBucket: 'AccessLogBucket',
      blobBucket: 'BlobBucket',
      metadataTable: 'MetadataTable',
      jobsQueue: 'JobsQueue',
      jobsDeadLetterQueue: 'JobsDeadLetterQueue',
      longJobsQueue: 'LongJobsQueue',
      longJobsDeadLetterQueue: 'LongJobsDeadLetterQueue',
      tokenSigningSecret: 'TokenSigningSecret',
      adminCredentials: 'AdminCredentials',
    });
  });
});

describe('blob bucket', () => {
  const blobBucket = () => prod.toJSON().Resources.BlobBucket;

  test('blocks public access, encrypts, and logs access to the log bucket', () => {
    expect(blobBucket().Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: 'AccessLogBucket' } },
    });
  });

  test('aborts incomplete multipart uploads and expires abandoned upload segments', () => {
    const rules = blobBucket().Properties.LifecycleConfiguration.Rules;
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
        expect.objectContaining({ Prefix: 'uploads/', ExpirationInDays: 2, Status: 'Enabled' }),
      ]),
    );
    // Nothing expires committed blobs.
    for (const rule of rules) if (rule.ExpirationInDays) expect(rule.Prefix).toBe('uploads/');
  });

  test('refuses requests without TLS', () => {
    prod.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: 'BlobBucket' },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  test('is retained outside dev and destroyed with its objects in dev', () => {
    expect(blobBucket().DeletionPolicy).toBe('Retain');
    expect(dev.toJSON().Resources.BlobBucket.DeletionPolicy).toBe('Delete');
    dev.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
    prod.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });
});

describe('metadata table', () => {
  test('has the keys, index and TTL attribute of the single-table port', () => {
    prod.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  test('is protected from deletion outside dev only', () => {
    const prodTable = prod.toJSON().Resources.MetadataTable;
    const devTable = dev.toJSON().Resources.MetadataTable;
    expect(prodTable.Properties.DeletionProtectionEnabled).toBe(true);
    expect(prodTable.DeletionPolicy).toBe('Retain');
    expect(prodTable.UpdateReplacePolicy).toBe('Retain');
    expect(devTable.Properties.DeletionProtectionEnabled).toBe(false);
    expect(devTable.DeletionPolicy).toBe('Delete');
  });
});

describe('job queue', () => {
  test('dead-letters a message after three receives', () => {
    const queue = prod.toJSON().Resources.JobsQueue.Properties;
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['JobsDeadLetterQueue', 'Arn'] },
      maxReceiveCount: 3,
    });
    expect(queue.SqsManagedSseEnabled).toBe(true);
    // Six times the worker's 30 s timeout.
    expect(queue.VisibilityTimeout).toBe(180);
  });

  test('keeps dead letters 14 days', () => {
    expect(prod.toJSON().Resources.JobsDeadLetterQueue.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });

  test('every queue refuses requests without TLS', () => {
    const policies = Object.values(prod.findResources('AWS::SQS::QueuePolicy'));
    const secured = policies.flatMap((p) => p.Properties.Queues.map((q: { Ref: string }) => q.Ref));
    expect(secured.sort()).toEqual(['JobsDeadLetterQueue', 'JobsQueue', 'LongJobsDeadLetterQueue', 'LongJobsQueue']);
  });
});

test('the signing secret is generated by CloudFormation with an hmacKey field', () => {
  prod.hasResourceProperties('AWS::SecretsManager::Secret', {
    GenerateSecretString: {
      GenerateStringKey: 'hmacKey',
      PasswordLength: 64,
      ExcludePunctuation: true,
      SecretStringTemplate: '{"version":1}',
    },
  });
});

describe('admin credentials', () => {
  test('Secrets Manager generates the admin password: letters and digits, each kind present', () => {
    expect(prod.toJSON().Resources.AdminCredentials.Properties.GenerateSecretString).toEqual({
      SecretStringTemplate: '{"username":"admin"}',
      GenerateStringKey: 'password',
      PasswordLength: 32,
      ExcludePunctuation: true,
      RequireEachIncludedType: true,
    });
    expect(prod.toJSON().Resources.AdminCredentials.Properties.SecretString).toBeUndefined();
  });

  test('is retained outside dev and deleted with a dev stage', () => {
    expect(prod.toJSON().Resources.AdminCredentials.DeletionPolicy).toBe('Retain');
    expect(prod.toJSON().Resources.AdminCredentials.UpdateReplacePolicy).toBe('Retain');
    expect(dev.toJSON().Resources.AdminCredentials.DeletionPolicy).toBe('Delete');
  });

  test('its ARN is a stack output, for `aws secretsmanager get-secret-value`', () => {
    prod.hasOutput('AdminSecretArn', { Value: { Ref: 'AdminCredentials' } });
    dev.hasOutput('AdminSecretArn', { Value: { Ref: 'AdminCredentials' } });
  });

  test('does not exist in a stage that turns auth off', () => {
    expect(open.toJSON().Resources.AdminCredentials).toBeUndefined();
    expect(open.toJSON().Outputs?.AdminSecretArn).toBeUndefined();
    open.resourceCountIs('AWS::SecretsManager::Secret', 1);
  });
});

test('no resource has a physical name', () => {
  const named: Record<string, string> = {
    'AWS::S3::Bucket': 'BucketName',
    'AWS::DynamoDB::Table': 'TableName',
    'AWS::SQS::Queue': 'QueueName',
    'AWS::SecretsManager::Secret': 'Name',
    'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  };
  for (const t of [prod, dev]) {
    expect(Object.keys(t.findResources('AWS::SecretsManager::Secret')).sort()).toEqual(['AdminCredentials', 'TokenSigningSecret']);
    for (const [type, property] of Object.entries(named)) {
      for (const resource of Object.values(t.findResources(type))) {
        expect(resource.Properties?.[property]).toBeUndefined();
      }
    }
  }
});

describe('data access policies', () => {
  const policies = () => prod.findResources('AWS::IAM::ManagedPolicy');
  const statementsOf = (role: string) => {
    const entry = Object.entries(policies()).find(([id]) => id.startsWith(`DataAccess${role}`));
    if (!entry) throw new Error(`no policy for ${role}`);
    return entry[1].Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];
  };
  const actions = (role: string, resourceSuffix: string) =>
    statementsOf(role)
      .filter((s) => JSON.stringify(s.Resource).includes(resourceSuffix))
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
      .sort();

  test('one policy per runtime', () => {
    expect(Object.keys(policies()).map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'DataAccessapi',
      'DataAccessuploadService',
      'DataAccessworker',
    ]);
  });

  test('no wildcard action', () => {
    for (const statement of iamStatements('stateful', prod)) {
      for (const action of actionsOf(statement)) expect(action, statement.where).not.toContain('*');
    }
  });

  test('only the worker deletes committed blobs', () => {
    expect(actions('api', '/blobs/*')).toEqual(['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject']);
    expect(actions('uploadService', '/blobs/*')).toEqual(['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject']);
    expect(actions('worker', '/blobs/*')).toEqual(['s3:DeleteObject', 's3:GetObject']);
  });

  test('upload segments are written by the API and the upload service, not by the worker', () => {
    expect(actions('api', '/uploads/*')).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:PutObject']);
    expect(actions('uploadService', '/uploads/*')).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:PutObject']);
    expect(actions('worker', '/uploads/*')).toEqual([]);
  });

  test('the upload service cannot read the index', () => {
    expect(actions('uploadService', '/index/gsi1')).toEqual([]);
    expect(actions('api', '/index/gsi1')).toEqual(['dynamodb:Query']);
  });

  test('table access is on this region’s table only', () => {
    for (const role of ['api', 'uploadService', 'worker']) {
      const tableStatements = statementsOf(role).filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
      for (const s of tableStatements) expect(JSON.stringify(s.Resource)).toContain('MetadataTable');
    }
  });
});

test('publishes its resource names for peer regions at a known parameter path', () => {
  prod.hasResourceProperties('AWS::SSM::Parameter', {
    Name: '/berth/prod/regions/eu-west-1/stateful',
    Type: 'String',
  });
});

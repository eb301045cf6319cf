import { Stack, type CfnResource } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import { bucketDefinition, tableDefinition } from '../../functions/adapters/aws/resource-definitions.js';
import { acknowledge } from '../nag/acknowledge.js';

/**
 * What one runtime may do with the blob bucket, by key prefix. Actions are listed one by one (no
 * `s3:*`, no `s3:Put*`), following the S3 calls of functions/adapters/aws/s3-blob-store.ts:
 * HeadObject, GetObject and presigned GETs are s3:GetObject; PutObject, CopyObject (target) and
 * the multipart create/copy/complete calls are s3:PutObject; a copy source needs s3:GetObject;
 * DeleteObjects needs s3:DeleteObject on every key.
 */
export interface BlobAccess {
  /** On committed blobs (`blobs/*`). */
  readonly blobActions: readonly string[];
  /** On segments of uploads in progress (`uploads/*`). */
  readonly uploadActions: readonly string[];
  /** On the bucket: ListBucket lists an upload's segments, and makes a HEAD of a missing key 404 rather than 403. */
  readonly bucketActions: readonly string[];
}

/**
 * What one runtime may do with the metadata table. TransactWriteItems is authorised per item
 * (PutItem, DeleteItem, ConditionCheckItem), so it needs no action of its own.
 */
export interface TableAccess {
  readonly tableActions: readonly string[];
  readonly indexActions: readonly string[];
}

export interface DataAccess {
  readonly blobs: BlobAccess;
  readonly table: TableAccess;
}

const itemReadWrite = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'];

/** Uploading: write segments, read them back (re-hash, copy source), commit, clean up. */
const uploadingBlobs: BlobAccess = {
  blobActions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
  uploadActions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
  bucketActions: ['s3:ListBucket'],
};

/** The API Lambda: the whole registry except streaming large uploads. Never deletes a blob. */
export const apiAccess: DataAccess = {
  blobs: uploadingBlobs,
  table: { tableActions: itemReadWrite, indexActions: ['dynamodb:Query'] },
};

/** The upload service: upload sessions and blob records; no index listing, no blob deletion. */
export const uploadServiceAccess: DataAccess = {
  blobs: uploadingBlobs,
  table: { tableActions: itemReadWrite, indexActions: [] },
};

/** The workers: record events, and delete blobs no manifest references (gc). */
export const workerAccess: DataAccess = {
  blobs: { blobActions: ['s3:GetObject', 's3:DeleteObject'], uploadActions: [], bucketActions: ['s3:ListBucket'] },
  table: { tableActions: itemReadWrite, indexActions: ['dynamodb:Query'] },
};

export type DataAccessRole = 'api' | 'uploadService' | 'worker';

const accessByRole: Record<DataAccessRole, DataAccess> = {
  api: apiAccess,
  uploadService: uploadServiceAccess,
  worker: workerAccess,
};

export interface DataAccessPoliciesProps {
  readonly bucket: IBucket;
  readonly table: ITable;
}

/**
 * One customer-managed policy per runtime, defined next to the data it opens. Keeping them in
 * the stateful stack makes every resource a local reference to a pinned logical id, so a
 * reviewer (and cdk-nag) reads exactly `<BlobBucket.Arn>/blobs/*` rather than a cross-stack import.
 */
export class DataAccessPolicies extends Construct {
  readonly api: ManagedPolicy;
  readonly uploadService: ManagedPolicy;
  readonly worker: ManagedPolicy;

  constructor(scope: Construct, id: string, props: DataAccessPoliciesProps) {
    super(scope, id);
    const make = (role: DataAccessRole, description: string) => {
      const access = accessByRole[role];
      const policy = new ManagedPolicy(this, role, {
        description,
        statements: statementsFor(access, props.bucket, props.table),
      });
      const bucketRef = `<${nagRef(props.bucket)}.Arn>`;
      if (access.blobs.blobActions.length > 0) {
        acknowledge(policy, {
          id: `AwsSolutions-IAM5[Resource::${bucketRef}/${bucketDefinition.blobPrefix}*]`,
          reason: 'Blobs are named by content digest under the blobs prefix; no narrower pattern names them. Actions are listed one by one.',
        });
      }
      if (access.blobs.uploadActions.length > 0) {
        acknowledge(policy, {
          id: `AwsSolutions-IAM5[Resource::${bucketRef}/${bucketDefinition.uploadPrefix}*]`,
          reason: 'Upload segments get generated names under the uploads prefix. Actions are listed one by one.',
        });
      }
      return policy;
    };
    this.api = make('api', 'Berth API function: blob and metadata access');
    this.uploadService = make('uploadService', 'Berth upload service: blob and metadata access');
    this.worker = make('worker', 'Berth workers: blob and metadata access');
  }
}

function statementsFor(access: DataAccess, bucket: IBucket, table: ITable): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  const add = (actions: readonly string[], resources: string[]) => {
    if (actions.length > 0) statements.push(new PolicyStatement({ actions: [...actions], resources }));
  };
  add(access.blobs.blobActions, [bucket.arnForObjects(`${bucketDefinition.blobPrefix}*`)]);
  add(access.blobs.uploadActions, [bucket.arnForObjects(`${bucketDefinition.uploadPrefix}*`)]);
  add(access.blobs.bucketActions, [bucket.bucketArn]);
  add(access.table.tableActions, [table.tableArn]);
  add(access.table.indexActions, [`${table.tableArn}/index/${tableDefinition.gsi1.indexName}`]);
  return statements;
}

/** The logical id cdk-nag shows for a resource of the same stack. */
function nagRef(resource: IConstruct): string {
  return Stack.of(resource).resolve((resource.node.defaultChild as CfnResource).logicalId) as string;
}

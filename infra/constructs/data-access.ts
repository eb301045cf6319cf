import { Stack, type CfnResource } from 'aws-cdk-lib';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { uploadsPrefix } from './blob-bucket.js';
import { tableSchema } from './metadata-table.js';
import { Construct, type IConstruct } from 'constructs';
import { acknowledge } from '../nag/acknowledge.js';

/**
 * What one runtime may do with the blob bucket. Actions are listed one by one (no `s3:*`, no
 * `s3:Put*`), so a grant reads as what the code does.
 */
export interface BlobAccess {
  /** On every object: blobs are addressed by digest, so no narrower prefix names them. */
  readonly objectActions: readonly string[];
  /** Only on objects under the uploads prefix (temporary upload objects). */
  readonly uploadObjectActions: readonly string[];
  /** On the bucket itself. */
  readonly bucketActions: readonly string[];
}

/** What one runtime may do with the metadata table and its index. */
export interface TableAccess {
  readonly tableActions: readonly string[];
  readonly indexActions: readonly string[];
}

// HeadObject and presigned GETs are s3:GetObject; multipart create/part/complete are s3:PutObject.
// ListBucket lets a HEAD of a missing key answer 404 instead of 403.
const uploadingBlobs: BlobAccess = {
  objectActions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
  uploadObjectActions: ['s3:DeleteObject'],
  bucketActions: ['s3:ListBucket'],
};

// Transactions are authorised per item action, so TransactWriteItems needs no action of its own.
const readWriteItems = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
];

/** The API Lambda: the whole registry except the large streaming uploads. */
export const apiAccess = {
  blobs: uploadingBlobs,
  table: { tableActions: readWriteItems, indexActions: ['dynamodb:Query'] },
} as const satisfies { blobs: BlobAccess; table: TableAccess };

/**
 * The upload service: upload sessions and blob records only. It never lists by index, never
 * deletes a finished blob and enqueues nothing (events are emitted when a manifest is pushed).
 */
export const uploadServiceAccess = {
  blobs: uploadingBlobs,
  table: {
    tableActions: [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:ConditionCheckItem',
    ],
    indexActions: [],
  },
} as const satisfies { blobs: BlobAccess; table: TableAccess };

/** The workers: read metadata, delete unreferenced blobs (gc), record results. */
export const workerAccess = {
  blobs: {
    objectActions: ['s3:GetObject', 's3:DeleteObject'],
    uploadObjectActions: [],
    bucketActions: ['s3:ListBucket'],
  },
  table: { tableActions: readWriteItems, indexActions: ['dynamodb:Query'] },
} as const satisfies { blobs: BlobAccess; table: TableAccess };

/** Who gets which policy. */
export type DataAccessRole = 'api' | 'uploadService' | 'worker';

const accessByRole: Record<DataAccessRole, { blobs: BlobAccess; table: TableAccess }> = {
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
 * the stateful stack means the resource ARNs are local references to pinned logical ids, so a
 * reviewer (and cdk-nag) sees exactly `<BlobBucket.Arn>/*` rather than a cross-stack import.
 */
export class DataAccessPolicies extends Construct {
  readonly api: ManagedPolicy;
  readonly uploadService: ManagedPolicy;
  readonly worker: ManagedPolicy;

  constructor(scope: Construct, id: string, props: DataAccessPoliciesProps) {
    super(scope, id);
    const make = (role: DataAccessRole, description: string) =>
      new ManagedPolicy(this, role, {
        description,
        statements: statementsFor(accessByRole[role], props.bucket, props.table),
      });
    this.api = make('api', 'Berth API function: blob and metadata access');
    this.uploadService = make('uploadService', 'Berth upload service: blob and metadata access');
    this.worker = make('worker', 'Berth workers: blob and metadata access');

    const objects = `Resource::<${nagRef(props.bucket)}.Arn>/*`;
    const uploads = `Resource::<${nagRef(props.bucket)}.Arn>/${uploadsPrefix}*`;
    for (const policy of [this.api, this.uploadService, this.worker]) {
      acknowledge(policy, {
        id: `AwsSolutions-IAM5[${objects}]`,
        reason: 'Blob objects are named by content digest, so no narrower key pattern covers them; actions are listed one by one.',
      });
    }
    for (const policy of [this.api, this.uploadService]) {
      acknowledge(policy, {
        id: `AwsSolutions-IAM5[${uploads}]`,
        reason: 'Temporary upload objects get generated names under the uploads prefix; only deletion is granted there.',
      });
    }
  }
}

function statementsFor(access: { blobs: BlobAccess; table: TableAccess }, bucket: IBucket, table: ITable) {
  const statements: PolicyStatement[] = [];
  const add = (actions: readonly string[], resources: string[]) => {
    if (actions.length > 0) statements.push(new PolicyStatement({ actions: [...actions], resources }));
  };
  add(access.blobs.objectActions, [bucket.arnForObjects('*')]);
  add(access.blobs.uploadObjectActions, [bucket.arnForObjects(`${uploadsPrefix}*`)]);
  add(access.blobs.bucketActions, [bucket.bucketArn]);
  add(access.table.tableActions, [table.tableArn]);
  add(access.table.indexActions, [`${table.tableArn}/index/${tableSchema.index.name}`]);
  return statements;
}

/** The logical id cdk-nag shows for a resource of the same stack. */
function nagRef(resource: IConstruct): string {
  return Stack.of(resource).resolve((resource.node.defaultChild as CfnResource).logicalId) as string;
}

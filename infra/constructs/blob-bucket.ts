import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectOwnership,
  type IBucket,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { bucketDefinition } from '../../functions/adapters/aws/resource-definitions.js';

export interface BlobBucketProps {
  readonly retainData: boolean;
  readonly accessLogs: IBucket;
}

/**
 * The content-addressed blob store of one region: committed blobs under `blobs/`, segments of
 * uploads in progress under `uploads/` (layout in functions/adapters/aws/s3-blob-store.ts;
 * prefixes and ages shared with `npm run aws:bootstrap` through resource-definitions.ts).
 */
export class BlobBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: BlobBucketProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'blobs/',
      lifecycleRules: [
        // A commit that crashed mid-copy leaves parts that are billed but invisible.
        {
          id: 'abort-incomplete-multipart',
          abortIncompleteMultipartUploadAfter: Duration.days(bucketDefinition.abortIncompleteMultipartUploadAfterDays),
        },
        // Segments of uploads whose session (one day) has expired.
        {
          id: 'expire-abandoned-uploads',
          prefix: bucketDefinition.uploadPrefix,
          expiration: Duration.days(bucketDefinition.expireUploadObjectsAfterDays),
        },
      ],
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      autoDeleteObjects: !props.retainData,
    });
  }
}

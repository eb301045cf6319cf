import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectOwnership,
  type IBucket,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/**
 * Key prefix of in-progress upload objects. The S3 blob store must write anything that is not yet
 * a verified blob under it: a lifecycle rule deletes what is left there, so an abandoned upload
 * costs storage for at most `abandonedUploadDays`.
 */
export const uploadsPrefix = 'uploads/';

export interface BlobBucketProps {
  readonly retainData: boolean;
  readonly accessLogs: IBucket;
  /** Days after which upload objects and incomplete multipart uploads are removed. */
  readonly abandonedUploadDays: number;
}

/** The content-addressed blob store of one region: layers, configs and manifests by digest. */
export class BlobBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: BlobBucketProps) {
    super(scope, id);
    const abandoned = Duration.days(props.abandonedUploadDays);
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'blobs/',
      lifecycleRules: [
        // A client that disconnects mid-layer leaves parts that are billed but invisible.
        { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: abandoned },
        { id: 'expire-abandoned-uploads', prefix: uploadsPrefix, expiration: abandoned },
      ],
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      autoDeleteObjects: !props.retainData,
    });
  }
}

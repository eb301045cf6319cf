/**
 * The shape of Berth's AWS resources, shared by the CDK app (infra/) and `npm run aws:bootstrap`
 * (local endpoints), so a table made by one is the table the other expects. Plain data only:
 * nothing here imports an SDK or CDK.
 */

/** The single table: string keys, one sparse GSI, TTL on `expiresAt` (epoch seconds). */
export const tableDefinition = {
  partitionKey: 'pk',
  sortKey: 'sk',
  gsi1: { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'ALL' },
  ttlAttribute: 'expiresAt',
  billingMode: 'PAY_PER_REQUEST',
  /** The stream the outbox relay reads (adapters/aws/outbox.ts): new images only. */
  streamViewType: 'NEW_IMAGE',
} as const;

/** Key layout inside the blob bucket (see S3BlobStore for what lives under each prefix). */
export const bucketDefinition = {
  blobPrefix: 'blobs/',
  uploadPrefix: 'uploads/',
  /**
   * Multipart uploads that a crashed commit left open are aborted after this many days, so no
   * invisible parts are billed forever.
   */
  abortIncompleteMultipartUploadAfterDays: 1,
  /**
   * Upload segments are plain objects under `uploadPrefix`; an upload session lives one day
   * (RegistryConfig.uploadSessionTtlSeconds), so anything older than this is abandoned.
   */
  expireUploadObjectsAfterDays: 2,
} as const;

/** The job queue and its dead-letter queue. */
export const queueDefinition = {
  /**
   * At least six times the worker's timeout, as AWS advises for an SQS event source, so a batch
   * still running is never handed to a second worker.
   */
  visibilityTimeoutSeconds: 180,
  workerTimeoutSeconds: 30,
  /** Deliveries before a message moves to the dead-letter queue. */
  maxReceiveCount: 3,
  /** Dead letters are kept the maximum SQS allows, to leave time to inspect and redrive them. */
  deadLetterRetentionSeconds: 14 * 24 * 60 * 60,
  /** The worker's batch: small enough that one slow job does not hold many others back. */
  batchSize: 10,
} as const;

/**
 * The long-job queue (replication, scanning: `longJobKinds`) and its dead-letter queue. Its worker
 * may run as long as Lambda allows; the visibility timeout is six times that, as for the short
 * queue, and a batch is one job so a 15-minute copy never holds another back.
 */
export const longQueueDefinition = {
  visibilityTimeoutSeconds: 6 * 900,
  workerTimeoutSeconds: 900,
  maxReceiveCount: 3,
  deadLetterRetentionSeconds: 14 * 24 * 60 * 60,
  batchSize: 1,
} as const;

import type { Config } from '../config.js';

/**
 * Settings shared by every SDK client of the registry, kept free of SDK imports so an entry point
 * can load each client only when a request first needs it. Region, credentials and endpoint come
 * from the SDK's standard settings (AWS_REGION, AWS_ENDPOINT_URL, the Lambda role), passed
 * explicitly only so tests can point one process at several endpoints. Throttling (S3 SlowDown
 * and 503, DynamoDB ProvisionedThroughputExceeded) is retried by the SDK's standard strategy with
 * jittered exponential backoff; `maxAttempts` raises its default of 3 because a push that fails
 * on a throttle costs the client a whole layer re-upload.
 */
export function sdkClientConfig(config: Config) {
  const endpoint = config.AWS_ENDPOINT_URL;
  const credentials =
    config.AWS_ACCESS_KEY_ID && config.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: config.AWS_ACCESS_KEY_ID,
          secretAccessKey: config.AWS_SECRET_ACCESS_KEY,
          ...(config.AWS_SESSION_TOKEN ? { sessionToken: config.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
  return {
    region: config.AWS_REGION ?? config.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    maxAttempts: config.BERTH_AWS_MAX_ATTEMPTS ?? 8,
    retryMode: 'standard',
  };
}

/** S3 also needs path-style addressing on emulators (LocalStack, moto serve every bucket on one host). */
export function s3ClientConfig(config: Config) {
  return { ...sdkClientConfig(config), forcePathStyle: Boolean(config.AWS_ENDPOINT_URL) };
}

/** Items are plain JSON: undefined attributes dropped, numbers read back as numbers. */
export const documentClientOptions = {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  unmarshallOptions: { wrapNumbers: false },
};

import { defaultRegistryConfig, type RegistryConfig } from '../app-env.js';

/**
 * What the registry reads from its environment on AWS:
 *   BERTH_BUCKET, BERTH_TABLE, BERTH_QUEUE_URL   the resources (npm run aws:bootstrap, or the CDK app)
 *   BERTH_LONG_QUEUE_URL                         the long-job queue (default: the short one)
 *   BERTH_UPLOAD_SERVICE_URL                     base URL of the upload service, if the stage has one
 *   BERTH_UPLOAD_TOKEN_SECRET                    shared by the API and the upload service (32+ chars)
 *   AWS_REGION, AWS_ENDPOINT_URL, credentials    the SDK's standard settings (aws-client-config.ts)
 * `overrides` carry what the runtime knows better (the Lambda request limit).
 */
export function readAwsEnv(
  env: Record<string, string | undefined>,
  overrides: Partial<RegistryConfig> = {},
): { bucket: string; table: string; queueUrl: string; longQueueUrl: string; config: RegistryConfig } {
  const required = (name: string) => {
    const value = env[name];
    if (!value) throw new Error(`${name} must be set to run Berth on AWS`);
    return value;
  };
  const secret = env.BERTH_UPLOAD_TOKEN_SECRET;
  const uploadServiceUrl = env.BERTH_UPLOAD_SERVICE_URL || undefined;
  if (uploadServiceUrl && (!secret || secret.length < 32)) {
    throw new Error('BERTH_UPLOAD_TOKEN_SECRET (at least 32 characters) must be set with BERTH_UPLOAD_SERVICE_URL');
  }
  return {
    bucket: required('BERTH_BUCKET'),
    table: required('BERTH_TABLE'),
    queueUrl: required('BERTH_QUEUE_URL'),
    longQueueUrl: env.BERTH_LONG_QUEUE_URL || required('BERTH_QUEUE_URL'),
    config: {
      ...defaultRegistryConfig,
      ...(uploadServiceUrl ? { uploadServiceUrl } : {}),
      ...(secret ? { uploadTokenSecret: new TextEncoder().encode(secret) } : {}),
      ...overrides,
    },
  };
}

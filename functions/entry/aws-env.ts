import { defaultRegistryConfig, type RegistryConfig } from '../registry/registry-deps.js';
import { type Config, ConfigError } from '../config.js';

/**
 * The AWS resources and registry settings of a process on the aws backend, from its parsed
 * settings (config.ts): BERTH_BUCKET, BERTH_TABLE, BERTH_QUEUE_URL (npm run aws:bootstrap, or the
 * CDK app), BERTH_LONG_QUEUE_URL (default: the short queue), BERTH_UPLOAD_SERVICE_URL with
 * BERTH_UPLOAD_TOKEN_SECRET. `overrides` carry what the runtime knows better (the Lambda request limit).
 */
export function readAwsEnv(
  config: Config,
  overrides: Partial<RegistryConfig> = {},
): { bucket: string; table: string; queueUrl: string; longQueueUrl: string; config: RegistryConfig } {
  const required = <K extends 'BERTH_BUCKET' | 'BERTH_TABLE' | 'BERTH_QUEUE_URL'>(name: K): string => {
    const value = config[name];
    if (!value) throw new ConfigError(`${name} must be set to run Berth on AWS`);
    return value;
  };
  const secret = config.BERTH_UPLOAD_TOKEN_SECRET;
  const uploadServiceUrl = config.BERTH_UPLOAD_SERVICE_URL;
  if (uploadServiceUrl && !secret) throw new ConfigError('BERTH_UPLOAD_TOKEN_SECRET (at least 32 characters) must be set with BERTH_UPLOAD_SERVICE_URL');
  return {
    bucket: required('BERTH_BUCKET'),
    table: required('BERTH_TABLE'),
    queueUrl: required('BERTH_QUEUE_URL'),
    longQueueUrl: config.BERTH_LONG_QUEUE_URL ?? required('BERTH_QUEUE_URL'),
    config: {
      ...defaultRegistryConfig,
      ...(uploadServiceUrl ? { uploadServiceUrl } : {}),
      ...(secret ? { uploadTokenSecret: new TextEncoder().encode(secret) } : {}),
      ...overrides,
    },
  };
}

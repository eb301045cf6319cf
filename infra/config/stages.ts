import { queueDefinition } from '../../functions/adapters/aws/resource-definitions.js';
import type { StageConfig } from './stage-config.js';

/** What a stage gets unless it says otherwise: small, cheap at idle, safe with data. */
const defaults: Omit<StageConfig, 'name' | 'regions'> = {
  retainData: true,
  api: { throttleRateLimit: 500, throttleBurstLimit: 1000, memoryMiB: 1024 },
  workers: { batchSize: queueDefinition.batchSize, maxConcurrency: 5 },
  uploadService: {
    enabled: false,
    cpu: 512,
    memoryMiB: 1024,
    minTasks: 1,
    maxTasks: 4,
    requestsPerTaskPerMinute: 600,
    cpuTargetPercent: 60,
    memoryTargetPercent: 70,
  },
  // On everywhere, dev included: a deployed stage is on the internet.
  auth: { enabled: true },
  logRetentionDays: 30,
  accessLogExpirationDays: 90,
};

type StageOverrides = Partial<Omit<StageConfig, 'api' | 'workers' | 'uploadService' | 'auth'>> &
  Pick<StageConfig, 'name' | 'regions'> & {
    auth?: Partial<StageConfig['auth']>;
    api?: Partial<StageConfig['api']>;
    workers?: Partial<StageConfig['workers']>;
    uploadService?: Partial<StageConfig['uploadService']>;
  };

/** Builds a full stage configuration from the defaults and the fields a stage changes. */
export function defineStage(overrides: StageOverrides): StageConfig {
  return {
    ...defaults,
    ...overrides,
    api: { ...defaults.api, ...overrides.api },
    workers: { ...defaults.workers, ...overrides.workers },
    uploadService: { ...defaults.uploadService, ...overrides.uploadService },
    auth: { ...defaults.auth, ...overrides.auth },
  };
}

/**
 * The environments of this repository. Edit them for your organisation: accounts, regions and,
 * for prod, the Route 53 zone the registry and upload service are published in (the zone below
 * is a placeholder; `cdk deploy` of prod fails certificate validation until it is yours).
 */
export const stages: readonly StageConfig[] = [
  defineStage({
    name: 'dev',
    regions: ['eu-west-1'],
    retainData: false,
    logRetentionDays: 7,
    accessLogExpirationDays: 7,
    workers: { maxConcurrency: 2 },
  }),
  defineStage({
    name: 'staging',
    regions: ['eu-west-1', 'us-east-1'],
    logRetentionDays: 14,
  }),
  defineStage({
    name: 'prod',
    regions: ['eu-west-1', 'us-east-1'],
    domain: { zoneName: 'registry.example.com', hostedZoneId: 'Z0000000000000EXAMPLE' },
    uploadService: { enabled: true, minTasks: 2, maxTasks: 10 },
    api: { throttleRateLimit: 2000, throttleBurstLimit: 4000 },
    workers: { maxConcurrency: 20 },
    // Pushes go to eu-west-1; us-east-1 is a replica fed by an event-based policy.
    replication: { primary: 'eu-west-1' },
    // osv.dev's per-ecosystem exports: the distributions and language ecosystems the scanner reads.
    scanning: {
      vulnDbUrls: ['Debian', 'Alpine', 'Ubuntu', 'npm'].map((ecosystem) => `https://osv-vulnerabilities.storage.googleapis.com/${ecosystem}/all.zip`),
    },
    logRetentionDays: 90,
    accessLogExpirationDays: 365,
  }),
];

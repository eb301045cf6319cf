import { nextRun } from '../../functions/schedules/schedule-store.js';
import { topologyProblems, type ReplicationTopologyConfig } from './replication-topology.js';

/**
 * Typed configuration of one Berth environment (a CDK Stage). Values here are deployment
 * choices; the application reads its own settings from the environment the constructs give it.
 */
export interface StageConfig {
  /** Stage name, used as the construct id of the Stage (`dev`, `staging`, `prod`). */
  readonly name: string;
  /**
   * AWS account to deploy to. Leave it out to keep the stacks account-agnostic, so `cdk synth`
   * needs no credentials and no context look-ups; `cdk deploy` then uses the caller's account.
   */
  readonly account?: string;
  /** Regions this stage runs in; every region gets its own stateful and API stacks. */
  readonly regions: readonly string[];
  /**
   * Keep data when a stack is deleted or a resource replaced: RETAIN on the bucket and table and
   * deletion protection on the table. Off only for throw-away stages.
   */
  readonly retainData: boolean;
  /** Custom domain in a Route 53 hosted zone; required by the upload service (HTTPS). */
  readonly domain?: DomainConfig;
  readonly api: ApiConfig;
  readonly workers: WorkerConfig;
  readonly uploadService: UploadServiceConfig;
  readonly auth: AuthConfig;
  /** Days CloudWatch keeps function, task and access logs. */
  readonly logRetentionDays: LogRetentionDays;
  /** Days S3 server access logs and load balancer logs are kept. */
  readonly accessLogExpirationDays: number;
  /** E-mail address subscribed to the alarm topic (confirmation mail is sent on deploy). */
  readonly alarmEmail?: string;
  /**
   * Which region takes pushes and which feeds which (docs/replication.md, "Regions"). Without it,
   * regions share nothing. Needs `domain`: each region's registry URL must be known at synth.
   */
  readonly replication?: ReplicationTopologyConfig;
  /** Vulnerability data for the built-in scanner (docs/scanning.md); without it, none is fetched. */
  readonly scanning?: ScanningStageConfig;
}

export interface ScanningStageConfig {
  /**
   * OSV export zips the workers fetch on a schedule (HTTPS), e.g.
   * `https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip`.
   */
  readonly vulnDbUrls: readonly string[];
  /** When they are fetched (six-field cron, UTC); the default is every six hours. */
  readonly vulnDbRefreshCron?: string;
}

/**
 * A hosted zone Berth may add records to. Each region gets `<region>.<zoneName>` for the registry
 * and `uploads.<region>.<zoneName>` for the upload service, with one DNS-validated certificate.
 * The zone is referenced by id, so synth does no look-up.
 */
export interface DomainConfig {
  readonly zoneName: string;
  readonly hostedZoneId: string;
}

export interface ApiConfig {
  /** Steady-state requests per second the `$default` stage admits before answering 429. */
  readonly throttleRateLimit: number;
  /** Burst bucket size of the `$default` stage. */
  readonly throttleBurstLimit: number;
  /** Memory of the API Lambda (CPU scales with it; the handler hashes small uploads). */
  readonly memoryMiB: number;
}

/** Worker timeout, visibility timeout and receive count come from resource-definitions.ts. */
export interface WorkerConfig {
  /** Messages handed to one worker invocation (1..10). */
  readonly batchSize: number;
  /** Most concurrent worker invocations the queue's event source may start (2..1000). */
  readonly maxConcurrency: number;
}

export interface UploadServiceConfig {
  readonly enabled: boolean;
  /** Fargate task CPU units (256 = 0.25 vCPU). */
  readonly cpu: 256 | 512 | 1024 | 2048 | 4096;
  readonly memoryMiB: number;
  readonly minTasks: number;
  readonly maxTasks: number;
  /** Requests per task and minute the service scales to (ALB RequestCountPerTarget). */
  readonly requestsPerTaskPerMinute: number;
  /** Target average CPU of the service, in percent. */
  readonly cpuTargetPercent: number;
  /** Target average memory of the service, in percent (each upload in flight buffers a segment). */
  readonly memoryTargetPercent: number;
}

/**
 * Identity and access of the deployed registry. With `enabled`, the API and the upload service
 * require credentials (Docker token auth, Harbor's projects and roles), and the system admin
 * `admin` is created on first start with a password Secrets Manager generates in the stateful
 * stack. Without it the registry is open to anyone who can reach it: only for a stage that
 * nothing outside a private network can reach.
 */
export interface AuthConfig {
  readonly enabled: boolean;
  /**
   * Token `service` (the `aud` of the tokens the registry issues and accepts). Default: the
   * region's registry host with a domain, else `berth`.
   */
  readonly service?: string;
}

/** The retention periods CloudWatch Logs accepts and we use. */
export type LogRetentionDays = 7 | 14 | 30 | 90 | 180 | 365;

const regionPattern = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

/**
 * Refuses a configuration that cannot deploy, with a message that names the field. Run at synth
 * so a mistake fails before CloudFormation is involved.
 */
export function validateStageConfig(config: StageConfig): StageConfig {
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9-]{0,15}$/.test(config.name)) {
    problems.push(`name "${config.name}" must be lower-case letters, digits and dashes (at most 16)`);
  }
  if (config.account !== undefined && !/^\d{12}$/.test(config.account)) {
    problems.push(`account "${config.account}" must be 12 digits`);
  }
  if (config.regions.length === 0) problems.push('regions must list at least one region');
  for (const region of config.regions) {
    if (!regionPattern.test(region)) problems.push(`region "${region}" is not an AWS region name`);
  }
  if (new Set(config.regions).size !== config.regions.length) problems.push('regions must not repeat');
  const { workers, uploadService, api } = config;
  if (!Number.isInteger(workers.batchSize) || workers.batchSize < 1 || workers.batchSize > 10) {
    problems.push('workers.batchSize must be 1..10');
  }
  if (workers.maxConcurrency < 2 || workers.maxConcurrency > 1000) {
    problems.push('workers.maxConcurrency must be 2..1000 (the SQS event source limit)');
  }
  if (api.throttleRateLimit <= 0 || api.throttleBurstLimit <= 0) {
    problems.push('api throttle limits must be positive');
  }
  if (api.memoryMiB < 128 || api.memoryMiB > 10240) problems.push('api.memoryMiB must be 128..10240');
  if (uploadService.enabled) {
    if (!config.domain) {
      problems.push(
        'uploadService.enabled needs domain: the upload service serves HTTPS with a certificate for a name in your hosted zone',
      );
    }
    if (uploadService.minTasks < 1 || uploadService.maxTasks < uploadService.minTasks) {
      problems.push('uploadService needs 1 <= minTasks <= maxTasks');
    }
  }
  if (config.auth.service !== undefined && !/^[A-Za-z0-9][A-Za-z0-9.:_-]{0,252}$/.test(config.auth.service)) {
    problems.push(`auth.service "${config.auth.service}" must be a host-like name (letters, digits, . : _ -)`);
  }
  if (config.domain && !/^Z[A-Z0-9]{1,31}$/.test(config.domain.hostedZoneId)) {
    problems.push(`domain.hostedZoneId "${config.domain.hostedZoneId}" is not a Route 53 zone id`);
  }
  if (config.scanning) {
    const { vulnDbUrls, vulnDbRefreshCron } = config.scanning;
    if (vulnDbUrls.length === 0) problems.push('scanning.vulnDbUrls must list at least one OSV export URL');
    for (const url of vulnDbUrls) {
      if (!URL.canParse(url) || new URL(url).protocol !== 'https:' || url.includes(',')) problems.push(`scanning.vulnDbUrls: "${url}" is not an https URL`);
    }
    if (vulnDbRefreshCron !== undefined) {
      try {
        nextRun(vulnDbRefreshCron, new Date());
      } catch (error) {
        problems.push(`scanning.vulnDbRefreshCron: ${(error as Error).message}`);
      }
    }
  }
  if (config.replication) {
    if (!config.domain) problems.push('replication needs domain: regions reach each other at <region>.<zoneName>');
    problems.push(...topologyProblems(config.regions, config.replication));
  }
  if (problems.length > 0) {
    throw new Error(`Invalid configuration for stage "${config.name}":\n  - ${problems.join('\n  - ')}`);
  }
  return config;
}

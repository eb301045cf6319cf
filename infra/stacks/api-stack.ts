import { CfnOutput, Duration, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { longQueueDefinition } from '../../functions/adapters/aws/resource-definitions.js';
import { variableNames } from '../../functions/config.js';
import { partitions } from '../../functions/table-layout.js';
import { acknowledge } from '../nag/acknowledge.js';
import { Secret as EcsSecret } from 'aws-cdk-lib/aws-ecs';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { EntryPoints } from '../config/entry-points.js';
import type { StageConfig } from '../config/stage-config.js';
import { BerthFunction } from '../constructs/berth-function.js';
import { Monitoring } from '../constructs/monitoring.js';
import { QueueWorker } from '../constructs/queue-worker.js';
import { RegionalDomain } from '../constructs/regional-domain.js';
import { RegistryApi } from '../constructs/registry-api.js';
import { scheduledJobs, ScheduledJobs } from '../constructs/scheduled-jobs.js';
import { UploadService } from '../constructs/upload-service.js';
import { uploadServiceImage } from '../constructs/upload-service-image.js';
import { tokenSecretHmacField } from '../constructs/token-signing-secret.js';
import { adminPasswordField } from '../constructs/admin-credentials.js';
import { discoveryParameterName, discoveryParameterPrefix } from './discovery.js';
import type { StatefulStack } from './stateful-stack.js';

/**
 * Environment variables the entry points read, by their names in functions/config.ts (a renamed
 * variable breaks this build, not a deployment); AWS_REGION is set by Lambda itself and by the
 * task definition below.
 */
export const envNames = {
  stage: variableNames.BERTH_STAGE,
  bucket: variableNames.BERTH_BUCKET,
  table: variableNames.BERTH_TABLE,
  queueUrl: variableNames.BERTH_QUEUE_URL,
  longQueueUrl: variableNames.BERTH_LONG_QUEUE_URL,
  uploadTokenSecret: variableNames.BERTH_UPLOAD_TOKEN_SECRET,
  uploadServiceUrl: variableNames.BERTH_UPLOAD_SERVICE_URL,
  peerRegions: variableNames.BERTH_PEER_REGIONS,
  discoveryPrefix: variableNames.BERTH_DISCOVERY_PREFIX,
  auth: variableNames.BERTH_AUTH,
  adminPassword: variableNames.BERTH_ADMIN_PASSWORD,
  service: variableNames.BERTH_SERVICE,
  tokenRealm: variableNames.BERTH_TOKEN_REALM,
  vulnDbUrl: variableNames.BERTH_VULNDB_URL,
  vulnDbRefreshCron: variableNames.BERTH_VULNDB_REFRESH_CRON,
  scanningRegistryUrl: variableNames.BERTH_SCANNING_REGISTRY_URL,
  trustedProxyHops: variableNames.BERTH_TRUSTED_PROXY_HOPS,
} as const;

export interface ApiStackProps extends StackProps {
  readonly config: StageConfig;
  readonly stateful: StatefulStack;
  /** The other regions of the stage. */
  readonly peerRegions: readonly string[];
  readonly entryPoints: EntryPoints;
}

/** The code of one region: registry API, upload service, workers, schedules and monitoring. */
export class ApiStack extends Stack {
  readonly api: RegistryApi;
  readonly apiFunction: BerthFunction;
  readonly worker: QueueWorker;
  /** Replication and scanning: one job at a time, for up to Lambda's 15 minutes. */
  readonly longWorker: QueueWorker;
  /** Relays jobs committed with domain writes (the outbox) from the table's stream to SQS. */
  readonly outboxRelay: BerthFunction;
  readonly uploadService?: UploadService;
  readonly monitoring: Monitoring;

  /**
   * The region's first two zones, resolved by CloudFormation (`Fn::GetAZs`). With an account in
   * the configuration CDK would otherwise look the zones up at synth, which needs credentials;
   * zone names differ between accounts, so naming them in configuration would not do either.
   */
  override get availabilityZones(): string[] {
    const zones = Fn.getAzs();
    return [Fn.select(0, zones), Fn.select(1, zones)];
  }

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config, stateful } = props;
    const bucket = stateful.blobs.bucket;
    const table = stateful.metadata.table;
    const queue = stateful.jobs.queue;
    const longQueue = stateful.longJobs.queue;
    const enqueuers: IGrantable[] = [];
    const secret = stateful.tokenSecret.secret;

    const domain = config.domain
      ? new RegionalDomain(this, 'Domain', { domain: config.domain, region: this.region })
      : undefined;

    const dataEnv = {
      [envNames.stage]: config.name,
      [envNames.bucket]: bucket.bucketName,
      [envNames.table]: table.tableName,
      [envNames.queueUrl]: queue.queueUrl,
      [envNames.longQueueUrl]: longQueue.queueUrl,
    };
    const admin = stateful.adminCredentials?.secret;
    if (config.auth.enabled && !admin) throw new Error(`Stage ${config.name}: auth is on but the stateful stack has no admin secret`);
    // The same service and realm on the API and the upload service: a token the API's token
    // endpoint issues must be accepted by both. Behind a custom domain (and the load balancer,
    // which terminates TLS) the origin a process sees is not the one clients use, so the realm is
    // given; on the execute-api host the request's own origin is right.
    const identityEnv: Record<string, string> = config.auth.enabled
      ? {
          [envNames.auth]: 'on',
          [envNames.service]: config.auth.service ?? domain?.registryHost ?? 'berth',
          ...(domain ? { [envNames.tokenRealm]: `https://${domain.registryHost}/service/token` } : {}),
        }
      : // Explicit, so that a stray BERTH_ADMIN_PASSWORD can never turn it on half-configured.
        { [envNames.auth]: 'off' };
    const peerEnv = {
      [envNames.peerRegions]: props.peerRegions.join(','),
      [envNames.discoveryPrefix]: discoveryParameterPrefix(config.name),
    };

    if (config.uploadService.enabled) {
      if (!domain) throw new Error(`Stage ${config.name}: the upload service needs a domain`);
      this.uploadService = new UploadService(this, 'UploadService', {
        image: uploadServiceImage(this, props.entryPoints.uploadServer),
        config: config.uploadService,
        hostName: domain.uploadHost,
        zone: domain.zone,
        certificate: domain.certificate,
        // The load balancer appends the client's address to X-Forwarded-For: login throttling
        // keys on that, not on the balancer's own address.
        environment: { ...dataEnv, ...identityEnv, AWS_REGION: this.region, [envNames.trustedProxyHops]: '1' },
        // Injected by ECS from Secrets Manager when a task starts: never in the template or the
        // task definition.
        secrets: {
          [envNames.uploadTokenSecret]: EcsSecret.fromSecretsManager(secret, tokenSecretHmacField),
          ...(admin ? { [envNames.adminPassword]: EcsSecret.fromSecretsManager(admin, adminPasswordField) } : {}),
        },
        accessLogs: stateful.accessLogs.bucket,
        logRetentionDays: config.logRetentionDays,
      });
      const taskRole = this.uploadService.taskDefinition.taskRole;
      taskRole.addManagedPolicy(stateful.access.uploadService);
    }

    this.apiFunction = new BerthFunction(this, 'ApiFunction', {
      entry: props.entryPoints.api,
      description: 'Berth registry API',
      memoryMiB: config.api.memoryMiB,
      // API Gateway gives up after 30 s; a longer Lambda would only burn money.
      timeout: Duration.seconds(29),
      environment: {
        ...dataEnv,
        ...peerEnv,
        ...identityEnv,
        // Deploy-time dynamic reference, as for the upload key below: the template holds only the
        // reference, the function's (KMS-encrypted) configuration holds the password, and the
        // function needs no Secrets Manager access at run time. Whoever may read the function's
        // configuration may read the initial admin password; it is used on first start only.
        ...(admin ? { [envNames.adminPassword]: admin.secretValueFromJson(adminPasswordField).unsafeUnwrap() } : {}),
        ...(this.uploadService
          ? {
              [envNames.uploadServiceUrl]: this.uploadService.url,
              // Lambda has no secret injection: CloudFormation resolves this dynamic reference at
              // deploy time, so the key sits in the function's (KMS-encrypted) configuration and
              // the function needs no Secrets Manager access at run time. Reading it by ARN at
              // cold start would keep it out of the configuration; the entry point does not yet.
              [envNames.uploadTokenSecret]: secret.secretValueFromJson(tokenSecretHmacField).unsafeUnwrap(),
            }
          : {}),
        POWERTOOLS_SERVICE_NAME: 'berth-api',
      },
      logRetentionDays: config.logRetentionDays,
    });
    const apiRole = this.apiFunction.role;
    apiRole.addManagedPolicy(stateful.access.api);
    enqueuers.push(apiRole);

    this.api = new RegistryApi(this, 'Api', {
      handler: this.apiFunction.function,
      throttleRateLimit: config.api.throttleRateLimit,
      throttleBurstLimit: config.api.throttleBurstLimit,
      logRetentionDays: config.logRetentionDays,
      domain,
    });

    // Scans and vulnerability data refreshes run on the workers: the OSV exports to fetch, and the
    // URL external scanner adapters pull artifacts from (this region's registry as clients reach it).
    const scanningEnv: Record<string, string> = {
      [envNames.scanningRegistryUrl]: this.api.url,
      ...(config.scanning
        ? {
            [envNames.vulnDbUrl]: config.scanning.vulnDbUrls.join(','),
            ...(config.scanning.vulnDbRefreshCron ? { [envNames.vulnDbRefreshCron]: config.scanning.vulnDbRefreshCron } : {}),
          }
        : {}),
    };

    this.worker = new QueueWorker(this, 'JobsWorker', {
      entry: props.entryPoints.worker,
      queue,
      description: 'Berth jobs worker',
      config: config.workers,
      environment: {
        ...dataEnv,
        ...peerEnv,
        ...scanningEnv,
        POWERTOOLS_SERVICE_NAME: 'berth-worker',
      },
      logRetentionDays: config.logRetentionDays,
    });
    const workerRole = this.worker.handler.role;
    workerRole.addManagedPolicy(stateful.access.worker);

    this.longWorker = new QueueWorker(this, 'LongJobsWorker', {
      entry: props.entryPoints.worker,
      queue: longQueue,
      description: 'Berth long jobs worker (replication, scanning)',
      config: { batchSize: longQueueDefinition.batchSize, maxConcurrency: config.workers.maxConcurrency },
      timeoutSeconds: longQueueDefinition.workerTimeoutSeconds,
      // Layers stream through; memory buys CPU for hashing and decompressing them.
      memoryMiB: 2048,
      environment: {
        ...dataEnv,
        ...peerEnv,
        ...scanningEnv,
        POWERTOOLS_SERVICE_NAME: 'berth-long-worker',
      },
      logRetentionDays: config.logRetentionDays,
    });
    const longWorkerRole = this.longWorker.handler.role;
    longWorkerRole.addManagedPolicy(stateful.access.worker);
    // Jobs may enqueue follow-up jobs (an event fans out into replication and scan jobs).
    enqueuers.push(workerRole, longWorkerRole);

    this.outboxRelay = new BerthFunction(this, 'OutboxRelay', {
      entry: props.entryPoints.outboxRelay,
      description: 'Berth outbox relay: committed jobs from the table stream to SQS',
      memoryMiB: 256,
      timeout: Duration.seconds(60),
      environment: { ...dataEnv, POWERTOOLS_SERVICE_NAME: 'berth-outbox-relay' },
      logRetentionDays: config.logRetentionDays,
    });
    this.outboxRelay.function.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        // Items stay in the table until relayed, and the scheduler's tick sweeps what the stream
        // gave up on; retrying for ever would only hold the shard up.
        retryAttempts: 10,
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.isEqual('INSERT'),
            dynamodb: { Keys: { pk: { S: FilterRule.beginsWith(partitions.outbox) } } },
          }),
        ],
      }),
    );
    const relayRole = this.outboxRelay.role;
    acknowledge(relayRole, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'dynamodb:ListStreams, which the stream event source needs, cannot be scoped to a resource; the stream read actions themselves name the table stream.',
    });
    // Reads the item it relays and deletes it once sent; nothing else of the table.
    relayRole.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:DeleteItem'], resources: [table.tableArn] }));
    enqueuers.push(relayRole);
    for (const grantee of enqueuers) {
      queue.grantSendMessages(grantee);
      longQueue.grantSendMessages(grantee);
    }

    new ScheduledJobs(this, 'Schedules', { queue, jobs: scheduledJobs });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      api: this.api.httpApi,
      functions: [
        { name: 'Api', function: this.apiFunction.function },
        { name: 'JobsWorker', function: this.worker.handler.function },
        { name: 'LongJobsWorker', function: this.longWorker.handler.function },
        { name: 'OutboxRelay', function: this.outboxRelay.function },
      ],
      queues: [
        { name: 'Jobs', queue, deadLetterQueue: stateful.jobs.deadLetterQueue },
        { name: 'LongJobs', queue: longQueue, deadLetterQueue: stateful.longJobs.deadLetterQueue },
      ],
      uploadService: this.uploadService,
      alarmEmail: config.alarmEmail,
    });

    new StringParameter(this, 'Discovery', {
      parameterName: discoveryParameterName(config.name, this.region, 'api'),
      description: 'Berth: public endpoints of this region, for its peer regions',
      stringValue: Stack.of(this).toJsonString({
        registryUrl: this.api.url,
        uploadServiceUrl: this.uploadService?.url ?? null,
      }),
    });

    new CfnOutput(this, 'RegistryUrl', {
      description: 'Base URL of the registry (the OCI API is under /v2/)',
      value: this.api.url,
    });
    new CfnOutput(this, 'DockerLogin', {
      description: 'Log in to this registry with docker',
      value: `docker login ${this.api.host}`,
    });
    if (this.uploadService) {
      new CfnOutput(this, 'UploadServiceUrl', { value: this.uploadService.url });
    }
  }
}

import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import {
  Cluster,
  ContainerInsights,
  CpuArchitecture,
  FargateService,
  FargateTaskDefinition,
  LogDrivers,
  OperatingSystemFamily,
  Secret as EcsSecret,
  type ContainerImage,
} from 'aws-cdk-lib/aws-ecs';
import {
  ApplicationLoadBalancer,
  ApplicationProtocol,
  SslPolicy,
  type ApplicationTargetGroup,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { ARecord, RecordTarget, type IHostedZone } from 'aws-cdk-lib/aws-route53';
import { LoadBalancerTarget } from 'aws-cdk-lib/aws-route53-targets';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { LogRetentionDays, UploadServiceConfig } from '../config/stage-config.js';
import { acknowledge } from '../nag/acknowledge.js';

/** Port the Node entry listens on (`PORT`). */
export const uploadServicePort = 8080;

export interface UploadServiceProps {
  readonly image: ContainerImage;
  readonly config: UploadServiceConfig;
  readonly hostName: string;
  readonly zone: IHostedZone;
  readonly certificate: ICertificate;
  readonly environment: Record<string, string>;
  /** Environment variables ECS fills from Secrets Manager when a task starts. */
  readonly secrets: Record<string, EcsSecret>;
  readonly accessLogs: IBucket;
  readonly logRetentionDays: LogRetentionDays;
}

/**
 * The streaming upload service: the registry app on Node in Fargate tasks behind an HTTPS load
 * balancer, for layer uploads larger than a Lambda request can carry.
 *
 * Network: public subnets only, tasks with public addresses reachable only from the load
 * balancer's security group, and gateway endpoints so S3 and DynamoDB traffic stays inside AWS.
 * No NAT gateway: it would cost more at idle than the tasks themselves.
 */
export class UploadService extends Construct {
  readonly url: string;
  readonly service: FargateService;
  readonly loadBalancer: ApplicationLoadBalancer;
  readonly targetGroup: ApplicationTargetGroup;
  readonly taskDefinition: FargateTaskDefinition;

  constructor(scope: Construct, id: string, props: UploadServiceProps) {
    super(scope, id);
    const { config } = props;

    const flowLogs = new LogGroup(this, 'FlowLogs', {
      retention: props.logRetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Two zones; which ones CloudFormation decides (see ApiStack.availabilityZones).
    const vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 }],
      gatewayEndpoints: {
        S3: { service: GatewayVpcEndpointAwsService.S3 },
        DynamoDb: { service: GatewayVpcEndpointAwsService.DYNAMODB },
      },
      // Rejected traffic only: accepted flows would log every upload's packets at $0.50/GB.
      flowLogs: {
        Rejected: {
          trafficType: FlowLogTrafficType.REJECT,
          destination: FlowLogDestination.toCloudWatchLogs(flowLogs),
        },
      },
      // Nothing is placed in the default security group, so there is nothing to restrict and no
      // need for the custom resource that would do it.
      restrictDefaultSecurityGroup: false,
    });

    const cluster = new Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ContainerInsights.ENABLED,
    });

    this.taskDefinition = new FargateTaskDefinition(this, 'Task', {
      cpu: config.cpu,
      memoryLimitMiB: config.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: CpuArchitecture.ARM64,
        operatingSystemFamily: OperatingSystemFamily.LINUX,
      },
    });
    const logs = new LogGroup(this, 'Logs', {
      retention: props.logRetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.taskDefinition.addContainer('Server', {
      image: props.image,
      environment: { ...props.environment, PORT: String(uploadServicePort) },
      secrets: props.secrets,
      logging: LogDrivers.awsLogs({ logGroup: logs, streamPrefix: 'upload' }),
      portMappings: [{ containerPort: uploadServicePort }],
      // The service streams request bodies to S3; it has no reason to write to its own disk.
      readonlyRootFilesystem: true,
      // Give in-flight uploads time to finish after SIGTERM (the Fargate maximum).
      stopTimeout: Duration.seconds(120),
    });

    this.service = new FargateService(this, 'Service', {
      cluster,
      taskDefinition: this.taskDefinition,
      assignPublicIp: true,
      vpcSubnets: { subnetType: SubnetType.PUBLIC },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
    });

    this.loadBalancer = new ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: SubnetType.PUBLIC },
      // A layer PATCH can stall while the client reads a slow disk; do not cut it at 60 s.
      idleTimeout: Duration.seconds(300),
      dropInvalidHeaderFields: true,
    });
    this.loadBalancer.logAccessLogs(props.accessLogs, 'upload-service');

    const listener = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: ApplicationProtocol.HTTPS,
      certificates: [props.certificate],
      sslPolicy: SslPolicy.RECOMMENDED_TLS,
      open: true,
    });
    this.targetGroup = listener.addTargets('Tasks', {
      port: uploadServicePort,
      protocol: ApplicationProtocol.HTTP,
      targets: [this.service],
      // `/v2/` answers 200, or 401 once authentication is on: either way the app is up.
      healthCheck: {
        path: '/v2/',
        healthyHttpCodes: '200,401',
        interval: Duration.seconds(15),
        healthyThresholdCount: 2,
      },
      deregistrationDelay: Duration.seconds(300),
    });

    const scaling = this.service.autoScaleTaskCount({
      minCapacity: config.minTasks,
      maxCapacity: config.maxTasks,
    });
    scaling.scaleOnRequestCount('Requests', {
      requestsPerTarget: config.requestsPerTaskPerMinute,
      targetGroup: this.targetGroup,
    });
    // Uploads are few and long, so requests alone under-count load: hashing costs CPU, and every
    // upload in flight holds a buffered segment in memory.
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: config.cpuTargetPercent });
    scaling.scaleOnMemoryUtilization('Memory', { targetUtilizationPercent: config.memoryTargetPercent });

    const target = RecordTarget.fromAlias(new LoadBalancerTarget(this.loadBalancer));
    new ARecord(this, 'AliasRecord', { zone: props.zone, recordName: props.hostName, target });
    this.url = `https://${props.hostName}`;

    acknowledge(this.loadBalancer, {
      id: 'AwsSolutions-EC23',
      reason: 'The upload service is a public endpoint for container clients anywhere; uploads carry signed tokens.',
    });
    if (this.taskDefinition.executionRole) {
      acknowledge(this.taskDefinition.executionRole, {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ecr:GetAuthorizationToken cannot be scoped to a resource; image pulls are scoped to the asset repository.',
      });
    }
    acknowledge(this.taskDefinition, {
      id: 'AwsSolutions-ECS2',
      reason: 'The plain environment holds resource names, URLs and auth switches only; the signing key and the admin password come from Secrets Manager through the task definition secrets.',
    });
  }
}

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { envNames } from '../../infra/stacks/api-stack.js';
import { defineStage } from '../../infra/config/stages.js';
import { actionsOf, devLike, iamStatements, prodLike, removeAssemblies, synthStage, templates } from './synth.js';

let prod: Template;
let dev: Template;
let open: Template;
let all: Map<string, Template>;

beforeAll(() => {
  all = new Map();
  for (const [id, t] of templates(synthStage(prodLike))) all.set(`prod/${id}`, t);
  for (const [id, t] of templates(synthStage(devLike))) all.set(`dev/${id}`, t);
  prod = all.get('prod/Api-eu-west-1')!;
  dev = all.get('dev/Api-eu-west-1')!;
  open = templates(synthStage(defineStage({ ...devLike, name: 'open', auth: { enabled: false } }))).get('Api-eu-west-1')!;
});
afterAll(removeAssemblies);

type Resource = { Type: string; Properties: Record<string, any> };

function functionByDescription(t: Template, description: string): Resource {
  const found = Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Description: description } }));
  expect(found).toHaveLength(1);
  return found[0] as Resource;
}

/** `Fn::GetStackOutput` of the region's stateful stack whose output name mentions `ref`. */
function statefulOutput(ref: string) {
  return {
    'Fn::GetStackOutput': Match.objectLike({
      StackName: 'prod-Stateful-eu-west-1',
      OutputName: Match.stringLikeRegexp(ref),
    }),
  };
}

describe('Lambda functions', () => {
  test.each(['Berth registry API', 'Berth jobs worker'])('%s: Node 22, arm64, ESM bundle, source maps', (description) => {
    const fn = functionByDescription(prod, description);
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
    });
    expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
  });

  test('the API function gets the names of its region’s data and the upload service URL', () => {
    prod.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Berth registry API',
      Timeout: 29,
      Environment: {
        Variables: {
          [envNames.stage]: 'prod',
          [envNames.bucket]: statefulOutput('RefBlobBucket'),
          [envNames.table]: statefulOutput('RefMetadataTable'),
          [envNames.queueUrl]: statefulOutput('RefJobsQueue'),
          [envNames.uploadServiceUrl]: 'https://uploads.eu-west-1.registry.example.com',
          [envNames.peerRegions]: 'us-east-1',
          [envNames.discoveryPrefix]: '/berth/prod/regions',
        },
      },
    });
  });

  test('the API function gets the upload token key as a deploy-time dynamic reference, never a literal', () => {
    const value = functionByDescription(prod, 'Berth registry API').Properties.Environment.Variables[envNames.uploadTokenSecret];
    const joined = JSON.stringify(value);
    expect(joined).toContain('{{resolve:secretsmanager:');
    expect(joined).toContain('RefTokenSigningSecret');
    expect(joined).toContain(':SecretString:hmacKey::}}');
  });

  test('without an upload service the API function is told of neither it nor its key', () => {
    const variables = functionByDescription(dev, 'Berth registry API').Properties.Environment.Variables;
    expect(variables[envNames.uploadServiceUrl]).toBeUndefined();
    expect(variables[envNames.uploadTokenSecret]).toBeUndefined();
    expect(variables[envNames.peerRegions]).toBe('');
  });

  test('the API function turns auth on, with the stage’s token service and realm', () => {
    const variables = functionByDescription(prod, 'Berth registry API').Properties.Environment.Variables;
    expect(variables[envNames.auth]).toBe('on');
    expect(variables[envNames.service]).toBe('eu-west-1.registry.example.com');
    expect(variables[envNames.tokenRealm]).toBe('https://eu-west-1.registry.example.com/service/token');
    // On the execute-api host the request's own origin is the realm.
    const devVariables = functionByDescription(dev, 'Berth registry API').Properties.Environment.Variables;
    expect(devVariables[envNames.auth]).toBe('on');
    expect(devVariables[envNames.service]).toBe('berth');
    expect(devVariables[envNames.tokenRealm]).toBeUndefined();
  });

  test('the API function gets the admin password from the admin secret at deploy time, never a literal', () => {
    for (const [t, stage] of [[prod, 'prod'], [dev, 'dev']] as const) {
      const value = functionByDescription(t, 'Berth registry API').Properties.Environment.Variables[envNames.adminPassword];
      expect(value).toEqual({
        'Fn::Join': [
          '',
          [
            '{{resolve:secretsmanager:',
            { 'Fn::GetStackOutput': expect.objectContaining({ StackName: `${stage}-Stateful-eu-west-1`, OutputName: expect.stringMatching(/^PublishOutputRefAdminCredentials/) }) },
            ':SecretString:password::}}',
          ],
        ],
      });
    }
  });

  test('a stage that turns auth off says so, and gets no admin password', () => {
    const variables = functionByDescription(open, 'Berth registry API').Properties.Environment.Variables;
    expect(variables[envNames.auth]).toBe('off');
    expect(variables[envNames.adminPassword]).toBeUndefined();
    expect(variables[envNames.service]).toBeUndefined();
  });

  test('the worker needs no upload key', () => {
    const variables = functionByDescription(prod, 'Berth jobs worker').Properties.Environment.Variables;
    expect(variables[envNames.uploadTokenSecret]).toBeUndefined();
    expect(variables[envNames.queueUrl]).toEqual(expect.objectContaining({ 'Fn::GetStackOutput': expect.anything() }));
  });

  test('no function may read Secrets Manager at run time', () => {
    const reads = iamStatements('api', prod).filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(reads.map((s) => s.where).filter((w) => !w.includes('ExecutionRole'))).toEqual([]);
  });

  test('each function has its own role with its own data policy', () => {
    const roles = prod.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] }) } });
    const policies = Object.values(roles).map((r) => JSON.stringify(r.Properties.ManagedPolicyArns ?? []));
    expect(policies.some((p) => p.includes('RefDataAccessapi'))).toBe(true);
    expect(policies.some((p) => p.includes('RefDataAccessworker'))).toBe(true);
    // No AWS-managed policy (AWSLambdaBasicExecutionRole allows creating any log group).
    for (const p of policies) expect(p).not.toContain('arn:');
  });
});

describe('HTTP API', () => {
  test('serves everything on the $default route and stage, throttled, with access logs', () => {
    prod.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    prod.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default' });
    prod.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
    prod.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"status":"\\$context.status"') },
    });
  });

  test('the integration invokes the API function', () => {
    const integration = Object.values(prod.findResources('AWS::ApiGatewayV2::Integration'))[0]!;
    const apiFunctionId = Object.entries(prod.findResources('AWS::Lambda::Function', { Properties: { Description: 'Berth registry API' } }))[0]![0];
    expect(JSON.stringify(integration.Properties.IntegrationUri)).toContain(apiFunctionId);
  });

  test('a custom domain maps the registry host to the $default stage', () => {
    prod.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'eu-west-1.registry.example.com' });
    prod.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    prod.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'eu-west-1.registry.example.com.',
      Type: 'A',
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
    });
    prod.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'eu-west-1.registry.example.com',
      SubjectAlternativeNames: ['uploads.eu-west-1.registry.example.com'],
      ValidationMethod: 'DNS',
    });
    dev.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
    dev.resourceCountIs('AWS::CertificateManager::Certificate', 0);
  });

  test('outputs the registry URL and the docker login command', () => {
    prod.hasOutput('RegistryUrl', { Value: 'https://eu-west-1.registry.example.com' });
    prod.hasOutput('DockerLogin', { Value: 'docker login eu-west-1.registry.example.com' });
    const devUrl = JSON.stringify(dev.toJSON().Outputs.RegistryUrl.Value);
    expect(devUrl).toContain('.execute-api.eu-west-1.');
    expect(JSON.stringify(dev.toJSON().Outputs.DockerLogin.Value)).toContain('docker login ');
  });
});

describe('jobs worker', () => {
  test('consumes the jobs queue with partial batch responses and a concurrency cap', () => {
    prod.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: statefulOutput('FnGetAttJobsQueueArn'),
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    dev.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 2 } });
  });

  test('each worker may consume its own queue, and only it', () => {
    const consume = iamStatements('api', prod).filter((s) => actionsOf(s).includes('sqs:ReceiveMessage'));
    expect(consume).toHaveLength(2);
    const byRole = Object.fromEntries(consume.map((s) => [s.where.replace(/^api\//, '').replace(/[0-9A-Fa-f]{8}$/, ''), JSON.stringify(s.Resource)]));
    expect(byRole.JobsWorkerHandlerRoleDefaultPolicy).toContain('FnGetAttJobsQueueArn');
    expect(byRole.LongJobsWorkerHandlerRoleDefaultPolicy).toContain('FnGetAttLongJobsQueueArn');
  });

  test('the long-job worker runs one job at a time for up to 15 minutes, within the queue visibility timeout', () => {
    const worker = functionByDescription(prod, 'Berth long jobs worker (replication, scanning)');
    expect(worker.Properties.Timeout).toBe(900);
    prod.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 1, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    all.get('prod/Stateful-eu-west-1')!.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 5400 });
  });

  test('the outbox relay reads only new outbox items from the table stream, and reports failures one by one', () => {
    prod.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { Keys: { pk: { S: [{ prefix: 'outbox#' }] } } } }) }] },
    });
    const relay = iamStatements('api', prod).filter((s) => s.where.includes('OutboxRelayRole'));
    const tableActions = relay.flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:') && !a.includes('Stream') && !a.includes('Shard') && !a.includes('Records'));
    expect(tableActions.sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem']);
  });
});

describe('upload service', () => {
  test('runs arm64 Fargate tasks of the bundled Node entry with its data names', () => {
    prod.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [
        Match.objectLike({
          ReadonlyRootFilesystem: true,
          PortMappings: [{ ContainerPort: 8080, Protocol: 'tcp' }],
          Environment: Match.arrayWith([
            { Name: envNames.bucket, Value: statefulOutput('RefBlobBucket') },
            { Name: envNames.table, Value: statefulOutput('RefMetadataTable') },
            { Name: envNames.queueUrl, Value: statefulOutput('RefJobsQueue') },
            { Name: 'AWS_REGION', Value: 'eu-west-1' },
            { Name: 'PORT', Value: '8080' },
          ]),
          Secrets: [
            {
              Name: envNames.uploadTokenSecret,
              ValueFrom: { 'Fn::Join': ['', [statefulOutput('RefTokenSigningSecret'), ':hmacKey::']] },
            },
            {
              Name: envNames.adminPassword,
              ValueFrom: { 'Fn::Join': ['', [statefulOutput('RefAdminCredentials'), ':password::']] },
            },
          ],
        }),
      ],
    });
  });

  test('turns auth on with the API’s token service and realm, and no URL of its own', () => {
    const container = Object.values(prod.findResources('AWS::ECS::TaskDefinition'))[0]!.Properties.ContainerDefinitions[0];
    const environment = Object.fromEntries(
      (container.Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]),
    );
    expect(environment[envNames.auth]).toBe('on');
    expect(environment[envNames.service]).toBe('eu-west-1.registry.example.com');
    // Behind the load balancer the task sees http://<task address>; clients need the API's realm.
    expect(environment[envNames.tokenRealm]).toBe('https://eu-west-1.registry.example.com/service/token');
    // Its Locations are relative, with a fresh token: it needs no knowledge of its public name.
    expect(environment[envNames.uploadServiceUrl]).toBeUndefined();
    // Secrets only through the task definition's secrets, never in the plain environment.
    expect(environment[envNames.adminPassword]).toBeUndefined();
    expect(environment[envNames.uploadTokenSecret]).toBeUndefined();
  });

  test('may not send jobs: blob uploads emit none, and manifest events go through the outbox', () => {
    const sends = iamStatements('api', prod).filter((s) => actionsOf(s).includes('sqs:SendMessage'));
    const senders = [...new Set(sends.map((s) => s.where.replace(/^api\//, '').replace(/[0-9A-Fa-f]{8}$/, '')))].sort();
    expect(senders).toEqual([
      'ApiFunctionRoleDefaultPolicy',
      'JobsWorkerHandlerRoleDefaultPolicy',
      'LongJobsWorkerHandlerRoleDefaultPolicy',
      'OutboxRelayRoleDefaultPolicy',
      expect.stringMatching(/^SchedulerRoleForTarget.*DefaultPolicy/),
    ]);
  });

  test('answers HTTPS on 443 with a current TLS policy and forwards to the tasks', () => {
    prod.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      Certificates: [{ CertificateArn: Match.anyValue() }],
    });
    prod.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080,
      Protocol: 'HTTP',
      TargetType: 'ip',
      HealthCheckPath: '/v2/',
      Matcher: { HttpCode: '200,401' },
    });
    prod.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
    prod.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'uploads.eu-west-1.registry.example.com.', Type: 'A' });
  });

  test('scales between the configured bounds on requests, CPU and memory', () => {
    prod.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 6 });
    const metrics = Object.values(prod.findResources('AWS::ApplicationAutoScaling::ScalingPolicy')).map(
      (p) => p.Properties.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.PredefinedMetricType,
    );
    expect(metrics.sort()).toEqual([
      'ALBRequestCountPerTarget',
      'ECSServiceAverageCPUUtilization',
      'ECSServiceAverageMemoryUtilization',
    ]);
  });

  test('tasks accept traffic from the load balancer only', () => {
    const ingress = Object.values(prod.findResources('AWS::EC2::SecurityGroupIngress'));
    expect(ingress).toHaveLength(1);
    expect(ingress[0]!.Properties).toMatchObject({ FromPort: 8080, ToPort: 8080, IpProtocol: 'tcp' });
    const source = ingress[0]!.Properties.SourceSecurityGroupId['Fn::GetAtt'][0] as string;
    expect(source).toMatch(/^UploadServiceLoadBalancerSecurityGroup/);
  });

  test('the task role holds the upload service policy, nothing more; only the execution role reads the key', () => {
    const taskRoles = Object.entries(prod.findResources('AWS::IAM::Role')).filter(([id]) => id.includes('TaskTaskRole'));
    expect(taskRoles).toHaveLength(1);
    const [roleId, role] = taskRoles[0]!;
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toContain('RefDataAccessuploadService');
    expect(role.Properties.ManagedPolicyArns).toHaveLength(1);
    const inline = iamStatements('api', prod).filter((s) => s.where.includes(roleId.replace(/[0-9A-F]{8}$/, '')));
    expect(inline).toEqual([]);
    const execution = iamStatements('api', prod).filter((s) => s.where.includes('TaskExecutionRole'));
    const secretRead = execution.filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
    expect(secretRead).toHaveLength(1);
    const readable = (Array.isArray(secretRead[0]!.Resource) ? secretRead[0]!.Resource : [secretRead[0]!.Resource]) as unknown[];
    expect(readable.map((r) => JSON.stringify(r).match(/PublishOutputRef([A-Za-z]+?)[0-9A-F]{8}/)?.[1]).sort()).toEqual([
      'AdminCredentials',
      'TokenSigningSecret',
    ]);
  });

  test('does not exist in a stage that does not enable it', () => {
    for (const type of ['AWS::ECS::Service', 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::EC2::VPC']) {
      dev.resourceCountIs(type, 0);
    }
  });
});

describe('scheduled jobs', () => {
  test('one tick a minute on the jobs queue runs every schedule users set', () => {
    const schedules = Object.values(prod.findResources('AWS::Scheduler::Schedule'));
    expect(schedules.map((s) => JSON.parse(s.Properties.Target.Input).kind).sort()).toEqual(['schedule-tick']);
    for (const schedule of schedules) {
      expect(schedule.Properties.State).toBe('ENABLED');
      expect(schedule.Properties.ScheduleExpression).toBe('rate(1 minute)');
      expect(JSON.stringify(schedule.Properties.Target.Arn)).toContain('FnGetAttJobsQueueArn');
      expect(JSON.parse(schedule.Properties.Target.Input)).toMatchObject({ version: 1, id: '<aws.scheduler.execution-id>' });
    }
  });
});

describe('monitoring', () => {
  const alarms = (t: Template) => Object.values(t.findResources('AWS::CloudWatch::Alarm')) as Resource[];

  test('alarms on dead letters, API 5xx rate, function errors and throttles, upload errors', () => {
    const prodAlarms = alarms(prod);
    const metricNames = prodAlarms.map((a) => a.Properties.MetricName ?? 'math');
    expect(metricNames.sort()).toEqual([
      'ApproximateNumberOfMessagesVisible',
      'ApproximateNumberOfMessagesVisible',
      'Errors',
      'Errors',
      'Errors',
      'Errors',
      'HTTPCode_Target_5XX_Count',
      'Throttles',
      'Throttles',
      'Throttles',
      'Throttles',
      'UnHealthyHostCount',
      'math',
    ]);
    const dlq = prodAlarms.find((a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible')!;
    expect(JSON.stringify(dlq.Properties.Dimensions)).toContain('FnGetAttJobsDeadLetterQueueQueueName');
    const rate = prodAlarms.find((a) => !a.Properties.MetricName)!;
    expect(JSON.stringify(rate.Properties.Metrics)).toContain('100 * errors / requests');
    expect(JSON.stringify(rate.Properties.Metrics)).toContain('"MetricName":"5xx"');
    expect(alarms(dev)).toHaveLength(11);
  });

  test('every alarm notifies the alarm topic, which mails the configured address', () => {
    const topicId = Object.keys(prod.findResources('AWS::SNS::Topic'))[0]!;
    for (const alarm of alarms(prod)) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    prod.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    dev.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test('has a dashboard', () => {
    prod.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = JSON.stringify(Object.values(prod.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody);
    for (const title of ['API requests', 'Dead-lettered jobs', 'Upload requests']) expect(body).toContain(title);
  });
});

describe('least privilege across every stack', () => {
  const dataServices = ['s3', 'dynamodb', 'sqs', 'secretsmanager'];

  test('no statement grants a wildcard action on data', () => {
    let checked = 0;
    for (const [name, t] of all) {
      for (const statement of iamStatements(name, t)) {
        if (statement.Effect !== 'Allow') continue;
        for (const action of actionsOf(statement)) {
          checked++;
          expect(action, statement.where).not.toBe('*');
          const [service] = action.split(':');
          if (dataServices.includes(service!)) expect(action, statement.where).not.toContain('*');
        }
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  test('Resource "*" appears only for actions that cannot be scoped', () => {
    const unscopable = new Set(['ecr:GetAuthorizationToken', 'dynamodb:ListStreams']);
    for (const [name, t] of all) {
      for (const statement of iamStatements(name, t)) {
        if (statement.Effect !== 'Allow' || statement.Resource !== '*') continue;
        for (const action of actionsOf(statement)) expect(unscopable.has(action), `${statement.where} ${action}`).toBe(true);
      }
    }
  });
});

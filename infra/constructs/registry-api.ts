import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  ApiMapping,
  DomainName,
  HttpApi,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { ARecord, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import type { LogRetentionDays } from '../config/stage-config.js';
import { acknowledge } from '../nag/acknowledge.js';
import type { RegionalDomain } from './regional-domain.js';

export interface RegistryApiProps {
  readonly handler: IFunction;
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  readonly logRetentionDays: LogRetentionDays;
  /** When given, the API is also served on `domain.registryHost`. */
  readonly domain?: RegionalDomain;
}

/** Fields of the access log; HTTP APIs support fewer `$context` variables than REST APIs. */
const accessLogFields = {
  requestId: '$context.requestId',
  time: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  method: '$context.httpMethod',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  latency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
};

/**
 * The registry's public HTTP endpoint: one HTTP API whose `$default` route sends every request
 * to the API Lambda, on the `$default` stage so clients reach `https://<host>/v2/` with no stage
 * segment in the path.
 */
export class RegistryApi extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  /** `https://<host>` with no trailing slash: what `docker login` and upload Locations use. */
  readonly url: string;
  /** The host alone, for `docker login <host>`. */
  readonly host: string;

  constructor(scope: Construct, id: string, props: RegistryApiProps) {
    super(scope, id);
    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Berth registry (OCI distribution API)',
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('Registry', props.handler),
    });

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const domainName = props.domain
      ? new DomainName(this, 'DomainName', {
          domainName: props.domain.registryHost,
          certificate: props.domain.certificate,
        })
      : undefined;

    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRateLimit, burstLimit: props.throttleBurstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(accessLogFields)),
      },
    });
    if (props.domain && domainName) {
      new ApiMapping(this, 'DomainMapping', { api: this.httpApi, domainName, stage: this.stage });
      const target = RecordTarget.fromAlias(
        new ApiGatewayv2DomainProperties(domainName.regionalDomainName, domainName.regionalHostedZoneId),
      );
      new ARecord(this, 'AliasRecord', { zone: props.domain.zone, recordName: props.domain.registryHost, target });
      this.host = props.domain.registryHost;
    } else {
      const stack = Stack.of(this);
      this.host = `${this.httpApi.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`;
    }
    this.url = `https://${this.host}`;

    acknowledge(this.httpApi, {
      id: 'AwsSolutions-APIG4',
      reason:
        'The registry authorises every request itself (Docker token authentication and anonymous pulls of public projects); a gateway authorizer cannot express either.',
    });
  }
}

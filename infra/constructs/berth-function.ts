import { Duration, RemovalPolicy, Stack, type CfnResource } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { LogRetentionDays } from '../config/stage-config.js';
import { functionCode } from './function-code.js';
import { acknowledge } from '../nag/acknowledge.js';

/**
 * The runtime every Berth function runs on, pinned so a CDK upgrade never moves production to a
 * Node version the code was not tested on.
 */
export const functionRuntime = Runtime.NODEJS_22_X;

export interface BerthFunctionProps {
  /** Absolute path of the entry file; it must export `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly memoryMiB: number;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  readonly logRetentionDays: LogRetentionDays;
}

/**
 * A Lambda function bundled from TypeScript by the esbuild in devDependencies (never Docker):
 * ESM, arm64, Node 22, minified with source maps. It gets its own role that may only write to its
 * own log group; callers add data grants.
 */
export class BerthFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: BerthFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new LambdaFunction(this, 'Function', {
      code: functionCode(this, props.entry),
      handler: 'index.handler',
      description: props.description,
      runtime: functionRuntime,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMiB,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      // Stack traces point into the TypeScript sources through the bundled source maps.
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
    });

    acknowledge(this.role, {
      id: `AwsSolutions-IAM5[Resource::<${logGroupRef(this.logGroup)}.Arn>:*]`,
      reason: 'Log streams get generated names inside this function’s own log group.',
    });
    acknowledge(this.function, {
      id: 'AwsSolutions-L1',
      reason: 'The runtime is pinned to Node.js 22 on purpose: the code and its dependencies are tested on it.',
    });
  }
}

/** How cdk-nag names a log group in a finding: its logical id, as the stack will render it. */
function logGroupRef(logGroup: LogGroup): string {
  const cfn = logGroup.node.defaultChild as CfnResource;
  return Stack.of(logGroup).resolve(cfn.logicalId) as string;
}

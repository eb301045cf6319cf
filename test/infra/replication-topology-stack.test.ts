import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { inboundSecretName, replicationEnvNames } from '../../infra/constructs/replication-topology.js';
import { defineStage } from '../../infra/config/stages.js';
import { validateStageConfig } from '../../infra/config/stage-config.js';
import type { BerthStage } from '../../infra/stage/berth-stage.js';
import { nagFindings, prodLike, removeAssemblies, synthStage, templates } from './synth.js';

/** A chain: us-east-1 takes pushes, feeds eu-west-1, which feeds ap-southeast-2. */
const chain = defineStage({
  ...prodLike,
  regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'],
  replication: { primary: 'us-east-1', upstreams: { 'ap-southeast-2': 'eu-west-1' } },
});

let stage: BerthStage;
beforeAll(() => {
  stage = synthStage(chain);
  templates(stage);
});
afterAll(removeAssemblies);

function functionsEnv(regionId: string): Record<string, unknown>[] {
  const template = templates(stage).get(`Api-${regionId}`)!;
  return Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Berth (registry API|jobs worker|long jobs worker)') } })).map(
    (fn) => fn.Properties.Environment.Variables as Record<string, unknown>,
  );
}

describe('a stage with a region topology', () => {
  test('each fed region generates its inbound password, replicated to the region feeding it', () => {
    for (const [to, from] of [
      ['eu-west-1', 'us-east-1'],
      ['ap-southeast-2', 'eu-west-1'],
    ]) {
      templates(stage).get(`Api-${to}`)!.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: inboundSecretName('prod', to!),
        ReplicaRegions: [{ Region: from }],
      });
      for (const env of functionsEnv(to!)) expect(env[replicationEnvNames.inboundPassword]).toBeDefined();
    }
    expect(Object.keys(templates(stage).get('Api-us-east-1')!.findResources('AWS::SecretsManager::Secret', { Properties: { ReplicaRegions: Match.anyValue() } }))).toEqual([]);
  });

  test('each feeding region knows its targets, their URLs and the replica of their password', () => {
    const [api, worker, long] = functionsEnv('eu-west-1');
    for (const env of [api, worker, long]) {
      const targets = JSON.stringify(env![replicationEnvNames.targets]);
      expect(targets).toContain('https://ap-southeast-2.registry.example.com');
      expect(targets).toContain(`{{resolve:secretsmanager:${inboundSecretName('prod', 'ap-southeast-2')}:SecretString:password::}}`);
      expect(targets).toContain(`{{resolve:secretsmanager:${inboundSecretName('prod', 'ap-southeast-2')}:SecretString:bucket::}}`);
      expect(env![replicationEnvNames.key]).toBeDefined();
    }
    for (const env of functionsEnv('ap-southeast-2')) expect(env[replicationEnvNames.targets]).toBeUndefined();
  });

  test('the fed region puts its blob bucket beside the password; the feeding long-job worker may copy into it, and only its blobs', () => {
    const secret = Object.values(templates(stage).get('Api-ap-southeast-2')!.findResources('AWS::SecretsManager::Secret', { Properties: { Name: inboundSecretName('prod', 'ap-southeast-2') } }))[0]!;
    const generate = secret.Properties.GenerateSecretString as { GenerateStringKey: string; SecretStringTemplate: unknown };
    expect(generate.GenerateStringKey).toBe('password');
    expect(JSON.stringify(generate.SecretStringTemplate)).toContain('bucket');
    const eu = templates(stage).get('Api-eu-west-1')!;
    const policies = Object.values(eu.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p).includes('s3:x-amz-copy-source'));
    expect(policies).toHaveLength(1);
    const document = policies[0]!.Properties.PolicyDocument as { Statement: { Action: string; Resource: unknown; Condition: Record<string, Record<string, unknown>> }[] };
    expect(document.Statement).toHaveLength(1);
    const [grant] = document.Statement;
    expect(grant!.Action).toBe('s3:PutObject');
    expect(JSON.stringify(grant!.Resource)).toContain(':s3:::*/blobs/*');
    expect(Object.keys(grant!.Condition.StringEquals!)).toEqual(['s3:ResourceAccount']);
    // Only copies of eu-west-1's own blobs: its own bucket, imported from its stateful stack.
    expect(JSON.stringify(grant!.Condition.StringLike!['s3:x-amz-copy-source'])).toMatch(/Fn::ImportValue|Ref/);
    expect(JSON.stringify(grant!.Condition.StringLike!['s3:x-amz-copy-source'])).toContain('/blobs/*');
    const roles = JSON.stringify(policies[0]!.Properties.Roles);
    const longWorker = Object.entries(eu.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Berth long jobs worker') } }))[0]![1];
    expect(roles).toContain(JSON.stringify((longWorker.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]));
  });

  test('a region deploys after the region it feeds, whose secret replica it reads', () => {
    const api = (region: string) => stage.regions.find((r) => r.region === region)!.api;
    expect(api('us-east-1').dependencies.map((d) => d.stackName)).toContain(api('eu-west-1').stackName);
    expect(api('eu-west-1').dependencies.map((d) => d.stackName)).toContain(api('ap-southeast-2').stackName);
  });

  test('cdk-nag stays clean', () => {
    expect(nagFindings(stage)).toEqual([]);
  });

  test('a topology that cannot deploy is refused at synth', () => {
    expect(() => validateStageConfig({ ...chain, domain: undefined, uploadService: { ...chain.uploadService, enabled: false } })).toThrow(/replication needs domain/);
    expect(() => validateStageConfig({ ...chain, replication: { primary: 'us-east-1', upstreams: { 'eu-west-1': 'ap-southeast-2', 'ap-southeast-2': 'eu-west-1' } } })).toThrow(/cycle/);
  });
});

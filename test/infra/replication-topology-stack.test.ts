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
      expect(targets).toContain(`{{resolve:secretsmanager:${inboundSecretName('prod', 'ap-southeast-2')}:SecretString:::}}`);
      expect(env![replicationEnvNames.key]).toBeDefined();
    }
    for (const env of functionsEnv('ap-southeast-2')) expect(env[replicationEnvNames.targets]).toBeUndefined();
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

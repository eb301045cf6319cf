import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import path from 'node:path';
import { defaultEntryPoints, repoRoot } from '../../infra/config/entry-points.js';
import { validateStageConfig, type StageConfig } from '../../infra/config/stage-config.js';
import { defineStage, stages } from '../../infra/config/stages.js';
import { envNames } from '../../infra/stacks/api-stack.js';
import type { BerthStage } from '../../infra/stage/berth-stage.js';
import { prodLike, removeAssemblies, synthStage, templates } from './synth.js';

let stage: BerthStage;

beforeAll(() => {
  stage = synthStage(prodLike);
  templates(stage);
});
afterAll(removeAssemblies);

describe('a stage with several regions', () => {
  test('gets a stateful and an API stack in each region', () => {
    const stacks = stage.regions.flatMap(({ stateful, api }) => [
      [stateful.stackName, stateful.region],
      [api.stackName, api.region],
    ]);
    expect(stacks).toEqual([
      ['prod-Stateful-eu-west-1', 'eu-west-1'],
      ['prod-Api-eu-west-1', 'eu-west-1'],
      ['prod-Stateful-us-east-1', 'us-east-1'],
      ['prod-Api-us-east-1', 'us-east-1'],
    ]);
  });

  test('each API stack depends on its own region’s stateful stack only', () => {
    for (const { api, stateful, region } of stage.regions) {
      const dependencies = api.dependencies.map((d) => d.stackName);
      expect(dependencies, region).toEqual([stateful.stackName]);
    }
  });

  test('every region knows its peers', () => {
    for (const { api, region } of stage.regions) {
      const peers = prodLike.regions.filter((r) => r !== region).join(',');
      const fn = Object.values(
        templates(stage).get(api.node.id)!.findResources('AWS::Lambda::Function', {
          Properties: { Description: 'Berth jobs worker' },
        }),
      )[0]!;
      expect(fn.Properties.Environment.Variables[envNames.peerRegions]).toBe(peers);
    }
  });

  test('synthesizes with no context look-up, so no AWS credentials are needed', () => {
    const assembly = stage.synth();
    expect(assembly.manifest.missing ?? []).toEqual([]);
  });

  test('stacks holding data are termination-protected outside dev', () => {
    for (const { stateful, api } of stage.regions) {
      expect(stateful.terminationProtection).toBe(true);
      expect(api.terminationProtection).toBe(false);
    }
    const dev = synthStage(defineStage({ name: 'dev', regions: ['eu-west-1'], retainData: false }));
    expect(dev.regions[0]!.stateful.terminationProtection).toBe(false);
  });
});

describe('configuration', () => {
  const valid = prodLike;
  const invalid: [string, Partial<StageConfig>, RegExp][] = [
    ['no region', { regions: [] }, /at least one region/],
    ['a made-up region', { regions: ['moon-1'] }, /"moon-1" is not an AWS region/],
    ['a repeated region', { regions: ['eu-west-1', 'eu-west-1'] }, /must not repeat/],
    ['an upload service without a domain', { domain: undefined }, /needs domain/],
    ['a batch larger than SQS gives', { workers: { batchSize: 11, maxConcurrency: 5 } }, /batchSize/],
    ['a concurrency cap below the SQS minimum', { workers: { batchSize: 10, maxConcurrency: 1 } }, /maxConcurrency/],
    ['a malformed account', { account: '12345' }, /12 digits/],
    ['an upper-case stage name', { name: 'Prod' }, /lower-case/],
    ['a token service name with spaces', { auth: { enabled: true, service: 'my registry' } }, /auth.service/],
    ['a zone id that is not one', { domain: { zoneName: 'x.example.com', hostedZoneId: 'abc' } }, /not a Route 53 zone id/],
  ];

  test.each(invalid)('refuses %s', (_name, change, message) => {
    expect(() => validateStageConfig({ ...valid, ...change })).toThrow(message);
  });

  test('accepts the test configuration', () => {
    expect(validateStageConfig(valid)).toBe(valid);
  });

  test('the committed stages are valid, and only prod runs the upload service', () => {
    for (const config of stages) validateStageConfig(config);
    expect(stages.map((s) => [s.name, s.uploadService.enabled, s.retainData])).toEqual([
      ['dev', false, false],
      ['staging', false, true],
      ['prod', true, true],
    ]);
  });

  test('every committed stage turns auth on, dev included', () => {
    expect(stages.map((s) => [s.name, s.auth.enabled])).toEqual([
      ['dev', true],
      ['staging', true],
      ['prod', true],
    ]);
    expect(defineStage({ name: 'x', regions: ['eu-west-1'] }).auth).toEqual({ enabled: true });
  });

  test('the constructs bundle the repository’s entry points by default', () => {
    expect(path.relative(repoRoot, defaultEntryPoints.api)).toBe(path.join('functions', 'entry', 'api.handler.ts'));
    expect(path.relative(repoRoot, defaultEntryPoints.worker)).toBe(path.join('functions', 'entry', 'worker.handler.ts'));
    expect(path.relative(repoRoot, defaultEntryPoints.uploadServer)).toBe(path.join('functions', 'entry', 'upload-server.ts'));
  });
});

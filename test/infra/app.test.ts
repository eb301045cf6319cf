import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { App } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { addBerthStages } from '../../infra/berth-app.js';
import { repoRoot } from '../../infra/config/entry-points.js';
import { cdkJsonContext, devLike, fixtureEntryPoints, prodLike } from './synth.js';

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) fs.rmSync(dir, { recursive: true, force: true });
});

function app(context: Record<string, unknown> = {}): App {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-app-'));
  outdirs.push(outdir);
  // CDK's own template schema check takes 15 s to load; cfn-lint.sh covers that ground.
  return new App({
    outdir,
    stackTraces: false,
    builtinCloudFormationValidation: false,
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...context },
  });
}

const options = { stages: [devLike, prodLike], entryPoints: fixtureEntryPoints };

describe('the CDK app', () => {
  test('builds every stage by default', () => {
    expect(addBerthStages(app(), options).map((s) => s.stageName)).toEqual(['dev', 'prod']);
  });

  test('-c stages picks some of them', () => {
    expect(addBerthStages(app({ stages: 'prod' }), options).map((s) => s.stageName)).toEqual(['prod']);
    expect(addBerthStages(app({ stages: ' dev , prod ' }), options).map((s) => s.stageName)).toEqual(['dev', 'prod']);
  });

  test('refuses a stage it does not know', () => {
    expect(() => addBerthStages(app({ stages: 'dev,qa' }), options)).toThrow(/Unknown stage qa .*known stages: dev, prod/);
  });

  // That the stages themselves synthesize clean is nag.test.ts's job; here, that the app checks.
  test('fails synthesis on a finding nobody acknowledged', () => {
    const dirty = app({ stages: 'dev' });
    const [dev] = addBerthStages(dirty, options);
    new Bucket(dev!.regions[0]!.stateful, 'Unreviewed');
    expect(() => dirty.synth()).toThrow(/AwsSolutions-S1/);
  });

  test('cdk.json runs this app with tsx and CDK’s recommended weak cross-stack references', () => {
    const cdkJson = JSON.parse(fs.readFileSync(path.join(repoRoot, 'cdk.json'), 'utf8'));
    expect(cdkJson.app).toBe('npx tsx infra/app.ts');
    expect(cdkJson.context['@aws-cdk/core:defaultCrossStackReferences']).toBe('weak');
  });
});

import { afterAll, describe, expect, test } from 'vitest';
import { Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { stages } from '../../infra/config/stages.js';
import type { StageConfig } from '../../infra/config/stage-config.js';
import type { BerthStage } from '../../infra/stage/berth-stage.js';
import { devLike, nagFindings, prodLike, removeAssemblies, synthStage, templates } from './synth.js';

afterAll(removeAssemblies);

function synthesized(config: StageConfig): BerthStage {
  const stage = synthStage(config);
  templates(stage);
  return stage;
}

/**
 * Every acknowledged cdk-nag finding in the tree, with its reason and where it was made. (CDK
 * acknowledges some of its own CloudFormation validation rules in the same metadata: not ours.)
 */
function acknowledgments(root: IConstruct): { id: string; reason: string; path: string }[] {
  const out: { id: string; reason: string; path: string }[] = [];
  for (const node of root.node.findAll()) {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        const rule = id.replace(/^annotation::/i, '');
        if (rule.startsWith('AwsSolutions-')) out.push({ id: rule, reason, path: node.node.path });
      }
    }
  }
  return out;
}

describe('cdk-nag AwsSolutions', () => {
  const cases: [string, StageConfig][] = [
    ['a production-like stage', prodLike],
    ['a throw-away stage', devLike],
    ...stages.map((config): [string, StageConfig] => [`the committed ${config.name} stage`, config]),
  ];
  test.each(cases)('finds nothing unacknowledged in %s', (_name, config) => {
    expect(nagFindings(synthesized(config))).toEqual([]);
  });

  test('still reports what nobody acknowledged', () => {
    const stage = synthesized(devLike);
    new Bucket(stage.regions[0]!.stateful, 'Unreviewed');
    const findings = nagFindings(stage);
    expect(findings).toContain('AwsSolutions-S1 at dev/Stateful-eu-west-1/Unreviewed/Resource');
    expect(findings).toContain('AwsSolutions-S10 at dev/Stateful-eu-west-1/Unreviewed/Resource');
  });

  test('every acknowledgment is a rule of the pack with a reason', () => {
    const acks = acknowledgments(synthesized(prodLike));
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id, ack.path).toMatch(/^AwsSolutions-[A-Z0-9]+(\[.+\])?$/);
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(30);
    }
  });

  test('the acknowledged rules are the reviewed list', () => {
    const ids = new Set(acknowledgments(synthesized(prodLike)).map((a) => a.id.replace(/\[.*\]$/, '[…]')));
    expect([...ids].sort()).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-EC23',
      'AwsSolutions-ECS2',
      'AwsSolutions-IAM5[…]',
      'AwsSolutions-L1',
      'AwsSolutions-S1',
      'AwsSolutions-SMG4',
      'AwsSolutions-SNS2',
    ]);
  });
});

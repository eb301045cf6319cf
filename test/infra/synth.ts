import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import './count-template-assertions.js';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { EntryPoints } from '../../infra/config/entry-points.js';
import { repoRoot } from '../../infra/config/entry-points.js';
import { defineStage } from '../../infra/config/stages.js';
import type { StageConfig } from '../../infra/config/stage-config.js';
import { BerthStage } from '../../infra/stage/berth-stage.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'entry');

/** Stand-in entry files: these tests check the infrastructure, not the application code. */
export const fixtureEntryPoints: EntryPoints = {
  api: path.join(fixtures, 'api.handler.ts'),
  worker: path.join(fixtures, 'worker.handler.ts'),
  uploadServer: path.join(fixtures, 'upload-server.ts'),
  outboxRelay: path.join(fixtures, 'outbox-relay.handler.ts'),
};

/** The feature flags of cdk.json, so tests synthesize what `cdk synth` would. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(repoRoot, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/** A production-like stage: two regions, custom domain, upload service on, data retained. */
export const prodLike: StageConfig = defineStage({
  name: 'prod',
  account: '111111111111',
  regions: ['eu-west-1', 'us-east-1'],
  domain: { zoneName: 'registry.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ' },
  uploadService: { enabled: true, minTasks: 2, maxTasks: 6 },
  alarmEmail: 'ops@example.com',
});

/** A throw-away stage: one region, no domain, no upload service, nothing retained. */
export const devLike: StageConfig = defineStage({
  name: 'dev',
  regions: ['eu-west-1'],
  retainData: false,
  logRetentionDays: 7,
  workers: { maxConcurrency: 2 },
});

export interface SynthOptions {
  /** Run real bundling (esbuild) for every stack instead of skipping it. */
  readonly bundle?: boolean;
  /** Entry files to bundle; the fixtures unless a test wants the application's own. */
  readonly entryPoints?: EntryPoints;
}

/**
 * Builds one stage in a fresh app. Bundling is skipped unless asked for, the way the CLI skips it
 * for stacks it is not deploying: synthesis is the slow part of these tests.
 */
export function synthStage(config: StageConfig, options: SynthOptions = {}): BerthStage {
  const context: Record<string, unknown> = { ...cdkJsonContext() };
  if (!options.bundle) context['aws:cdk:bundling-stacks'] = [];
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cdk-'));
  outdirs.push(outdir);
  // No construct stack traces (the CLI does not record them either): they slow synthesis down.
  const app = new App({ context, outdir, stackTraces: false });
  return new BerthStage(app, { config, entryPoints: options.entryPoints ?? fixtureEntryPoints });
}

const outdirs: string[] = [];

/** Removes the cloud assemblies this test file wrote (call from afterAll). */
export function removeAssemblies(): void {
  for (const dir of outdirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Every template of the stage, synthesized once, by stack id (`Api-eu-west-1`). */
export function templates(stage: BerthStage): Map<string, Template> {
  const result = new Map<string, Template>();
  for (const { stateful, api } of stage.regions) {
    result.set(stateful.node.id, Template.fromStack(stateful));
    result.set(api.node.id, Template.fromStack(api));
  }
  return result;
}

export interface IamStatement {
  readonly where: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource?: unknown;
}

/** Every IAM statement of a template: managed policies, inline policies and role policies. */
export function iamStatements(name: string, t: Template): IamStatement[] {
  const out: IamStatement[] = [];
  const collect = (where: string, document: { Statement?: Omit<IamStatement, 'where'>[] } | undefined) => {
    for (const statement of document?.Statement ?? []) out.push({ where, ...statement });
  };
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, resource] of Object.entries(t.findResources(type))) {
      collect(`${name}/${id}`, resource.Properties.PolicyDocument);
    }
  }
  for (const [id, resource] of Object.entries(t.findResources('AWS::IAM::Role'))) {
    for (const policy of resource.Properties.Policies ?? []) collect(`${name}/${id}`, policy.PolicyDocument);
  }
  return out;
}

export function actionsOf(statement: IamStatement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/**
 * cdk-nag AwsSolutions findings that are not acknowledged, as `rule at path` lines. Run it after
 * the stage is synthesized, so cross-stack references are resolved as in `cdk synth`.
 */
export function nagFindings(stage: BerthStage): string[] {
  const report = new AwsSolutionsChecks(stage).validateScope(stage);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
  );
}
